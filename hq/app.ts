import { readFileSync } from 'node:fs';
import { AppError } from '../shared/errors.ts';
import { createHttpServer, type HttpServer } from '../shared/http/mod.ts';
import { systemClock, type Clock } from '../shared/ports/clock.ts';
import { silentLogger, type Logger } from '../shared/ports/logger.ts';
import { parseSigningKey } from '../shared/upstream/signing.ts';
import { assertPrivateFile } from '../shared/secrets/secret-file.ts';
import { packageVersion } from '../shared/version.ts';
import { registerAdminRoutes } from './api/admin-routes.ts';
import { registerLayoutRoutes } from './api/layout-routes.ts';
import { registerModelRoutes } from './api/model-routes.ts';
import { bearerAuth } from './api/auth.ts';
import { registerReleaseRoutes } from './api/release-routes.ts';
import { storeDirectory } from './api/scope.ts';
import { registerSyntheticVisitRoutes } from './api/synthetic-visits-routes.ts';
import { registerViewRoutes } from './api/view-routes.ts';
import type { HqConfig } from './config.schema.ts';
import { registerDashboardRoutes } from './dashboard/routes.ts';
import { createBatchWriter, type BatchWriter } from './ingest/batch-writer.ts';
import { createIngestMetrics } from './ingest/metrics.ts';
import { createMqttConsumer, type MqttConsumer } from './ingest/mqtt-consumer.ts';
import { openConfiguredStore, type HqStore } from './storage/mod.ts';
import { modelPublisherFromConfig, type ModelPublisher } from './pooling/model-publisher.ts';
import { scheduleJob, type ScheduledJob } from '../shared/scheduling/cron-scheduler.ts';

/**
 * HQ's composition root: createHq(deps) → {start, stop}. It opens the store (SQLite or
 * PostgreSQL), the batch writer in front of it, the HTTP server on the shared Fastify base (the
 * signed release upstream, the analysts' API and dashboard, /openapi.json, /metrics) and, when
 * hq.yaml has an `mqtt` section, the consumer of the chain's broker. `serve: false` runs a
 * consumer without HTTP (`hushpoint hq consume`); `consume: false` the reverse.
 * Stops in reverse order: the consumer first (no more acknowledgements), then the writer
 * (flushes what waits), the HTTP server, the store.
 */

export interface HqDeps {
  readonly config: Readonly<HqConfig>;
  readonly resolvePath?: (path: string) => string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly serve?: boolean;
  readonly consume?: boolean;
  /** Overrides mqtt.consumerId (several consumer processes on one hq.yaml). */
  readonly consumerId?: string;
  /** 'leave': build the consumer but do not subscribe (the caller calls consumer.leave()). */
  readonly consumerMode?: 'consume' | 'leave';
}

export interface Hq {
  /** The open store (after start). */
  readonly store: HqStore;
  readonly writer: BatchWriter;
  readonly consumer: MqttConsumer | null;
  readonly http: HttpServer | null;
  /** The listening port once started (null without HTTP). */
  readonly port: number | null;
  readonly secure: boolean;
  /** The recommender's model pooling job (null without a `models` section). */
  readonly models: ModelPublisher | null;
  start(): Promise<number | null>;
  stop(): Promise<void>;
}

