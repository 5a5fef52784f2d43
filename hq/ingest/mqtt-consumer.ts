import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../../shared/ports/logger.ts';
import { filters } from '../../shared/protocol/topics.ts';
import { QUARANTINE_BODY_BYTES } from '../storage/hq-store.ts';
import { sha256Of } from '../storage/mismatch.ts';
import type { BatchWriter } from './batch-writer.ts';
import { classifyRelease } from './core/classify.ts';
import type { IngestMetrics } from './metrics.ts';

/**
 * HQ's consumer of the chain's broker (Mosquitto; EMQX or a managed broker at scale): `connections`
 * MQTT 5 clients, all members of the shared subscription $share/{group}/hushpoint/v1/+/releases/+,
 * so the broker spreads the stores' releases over every connection of every HQ consumer, and a
 * consumer can be added or killed under load.
 *
 * Delivery (docs/hq.md, "Delivery"): a release is acknowledged (PUBACK) only after its batch is
 * committed (batch-writer.ts), so a consumer killed mid-stream loses nothing: every connection has
 * a persistent session (clean start off, a session expiry, a stable client id
 * "{consumerId}-{n}"), so the broker keeps its unacknowledged and queued releases and redelivers
 * them when the consumer comes back (Mosquitto keeps routing to a member whose session lives —
 * restart a killed consumer with the same id, as systemd does). Redeliveries are duplicates by
 * release id: counted, never stored twice. A payload that is not a valid release of the topic's
 * store is quarantined with its reason and acknowledged (refusing it would only make the broker
 * resend it forever).
 *
 * mqtt.js hands a connection one message at a time (handleMessage, with backpressure): with one
 * release in flight per connection, the batch size is up to `connections` per consumer.
 */

export interface MqttConsumerOptions {
  readonly url: string;
  readonly ca?: Buffer;
  readonly username: string;
  readonly password?: string;
  readonly group: string;
  readonly consumerId: string;
  readonly connections: number;
  readonly sessionExpirySeconds: number;
  readonly knownStores: ReadonlySet<string>;
  readonly writer: BatchWriter;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  readonly reconnectMs?: number;
}

export interface MqttConsumerStatus {
  readonly connections: number;
  readonly connected: number;
  readonly received: number;
  readonly quarantined: number;
}

export interface MqttConsumer {
  start(): Promise<void>;
  status(): MqttConsumerStatus;
  /** Disconnects without acknowledging what is still in flight (the sessions keep it). */
  stop(): Promise<void>;
  /**
   * Removes this consumer for good (scaling down): unsubscribes every connection, so the broker
   * routes new releases to the other consumers, stores what its sessions still hold until
   * nothing arrives for `idleMs`, then ends the sessions (DISCONNECT with session expiry 0).
   */
  leave(options?: { idleMs?: number; maxMs?: number }): Promise<number>;
}

type Packet = Parameters<MqttClient['handleMessage']>[0];

