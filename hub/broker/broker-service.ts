import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { clockTopic } from '../../shared/protocol/topics.ts';
import type { Counters } from '../storage/mod.ts';
import { readPemFile, type ResolvePath } from '../http/mod.ts';
import type { HubConfig } from '../config.schema.ts';
import { startBroker, type RunningBroker } from './aedes-broker.ts';
import { createBrokerPolicy, type GatewayMessageSink } from './broker-policy.ts';
import { credentialOf } from './gateway-registry.ts';

/** How often the hub checks live sessions against the registry for revoked or rotated credentials. */
const CREDENTIAL_WATCH_MS = 2000;

/**
 * The embedded aedes broker with the hub's policy (docs/architecture.md#wire-protocol): TLS (and an optional loopback
 * plain listener), the hub clock published to the gateways, and sessions whose credential was
 * revoked or rotated — also by another process, such as `hushpoint provision` — closed at once.
 */
export interface BrokerService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The running broker, or null before start and after stop. */
  readonly running: RunningBroker | null;
  readonly ports: { mqtts: number | null; mqtt: number | null };
}

export interface BrokerServiceDeps {
  config: Readonly<HubConfig['broker']>;
  store: string;
  db: Database;
  sink: GatewayMessageSink;
  counters: Counters;
  clock: Clock;
  logger: Logger;
  resolvePath: ResolvePath;
}

export function createBrokerService(deps: BrokerServiceDeps): BrokerService {
  const { config, clock, logger } = deps;
  let broker: RunningBroker | null = null;
  const timers: NodeJS.Timeout[] = [];
  const ports = { mqtts: null as number | null, mqtt: null as number | null };
  const clockPayload = (): Buffer =>
    encodePayload('HubClock', { v: 1, hubTimeMs: Math.max(0, Math.round(clock.now())) });

  function watch(running: RunningBroker): void {
    timers.push(
      setInterval(() => {
        running
          .publish(clockTopic(deps.store), clockPayload())
          .catch((error: unknown) => logger.warn({ err: error }, 'clock publish failed'));
      }, config.clockIntervalSeconds * 1000),
    );
    timers.push(
      setInterval(() => {
        const stale = running.closeStaleSessions((session) => {
          const current = credentialOf(deps.db, session.gateway);
          return current !== null && !current.revoked && current.hash === session.credentialHash;
        });
        for (const session of stale) {
          logger.info(
            { gateway: session.gateway, clientId: session.clientId },
            'gateway credential revoked or rotated: session closed',
          );
        }
      }, CREDENTIAL_WATCH_MS),
    );
    for (const t of timers) t.unref();
  }

  return {
    async start() {
      if (broker !== null) throw new AppError('INTERNAL', 'broker already started');
      const tls =
        config.tls === undefined
          ? undefined
          : {
              host: config.tls.host,
              port: config.tls.port,
              cert: readPemFile(config.tls.certFile, deps.resolvePath, 'broker certificate'),
              key: readPemFile(config.tls.keyFile, deps.resolvePath, 'broker key', true),
            };
      const running = await startBroker({
        ...(tls !== undefined ? { tls } : {}),
        ...(config.plain.enabled ? { plain: { port: config.plain.port } } : {}),
        maxPacketBytes: config.maxPacketBytes,
        policy: createBrokerPolicy({
          db: deps.db,
          store: deps.store,
          ingest: deps.sink,
          counters: deps.counters,
          clock,
          logger,
          maxClients: config.maxClients,
          connectedClients: () => broker?.connectedClients ?? 0,
          rate: { ratePerSecond: config.publishRatePerSecond, burst: config.publishBurst },
          maxPacketBytes: config.maxPacketBytes,
          clockPayload,
        }),
      });
      broker = running;
      ports.mqtts = running.ports.tls;
      ports.mqtt = running.ports.plain;
      watch(running);
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      timers.length = 0;
      const running = broker;
      broker = null;
      await running?.close();
    },
    get running() {
      return broker;
    },
    ports,
  };
}
