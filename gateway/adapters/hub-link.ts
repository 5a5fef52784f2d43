import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { MqttClient, type IClientOptions } from 'mqtt';
import { AppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { RandomSource } from '../../shared/ports/random.ts';
import { backoffDelay, type BackoffSettings } from '../core/backoff.ts';

/**
 * The MQTT connection to the hub (mqtt.js, MQTT 3.1.1). One fresh client per connection
 * attempt with mqtt.js's own reconnect and in-memory queue switched off: the SQLite outbox is the
 * only queue, so nothing piles up in memory while the hub is away (mqtt.js loses messages past
 * 65,535 queued) and nothing is sent twice by two queues. Reconnects use exponential backoff
 * with jitter. Username = gateway id, password = the credential file's content; TLS verifies the
 * hub against the store CA. Connection state changes are logged once, not per attempt.
 *
 * The socket is opened here (net/tls) and handed to mqtt.js's MqttClient: mqtt.connect() would
 * also load its WebSocket and SOCKS transports, memory a Pi does not need to spend.
 */

export interface HubLinkOptions {
  url: string;
  gatewayId: string;
  password: string;
  /** The store CA (PEM) for mqtts:// URLs. */
  ca?: Buffer;
  serverName?: string;
  keepaliveSeconds: number;
  backoff: BackoffSettings;
  /** Retained last will (the offline status). */
  will: { topic: string; payload: Buffer };
  /** Subscribed on every connect. */
  subscriptions: Array<{ filter: string; qos: 0 | 1 }>;
  rng: RandomSource;
  logger: Logger;
  connectTimeoutMs?: number;
}

export interface HubLinkEvents {
  connected(): void;
  disconnected(): void;
  message(topic: string, payload: Buffer): void;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
}

function errorCode(error: unknown): string {
  const e = error as { code?: unknown; message?: string };
  if (typeof e.code === 'string' || typeof e.code === 'number') return String(e.code);
  return e.message ?? 'error';
}

export class HubLink {
  readonly #options: HubLinkOptions;
  readonly #events: HubLinkEvents;
  readonly #log: Logger;
  #client: MqttClient | undefined;
  #connected = false;
  #everConnected = false;
  #attempt = 0;
  #reconnects = 0;
  #stopped = true;
  #retryTimer: NodeJS.Timeout | undefined;
  #lastError: string | undefined;
  #loggedProblem: string | undefined;
  /** Rejecters of publishes awaiting a PUBACK on the current connection. */
  readonly #pending = new Set<(error: Error) => void>();

  constructor(options: HubLinkOptions, events: HubLinkEvents) {
    this.#options = options;
    this.#events = events;
    this.#log = options.logger;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Successful connections after the first. */
  get reconnects(): number {
    return this.#reconnects;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  /** Resolves on PUBACK (QoS 1) or once written (QoS 0); rejects if the connection goes first. */
  publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void> {
    const client = this.#client;
    if (!this.#connected || client === undefined)
      return Promise.reject(new AppError('MQTT_UNREACHABLE', 'not connected to the hub'));
    return new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void => {
        this.#pending.delete(fail);
        reject(error);
      };
      this.#pending.add(fail);
      client.publish(topic, payload, { qos: options.qos, retain: options.retain ?? false }, (error) => {
        if (!this.#pending.has(fail)) return;
        this.#pending.delete(fail);
        if (error) reject(error);
        else resolve();
      });
    });
  }

  /** Publishes `final` (if connected, best effort within `timeoutMs`), then disconnects cleanly. */
  async stop(final?: { topic: string; payload: Buffer; timeoutMs?: number }): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    if (client === undefined) return;
    if (final !== undefined && this.#connected) {
      const timeoutMs = final.timeoutMs ?? 2000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.publish(final.topic, final.payload, { qos: 1, retain: true }).catch(() => undefined),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.end(true);
        resolve();
      }, 2000);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.#dropConnection(client);
  }

  #connect(): void {
    const o = this.#options;
    const url = new URL(o.url);
    const secure = url.protocol === 'mqtts:';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port === '' ? (secure ? 8883 : 1883) : Number(url.port);
    const serverName = o.serverName ?? (isIP(host) === 0 ? host : undefined);
    const openSocket = (): ReturnType<typeof netConnect> => {
      const socket = secure
        ? tlsConnect({
            host,
            port,
            rejectUnauthorized: true,
            ...(o.ca !== undefined ? { ca: o.ca } : {}),
            ...(serverName !== undefined ? { servername: serverName } : {}),
          })
        : netConnect({ host, port });
      socket.once('error', (error) => {
        this.#lastError = errorCode(error);
      });
      return socket;
    };
    const options: IClientOptions = {
      protocolVersion: 4,
      clientId: o.gatewayId,
      username: o.gatewayId,
      password: o.password,
      clean: true,
      keepalive: o.keepaliveSeconds,
      reconnectPeriod: 0,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      queueQoSZero: false,
      // mqtt-packet would otherwise pre-build 65,536 two-byte Buffers (~14 MB of RSS) to save
      // one tiny allocation per packet; a gateway sends one packet every few seconds.
      writeCache: false,
      will: { topic: o.will.topic, payload: o.will.payload, qos: 1, retain: true },
    };
    const client = new MqttClient(openSocket, options);
    this.#client = client;
    client.on('connect', () => this.#onConnect(client));
    client.on('message', (topic, payload) => {
      if (client === this.#client) this.#events.message(topic, payload);
    });
    client.on('error', (error) => {
      this.#lastError ??= errorCode(error);
    });
    client.on('close', () => this.#onClose(client));
  }

  #onConnect(client: MqttClient): void {
    if (client !== this.#client || this.#stopped) return;
    this.#connected = true;
    if (this.#everConnected) this.#reconnects++;
    this.#everConnected = true;
    this.#attempt = 0;
    this.#lastError = undefined;
    this.#loggedProblem = undefined;
    this.#log.info({ url: this.#options.url, reconnects: this.#reconnects }, 'hub connected');
    for (const { filter, qos } of this.#options.subscriptions) {
      client.subscribe(filter, { qos }, (error, granted) => {
        const refused = granted?.some((g) => g.qos === 128) ?? false;
        if (error || refused)
          this.#log.warn({ filter, code: error ? errorCode(error) : 'refused' }, 'hub subscription refused');
      });
    }
    this.#events.connected();
  }

  #onClose(client: MqttClient): void {
    if (client !== this.#client) return;
    const wasConnected = this.#connected;
    this.#dropConnection(client);
    if (wasConnected) this.#events.disconnected();
    if (this.#stopped) return;
    const delayMs = backoffDelay(this.#attempt, this.#options.backoff, this.#options.rng);
    this.#attempt++;
    const problem = this.#lastError ?? 'connection closed';
    if (wasConnected || problem !== this.#loggedProblem) {
      this.#log.warn(
        { url: this.#options.url, code: problem, retryInMs: delayMs },
        wasConnected ? 'hub connection lost' : 'hub unreachable',
      );
      this.#loggedProblem = problem;
    } else {
      this.#log.debug({ code: problem, attempt: this.#attempt, retryInMs: delayMs }, 'hub retry');
    }
    this.#lastError = undefined;
    this.#retryTimer = setTimeout(() => {
      if (!this.#stopped) this.#connect();
    }, delayMs);
  }

  #dropConnection(client: MqttClient): void {
    this.#connected = false;
    const closed = new AppError('MQTT_UNREACHABLE', 'the hub connection closed before the PUBACK');
    for (const fail of [...this.#pending]) fail(closed);
    client.removeAllListeners('connect');
    client.removeAllListeners('message');
    client.removeAllListeners('close');
    client.on('error', () => undefined);
    client.end(true);
  }
}
