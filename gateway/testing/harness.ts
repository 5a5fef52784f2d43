import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { validateConfig } from '../../shared/config/load-config.ts';
import { createLogger, type Logger } from '../../shared/ports/logger.ts';
import { gatewayRole, type GatewayConfig } from '../config.schema.ts';

/**
 * Support for gateway tests and the simulator's checks: a temp folder with a config (defaults
 * from the schema) and a credential file, a logger that keeps every line, and an MQTT
 * subscriber that records everything it receives.
 */

export interface GatewayWorkspace {
  dir: string;
  config: GatewayConfig;
  resolvePath(path: string): string;
  /** Writes the config as YAML-compatible JSON to gateway.yaml and returns its path. */
  writeConfig(): string;
  remove(): void;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function gatewayWorkspace(
  overrides: DeepPartial<GatewayConfig> & { hub: { url: string } },
  options: { credential?: string } = {},
): GatewayWorkspace {
  const dir = mkdtempSync(join(tmpdir(), 'hp-gw-'));
  writeFileSync(join(dir, 'credential'), `${options.credential ?? 'test-credential-0123456789'}\n`, { mode: 0o600 });
  const document = {
    role: 'gateway',
    store: 'store-1',
    gateway: 'gw-test',
    zone: 'entrance',
    ...overrides,
    hub: { credentialFile: 'credential', ...overrides.hub },
    outbox: { path: 'outbox.db', ...overrides.outbox },
    leds: { io: 'none', ...overrides.leds },
  };
  const result = validateConfig(gatewayRole, document);
  if (!result.ok) throw new Error(`test config is invalid: ${JSON.stringify(result.problems)}`);
  const config = result.config;
  return {
    dir,
    config,
    resolvePath: (path: string) => resolve(dir, path),
    writeConfig() {
      const file = join(dir, 'gateway.yaml');
      writeFileSync(file, JSON.stringify(config, null, 2));
      return file;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CapturedLogger {
  logger: Logger;
  lines: string[];
}

/** A pino logger at `level` (trace by default) whose JSON lines are kept in memory. */
export function captureLogger(level = 'trace'): CapturedLogger {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines };
}

export interface ReceivedMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

export interface Recorder {
  client: MqttClient;
  messages: ReceivedMessage[];
  /** Resolves when `predicate` holds for the messages received so far (checked on every message). */
  until(predicate: (messages: ReceivedMessage[]) => boolean, timeoutMs?: number): Promise<ReceivedMessage[]>;
  close(): Promise<void>;
}

export async function recordMessages(
  url: string,
  filters: string[],
  options: { clientId?: string; ca?: Buffer } = {},
): Promise<Recorder> {
  const client = await mqtt.connectAsync(url, {
    clientId: options.clientId ?? `rec-${process.pid}-${Date.now()}`,
    reconnectPeriod: 0,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  const messages: ReceivedMessage[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload, retain: packet.retain });
    for (const waiter of [...waiters]) waiter();
  });
  await client.subscribeAsync(filters, { qos: 1 });
  return {
    client,
    messages,
    until(predicate, timeoutMs = 15_000) {
      return new Promise((resolvePromise, reject) => {
        const check = (): void => {
          if (predicate(messages)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolvePromise(messages);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms with ${messages.length} messages: ${messages
                .map((m) => m.topic)
                .slice(-10)
                .join(', ')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      await client.endAsync(true);
    },
  };
}

/** Polls `condition` every 20 ms until it holds. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 15_000,
): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 20));
  }
}

/**
 * Checks that `condition` keeps holding for `ms` (polled every 20 ms), failing as soon as it does
 * not: for what must NOT happen (no write after close, no second connection). Absence can only be
 * shown over a span of time; load only shortens what is observed, it cannot fail a correct run.
 */
export async function holdsFor(condition: () => boolean, what: string, ms: number): Promise<void> {
  const start = Date.now();
  do {
    if (!condition()) throw new Error(`${what} stopped holding after ${Date.now() - start} ms`);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 20));
  } while (Date.now() - start < ms);
  if (!condition()) throw new Error(`${what} stopped holding after ${ms} ms`);
}