function readSecret(file: string, what: string): string {
  assertPrivateFile(file, `${what} file`);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new AppError(
      'CFG_UNREADABLE',
      `The ${what} file "${file}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      { cause: error },
    );
  }
}

function readKeys(config: HqConfig, resolvePath: (path: string) => string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const store of config.stores) {
    if (store.signingKeyFile === undefined) continue;
    const text = readSecret(resolvePath(store.signingKeyFile), `signing key of store "${store.id}"`);
    keys.set(store.id, parseSigningKey(text, store.signingKeyFile));
  }
  return keys;
}

// Longer than a screen: HQ's composition root wires the store, writer, consumer, API, dashboard and jobs in start order; each is built in its own module.
export function createHq(deps: HqDeps): Hq {
  const { config } = deps;
  const resolvePath = deps.resolvePath ?? ((p: string) => p);
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger();
  const keys = readKeys(config, resolvePath);
  const token =
    config.api.tokenFile === undefined ? null : readSecret(resolvePath(config.api.tokenFile), 'analyst token');
  const directory = storeDirectory(config.stores);
  const knownStores = new Set(directory.ids);
  const consumerId = deps.consumerId ?? config.mqtt?.consumerId ?? 'hq-1';
  const tls =
    config.listen.certFile !== undefined && config.listen.keyFile !== undefined
      ? { certFile: resolvePath(config.listen.certFile), keyFile: resolvePath(config.listen.keyFile) }
      : null;
  let store: HqStore | null = null;
  const models = modelPublisherFromConfig(config, {
    store: () => opened(store, 'store'),
    clock,
    logger: logger.child({ component: 'models' }),
    tool: `hushpoint ${packageVersion()} hq pool-models`,
    resolvePath,
  });
  let modelJob: ScheduledJob | null = null;
  let writer: BatchWriter | null = null;
  let consumer: MqttConsumer | null = null;
  let http: HttpServer | null = null;
  let port: number | null = null;
  const opened = <T>(value: T | null, what: string): T => {
    if (value === null) throw new AppError('INTERNAL', `HQ's ${what} is used before start()`);
    return value;
  };

  async function startHttp(metricsWriter: (s: HttpServer) => void): Promise<number> {
    if (tls === null && config.listen.host !== '127.0.0.1')
      logger.warn({ host: config.listen.host }, 'hq without TLS certificate: plain HTTP on 127.0.0.1 only');
    const server = await createHttpServer({
      name: 'hq',
      host: tls === null ? '127.0.0.1' : config.listen.host,
      port: config.listen.port,
      tls,
      bodyLimitBytes: config.maxBodyBytes,
      logger,
      openapi: {
        title: 'hushpoint HQ',
        version: packageVersion(),
        description: "The chain's receiver of stores' DP releases: ingest, pooled figures with 95% intervals, exports.",
      },
    });
    http = server;
    metricsWriter(server);
    const auth = bearerAuth(token);
    const storeRef = () => opened(store, 'store');
    registerReleaseRoutes(server.app, {
      writer: () => opened(writer, 'writer'),
      keys,
      knownStores,
      clock,
      maxSkewSeconds: config.maxClockSkewSeconds,
      maxBodyBytes: config.maxBodyBytes,
      logger,
      onRefused: (code) => ingestMetrics?.refusedRequests.inc({ code }),
    });
    registerViewRoutes(server.app, {
      store: storeRef,
      directory,
      auth,
      today: () => new Date(clock.now()).toISOString().slice(0, 10),
    });
    registerLayoutRoutes(server.app, { store: storeRef, directory, auth });
    registerSyntheticVisitRoutes(server.app, {
      store: storeRef,
      directory,
      auth,
      today: () => new Date(clock.now()).toISOString().slice(0, 10),
    });
    registerAdminRoutes(server.app, {
      store: storeRef,
      directory,
      auth,
      writer: () => opened(writer, 'writer'),
      consumer: () => (consumer === null ? null : { consumer, id: consumerId }),
    });
    if (models !== null)
      registerModelRoutes(server.app, {
        directory: models.directory,
        keys,
        clock,
        maxSkewSeconds: config.maxClockSkewSeconds,
        logger,
      });
    registerDashboardRoutes(server.app, { tokenRequired: token !== null });
    return server.listen();
  }

  let ingestMetrics: ReturnType<typeof createIngestMetrics> | null = null;

  return {
    get store() {
      return opened(store, 'store');
    },
    get writer() {
      return opened(writer, 'writer');
    },
    get consumer() {
      return consumer;
    },
    get http() {
      return http;
    },
    get port() {
      return port;
    },
    secure: tls !== null,
    models: models?.publisher ?? null,
    async start() {
      if (store !== null) throw new AppError('INTERNAL', 'HQ already started');
      store = await openConfiguredStore(config, resolvePath, { logger });
      const opening = store;
      try {
        let registry = null;
        if (deps.serve !== false) {
          port = await startHttp((server) => {
            ingestMetrics = createIngestMetrics(server.metrics.registry);
          });
        } else {
          const { Registry } = await import('prom-client');
          registry = new Registry();
          ingestMetrics = createIngestMetrics(registry);
        }
        const metrics = opened(ingestMetrics, 'metrics');
        writer = createBatchWriter({
          store: opening,
          clock,
          logger,
          metrics,
          maxReleases: config.mqtt?.batchMaxReleases ?? 500,
          lingerMs: config.mqtt?.batchMaxWaitMs ?? 0,
        });
        if (config.mqtt !== undefined && deps.consume !== false) {
          const m = config.mqtt;
          consumer = createMqttConsumer({
            url: m.url,
            ...(m.caFile !== undefined ? { ca: readFileSync(resolvePath(m.caFile)) } : {}),
            username: m.username,
            ...(m.passwordFile !== undefined
              ? { password: readSecret(resolvePath(m.passwordFile), 'MQTT password') }
              : {}),
            group: m.group,
            consumerId,
            connections: m.connections,
            sessionExpirySeconds: m.sessionExpirySeconds,
            knownStores,
            writer,
            metrics,
            logger: logger.child({ component: 'consumer' }),
          });
          if (deps.consumerMode !== 'leave') await consumer.start();
        }
        const schedule = config.models?.schedule;
        if (models !== null && schedule !== undefined) {
          const publisher = models.publisher;
          modelJob = scheduleJob(
            'pool-models',
            schedule,
            async () => {
              await publisher.publish().catch((error: unknown) => logger.error({ err: error }, 'model pooling failed'));
            },
            { timezone: 'UTC' },
          );
        }
        logger.info(
          { port, stores: directory.ids.length, engine: opening.engine, tls: tls !== null, mqtt: consumer !== null },
          'hq started',
        );
        return port;
      } catch (error) {
        await http?.close().catch(() => undefined);
        await opening.close().catch(() => undefined);
        store = null;
        throw error;
      }
    },
    async stop() {
      await modelJob?.stop();
      modelJob = null;
      await consumer?.stop();
      await writer?.stop();
      await http?.close();
      http = null;
      port = null;
      await store?.close();
      store = null;
      logger.info({}, 'hq stopped');
    },
  };
}
