import { AppError } from '../shared/errors.ts';
import { systemClock, type Clock } from '../shared/ports/clock.ts';
import { packageVersion } from '../shared/version.ts';
import { CryptoRandomSource, type RandomSource } from '../shared/ports/random.ts';
import { silentLogger, type Logger } from '../shared/ports/logger.ts';
import type { CommandName } from '../shared/protocol/topics.ts';
import type { CommandReply, GatewayCommand } from '../shared/protocol/messages.ts';
import type { HubConfig } from './config.schema.ts';
import { createHubEvents, type HubEvents } from './events.ts';
import { createApiServer, readTokenFile, requireToken, type ApiServer, type ResolvePath } from './http/mod.ts';
import { Counters, openHubDatabase, type Database } from './storage/mod.ts';
import {
  createBrokerService,
  createGatewayAdmin,
  createGatewayCommands,
  registerGatewayRoutes,
  type GatewayAdmin,
  type GatewayCommands,
} from './broker/mod.ts';
import { createShopperService, registerShopperRoutes, type ShopperService } from './shoppers/mod.ts';
import { createPresence, type Presence } from './presence/mod.ts';
import {
  createReleaseService,
  itemStatisticsFromConfig,
  upstreamSenderFromConfig,
  type ReleaseService,
} from './privacy/mod.ts';
import { createModelService, createOfferAffinity, type ModelService } from './recommend/mod.ts';
import { createOfferService, wireOffers, type OfferService } from './offers/mod.ts';
import { createPurchaseService, registerPurchaseRoutes, type PurchaseService } from './purchases/mod.ts';
import { hubStatusProviders, readStats, registerStatusPage, type HubStats } from './status/mod.ts';

/**
 * The hub's composition root (docs/architecture.md): createHub(deps) builds the adapters (the
 * database, the HTTPS API, the event bus) and hands each feature the typed deps it uses —
 * storage, broker, shoppers, presence, privacy, offers, purchases, status. Features never import this
 * file; they talk through their deps and hub/events.ts. The database is opened (and migrated)
 * at once, so callers may use `db` before `start()`; `start()` loads the shoppers and opens
 * the broker listeners, the API and the timers.
 */

export interface HubDeps {
  config: Readonly<HubConfig>;
  /** Resolves paths in the config (relative to the config file); identity when omitted. */
  resolvePath?: ResolvePath;
  logger?: Logger;
  clock?: Clock;
  random?: RandomSource;
}

export interface HubPorts {
  mqtts: number | null;
  mqtt: number | null;
  api: number | null;
}

export interface Hub {
  readonly config: Readonly<HubConfig>;
  readonly db: Database;
  /** Register HTTP routes here (before or after start). */
  readonly api: ApiServer;
  readonly events: HubEvents;
  readonly directory: ShopperService['directory'];
  readonly ports: HubPorts;
  /** DP releases, their ledger and the upstream sync (hub/privacy). */
  readonly privacy: ReleaseService;
  /** Offers: catalog, decisions on zone entry, audit trail, shopper API (hub/offers). */
  readonly offers: OfferService;
  /** HQ's item model: fetch, install, use in the offers ranking (hub/recommend). */
  readonly recommend: ModelService;
  /** POS imports and customer links (hub/purchases). */
  readonly purchases: PurchaseService;
  readonly gateways: GatewayAdmin;
  readonly shoppers: Omit<ShopperService, 'directory' | 'start' | 'stop' | 'byToken'>;
  /** The admin and technician tokens (null when not configured; read at start). */
  readonly tokens: { admin: string | null; technician: string | null };
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Sends a command to a gateway and waits for its reply (rejects after `timeoutMs`). */
  sendCommand(
    gateway: string,
    name: CommandName,
    args?: GatewayCommand['args'],
    options?: { timeoutMs?: number },
  ): Promise<CommandReply>;
  /** Finalises windows now (all received ones with `all`); returns windows finalised. */
  finalizePresence(options?: { all?: boolean }): Promise<number>;
  /** Runs the retention job now. */
  runRetention(): Record<string, number>;
  /** System counters (gateways, batches, refusals, ...). */
  stats(): HubStats;
}

