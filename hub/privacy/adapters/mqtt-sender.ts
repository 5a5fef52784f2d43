import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../../shared/ports/logger.ts';
import { releaseTopic } from '../../../shared/protocol/topics.ts';
import type { OutgoingRelease, SendResult, UpstreamSender } from '../upstream-sender.ts';

/**
 * Sends releases to an upstream MQTT broker (Mosquitto, EMQX, ...) over MQTT 5 at QoS 1 on
 * hushpoint/v1/{store}/releases/{kind}; the payload is the stored release body, unchanged.
 * A release counts as delivered on a successful PUBACK. Authenticity rests on the broker's TLS
 * and the store's credentials and ACL (the body carries the store and release id, so consumers
 * de-duplicate QoS 1 redeliveries by release id). MQTT 5 is needed because under 3.1.1 a broker
 * that refuses a publish by its ACL still acknowledges it: only an MQTT 5 PUBACK says "not
 * authorised" (reason 135), which is a permanent refusal here (docs/hq.md).
 *
 * While disconnected, send() fails at once instead of letting mqtt.js queue in memory (our
 * outbox is the durable queue). mqtt.js reconnects in the background.
 */

/**
 * MQTT 5 PUBACK reason codes that refuse these bytes for good: not authorised (135), topic name
 * invalid (144), payload format invalid (153). Others (unspecified 128, implementation specific
 * 131, quota exceeded 151, …) may pass on a later try and are retried with backoff.
 */
const PERMANENT_REASONS = new Set([135, 144, 153]);

export interface MqttSenderOptions {
  readonly url: string;
  readonly store: string;
  readonly username?: string;
  readonly password?: string;
  readonly ca?: Buffer | string;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Delay between reconnection attempts (default 5 s). */
  readonly reconnectMs?: number;
}

export function createMqttSender(options: MqttSenderOptions): UpstreamSender {
  let client: MqttClient | null = null;
  let connectedOnce = false;

  function connect(): MqttClient {
    if (client !== null) return client;
    const c = mqtt.connect(options.url, {
      clientId: `hushpoint-${options.store}-releases`,
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: options.reconnectMs ?? 5000,
      connectTimeout: options.timeoutMs,
      queueQoSZero: false,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    });
    c.on('connect', () => {
      if (!connectedOnce) options.logger.info({ transport: 'mqtt' }, 'upstream broker connected');
      connectedOnce = true;
    });
    c.on('error', (error) => options.logger.debug({ err: error }, 'upstream broker error'));
    client = c;
    return c;
  }

  async function waitConnected(c: MqttClient): Promise<boolean> {
    if (c.connected) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(
        () => {
          c.off('connect', onConnect);
          resolve(false);
        },
        Math.min(options.timeoutMs, 2000),
      );
      const onConnect = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      c.once('connect', onConnect);
    });
  }

  return {
    transport: 'mqtt',
    async send(release: OutgoingRelease): Promise<SendResult> {
      const c = connect();
      if (!(await waitConnected(c))) return { ok: false, permanent: false, message: 'upstream broker not connected' };
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.publishAsync(releaseTopic(options.store, release.kind), release.body, { qos: 1, retain: false }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no PUBACK within ${options.timeoutMs} ms`)), options.timeoutMs);
          }),
        ]);
        return { ok: true, duplicate: false };
      } catch (error) {
        const reason = (error as { code?: unknown }).code;
        if (typeof reason === 'number' && PERMANENT_REASONS.has(reason))
          return {
            ok: false,
            permanent: true,
            message: `the broker refused the release (reason ${reason}: ${(error as Error).message})`,
          };
        return { ok: false, permanent: false, message: `publish failed: ${(error as Error).message}` };
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
    },
    async close() {
      const c = client;
      client = null;
      if (c !== null) await c.endAsync(true).catch(() => undefined);
    },
  };
}