// Longer than a screen: one closure over the service's state whose methods are each short; the pure logic is in core/.
export function createMqttConsumer(options: MqttConsumerOptions): MqttConsumer {
  const clients: MqttClient[] = [];
  let received = 0;
  let quarantined = 0;
  let stopping = false;
  let leaving = false;
  const connected = new Set<number>();

  let lastMessageMs = 0;

  async function handle(packet: Packet): Promise<void> {
    if (packet.cmd !== 'publish') return;
    received++;
    lastMessageMs = Date.now();
    const body = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const classified = classifyRelease(body, { topic: packet.topic, knownStores: options.knownStores });
    if (!classified.ok) {
      quarantined++;
      options.logger.warn({ code: classified.code, topic: packet.topic.slice(0, 200) }, 'release quarantined');
      await options.writer.quarantine({
        source: 'mqtt',
        topic: packet.topic.slice(0, 500),
        store: classified.store,
        releaseId: classified.releaseId,
        code: classified.code,
        reason: classified.reason,
        body: body.subarray(0, QUARANTINE_BODY_BYTES),
      });
      return;
    }
    const outcome = await options.writer.submit({
      normalized: classified.release,
      body,
      sha256: sha256Of(body),
      source: 'mqtt',
      topic: packet.topic,
    });
    if (outcome === 'mismatch') quarantined++;
  }

  function connect(index: number): MqttClient {
    const clientOptions: IClientOptions = {
      clientId: `${options.consumerId}-${index}`,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: options.sessionExpirySeconds, receiveMaximum: 32 },
      username: options.username,
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      reconnectPeriod: options.reconnectMs ?? 1000,
      connectTimeout: 10_000,
      keepalive: 30,
      resubscribe: false,
    };
    const client = mqtt.connect(options.url, clientOptions);
    client.handleMessage = (packet, callback) => {
      handle(packet).then(
        () => callback(),
        (error: Error) => {
          // Not stored: no PUBACK. The session keeps the release; drop this connection so that the
          // broker redelivers it on the next one instead of waiting on a stuck client.
          if (!stopping) options.logger.warn({ err: error }, 'release not stored, reconnecting to have it redelivered');
          client.stream.destroy();
        },
      );
    };
    client.on('connect', () => {
      connected.add(index);
      options.metrics.mqttConnections.set(connected.size);
      if (leaving) return; // leave() unsubscribes instead
      // A resumed session still holds the subscription; subscribing again is harmless and covers a new one.
      client.subscribe(filters.sharedReleases(options.group), { qos: 1 }, (error, granted) => {
        const refused = granted?.some((g) => g.qos !== 1) ?? false;
        if (error !== null || refused)
          options.logger.error(
            { err: error, granted, filter: filters.sharedReleases(options.group) },
            'broker refused the shared subscription (check the ACL of the HQ consumer user)',
          );
      });
    });
    const down = (): void => {
      if (connected.delete(index)) options.metrics.mqttConnections.set(connected.size);
    };
    client.on('close', down);
    client.on('offline', down);
    client.on('error', (error) => options.logger.debug({ err: error, connection: index }, 'broker connection error'));
    return client;
  }

  return {
    async start() {
      for (let i = 0; i < options.connections; i++) clients.push(connect(i));
      options.logger.info(
        { broker: options.url, connections: options.connections, consumer: options.consumerId, group: options.group },
        'hq consumer started',
      );
    },
    status() {
      return { connections: options.connections, connected: connected.size, received, quarantined };
    },
    async leave(leaveOptions = {}) {
      const idleMs = leaveOptions.idleMs ?? 1000;
      const deadline = Date.now() + (leaveOptions.maxMs ?? 600_000);
      const before = received;
      leaving = true;
      if (clients.length === 0) for (let i = 0; i < options.connections; i++) clients.push(connect(i));
      // The UNSUBACK comes after the backlog the session already holds (one connection handles its
      // messages in order), so this waits for that backlog to be stored too.
      await Promise.all(
        clients.map(async (c) => {
          if (!c.connected) await new Promise<void>((resolve) => c.once('connect', () => resolve()));
          await c.unsubscribeAsync(filters.sharedReleases(options.group));
        }),
      );
      lastMessageMs = Date.now();
      while (Date.now() - lastMessageMs < idleMs || options.writer.depth > 0) {
        if (Date.now() > deadline)
          throw new Error(`consumer ${options.consumerId} still receiving after ${leaveOptions.maxMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      stopping = true;
      await Promise.all(
        clients
          .splice(0)
          .map((c) =>
            c.endAsync(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } }).catch(() => undefined),
          ),
      );
      connected.clear();
      options.metrics.mqttConnections.set(0);
      options.logger.info({ consumer: options.consumerId, drained: received - before }, 'hq consumer left the group');
      return received - before;
    },
    async stop() {
      stopping = true;
      await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
      connected.clear();
      options.metrics.mqttConnections.set(0);
    },
  };
}