function apiServer(
  config: Readonly<HubConfig>,
  resolvePath: ResolvePath,
  logger: Logger,
  technicianToken: () => string | null,
): ApiServer {
  const certFile = config.api.certFile ?? config.broker.tls?.certFile;
  const keyFile = config.api.keyFile ?? config.broker.tls?.keyFile;
  // The certificate files are read when the server starts listening, not at construction.
  return createApiServer({
    ...(certFile !== undefined && keyFile !== undefined
      ? { tls: { certFile: resolvePath(certFile), keyFile: resolvePath(keyFile) } }
      : {}),
    host: config.api.host,
    port: config.api.port,
    maxBodyBytes: config.api.maxBodyBytes,
    failedAuth: config.api.failedAuth,
    logger: logger.child({ component: 'api' }),
    version: packageVersion(),
    // Prometheus scrapes with the technician token (docs/field-guide.md#metrics).
    metricsGuard: (request) => requireToken(request, technicianToken(), 'technician'),
  });
}

interface RouteDeps {
  config: Readonly<HubConfig>;
  api: ApiServer;
  db: Database;
  events: HubEvents;
  shoppers: ShopperService;
  gateways: GatewayAdmin;
  commands: GatewayCommands;
  privacy: ReleaseService;
  offers: OfferService;
  purchases: PurchaseService;
  presence: Pick<Presence, 'ingest'>;
  tokens: { admin: string | null; technician: string | null };
  stats: () => HubStats;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
}

/** Every feature's routes (and the offers' event subscriptions), each with the deps it uses. */
function registerRoutes(deps: RouteDeps): void {
  const {
    config,
    api,
    db,
    events,
    shoppers,
    gateways,
    commands,
    privacy,
    offers,
    purchases,
    presence,
    tokens,
    stats,
    clock,
    random,
  } = deps;
  const adminToken = (): string | null => tokens.admin;
  const now = (): number => clock.now();
  registerShopperRoutes({ api, shoppers, adminToken, defaultExponent: config.eid.defaultExponent });
  registerGatewayRoutes({ api, gateways, adminToken });
  registerPurchaseRoutes({ api, purchases, adminToken, maxBodyBytes: config.purchases.maxBodyBytes });
  wireOffers({
    offers,
    config: config.offers,
    api,
    db,
    events,
    shoppers,
    adminToken,
    analyticsBudget: (pk, nowMs) => privacy.shopperBudget(pk, nowMs),
    registerRelease: (definition) => privacy.registerRelease(definition),
    random,
    now,
  });
  registerStatusPage(
    {
      api,
      db,
      store: config.store,
      technicianToken: () => tokens.technician,
      gateways,
      counters: stats,
      sendCommand: commands.send,
      metrics: api.http.metrics.registry,
    },
    {
      clock,
      random,
      logger: deps.logger.child({ component: 'status-page' }),
      providers: hubStatusProviders({
        privacyStatus: (nowMs) => privacy.status(nowMs),
        storage: () => presence.ingest.storageHealth(),
        offersPlan: () =>
          offers.enabled
            ? {
                periodEpsilon: config.offers.budget.periodEpsilon,
                epsilonPerOffer: config.offers.epsilon,
              }
            : null,
      }),
    },
  );
}

interface Basics {
  config: Readonly<HubConfig>;
  resolvePath: ResolvePath;
  logger: Logger;
  clock: Clock;
  random: RandomSource;
}

/** The adapters and the features, each given the typed deps it uses. */
function buildFeatures(basics: Basics) {
  const { config, resolvePath, logger, clock, random } = basics;
  const db = openHubDatabase(resolvePath(config.database));
  const counters = new Counters(db);
  const events = createHubEvents(logger.child({ component: 'events' }));
  const tokens = { admin: null as string | null, technician: null as string | null };
  const api = apiServer(config, resolvePath, logger, () => tokens.technician);

  const shoppers = createShopperService({
    db,
    events,
    random,
    clock,
    logger: logger.child({ component: 'shoppers' }),
    cachedPeriods: config.eid.cachedPeriods,
    refreshIntervalMs: config.presence.finalizeIntervalMs,
  });
  // The commands wait for replies the ingest commits, and the ingest is the broker's sink: the
  // closures below are called only after everything here is built.
  const commands = createGatewayCommands({ store: config.store, random, broker: () => broker.running });
  const presence = createPresence({
    db,
    config,
    directory: shoppers.directory,
    counters,
    events,
    clock,
    logger,
    onReply: (reply) => commands.replied(reply),
  });
  const broker = createBrokerService({
    config: config.broker,
    store: config.store,
    db,
    sink: presence.ingest,
    counters,
    clock,
    logger: logger.child({ component: 'broker' }),
    resolvePath,
  });
  const gateways = createGatewayAdmin({
    db,
    random,
    clock,
    disconnect: (id) => broker.running?.disconnectGateway(id),
  });

  const recommend = createModelService({
    config: config.recommend,
    store: config.store,
    upstream: config.upstream,
    timeZone: config.privacy.timeZone,
    resolvePath,
    clock,
    logger: logger.child({ component: 'recommend' }),
  });
  const itemStatistics = itemStatisticsFromConfig(config.privacy, {
    resolvePath,
    installedItems: () => recommend.installedItems(),
  });
  const privacy = createReleaseService({
    ...(itemStatistics !== undefined ? { itemStatistics } : {}),
    db,
    store: config.store,
    privacy: config.privacy,
    upstream: config.upstream,
    visitGapSeconds: config.presence.visitGapSeconds,
    clock,
    random,
    logger: logger.child({ component: 'privacy' }),
    sender: upstreamSenderFromConfig(config.upstream, {
      store: config.store,
      resolvePath,
      logger: logger.child({ component: 'upstream' }),
    }),
    beforeRelease: () => presence.finalize(),
  });
  const offers = createOfferService({
    db,
    config: config.offers,
    timeZone: config.privacy.timeZone,
    budgetPeriod: config.privacy.budget.period,
    ledger: privacy.ledger,
    clock,
    random,
    logger: logger.child({ component: 'offers' }),
    resolvePath,
    ...(config.recommend.enabled
      ? { affinity: createOfferAffinity({ model: () => recommend.installed(), weight: config.recommend.offerWeight }) }
      : {}),
  });
  const purchases = createPurchaseService({
    db,
    config: config.purchases,
    timeZone: config.privacy.timeZone,
    resolvePath,
    clock,
    logger: logger.child({ component: 'purchases' }),
  });
  const stats = (): HubStats => {
    counters.flush();
    return readStats(db);
  };
  return {
    db,
    counters,
    events,
    api,
    tokens,
    shoppers,
    commands,
    presence,
    broker,
    gateways,
    privacy,
    offers,
    recommend,
    purchases,
    stats,
  };
}

export function createHub(deps: HubDeps): Hub {
  const basics: Basics = {
    config: deps.config,
    resolvePath: deps.resolvePath ?? ((p: string) => p),
    logger: deps.logger ?? silentLogger(),
    clock: deps.clock ?? systemClock,
    random: deps.random ?? new CryptoRandomSource(),
  };
  const { config, resolvePath, logger } = basics;
  const features = buildFeatures(basics);
  const {
    db,
    counters,
    events,
    api,
    tokens,
    shoppers,
    commands,
    presence,
    broker,
    gateways,
    privacy,
    offers,
    recommend,
    purchases,
    stats,
  } = features;
  const ports: HubPorts = { mqtts: null, mqtt: null, api: null };
  registerRoutes({ ...basics, ...features });

  let started = false;
  return {
    config,
    db,
    api,
    events,
    directory: shoppers.directory,
    ports,
    privacy,
    offers,
    recommend,
    purchases,
    gateways,
    shoppers,
    tokens,

    async start() {
      if (started) throw new AppError('INTERNAL', 'hub already started');
      started = true;
      tokens.admin = readTokenFile(config.api.adminTokenFile, resolvePath, 'admin');
      tokens.technician = readTokenFile(config.api.technicianTokenFile, resolvePath, 'technician');
      purchases.start();
      shoppers.start();
      offers.start();
      await broker.start();
      ports.mqtts = broker.ports.mqtts;
      ports.mqtt = broker.ports.mqtt;
      if (config.api.enabled) {
        if (!api.secure) logger.warn({ host: '127.0.0.1' }, 'api without TLS certificate: plain HTTP on loopback only');
        ports.api = await api.listen();
      }
      presence.start();
      await privacy.start();
      recommend.start();
      logger.info({ store: config.store, ports }, 'hub started');
    },

    async stop() {
      if (!started) return;
      started = false;
      await recommend.stop();
      await privacy.stop();
      offers.stop();
      await api.close();
      await broker.stop();
      await presence.stop();
      shoppers.stop();
      commands.cancelAll('hub stopped before the gateway replied');
      counters.flush();
      db.close();
      logger.info({ store: config.store }, 'hub stopped');
    },

    sendCommand: commands.send,
    finalizePresence: (options) => presence.finalize(options),
    runRetention: () => presence.runRetention(),
    stats,
  };
}
