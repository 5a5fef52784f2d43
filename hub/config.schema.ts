import { Type, type Static } from '@sinclair/typebox';
import { validate as validateCron } from 'node-cron';
import { ID_PATTERN } from '../shared/protocol/topics.ts';
import type { RoleSchema } from '../shared/config/load-config.ts';
import type { Problem } from '../shared/validation.ts';
import { PrivacySection, UpstreamSection, privacyConfigProblems } from './privacy/config.schema.ts';
import { OffersSection, offersConfigProblems } from './offers/config.schema.ts';
import { RecommendSection, recommendConfigProblems } from './recommend/config.schema.ts';
import { PurchasesSection } from './purchases/config.schema.ts';

/**
 * hub.yaml — one per store. Defaults live here, in the schema.
 *
 * Layout: one constant per top-level section, assembled in HubConfigSchema below. To add a
 * section (privacy/releases, offers, upstream, ...): declare `const XxxSection = Type.Object(
 * {...}, { ...closed, default: {} })` next to the others, add it to HubConfigSchema, and add any
 * cross-field rule to `semanticCheck` (its problems use the same `/pointer message` format).
 */
const Id = Type.String({ pattern: ID_PATTERN, maxLength: 64 });
const closed = { additionalProperties: false } as const;
const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const FilePath = Type.String({ minLength: 1 });

/** The embedded MQTT broker (docs/architecture.md#wire-protocol). */
const BrokerSection = Type.Object(
  {
    tls: Type.Optional(
      Type.Object(
        {
          host: Type.String({ default: '0.0.0.0' }),
          port: Type.Integer({ minimum: 0, maximum: 65535, default: 8883 }),
          certFile: FilePath,
          keyFile: FilePath,
        },
        closed,
      ),
    ),
    /** A plain-TCP listener, bound to 127.0.0.1 only; off unless enabled (development and local tools). */
    plain: Type.Object(
      { enabled: Type.Boolean({ default: false }), port: Type.Integer({ minimum: 0, maximum: 65535, default: 1883 }) },
      { ...closed, default: {} },
    ),
    /** Largest MQTT packet accepted; a client that sends a larger one is disconnected. */
    maxPacketBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 ** 2, default: 1024 ** 2 }),
    maxClients: Type.Integer({ minimum: 1, maximum: 100_000, default: 500 }),
    /** Per-client token bucket: sustained publishes per second ... */
    publishRatePerSecond: Type.Number({ exclusiveMinimum: 0, maximum: 100_000, default: 100 }),
    /** ... and the bucket size (a reconnecting gateway drains its outbox in bursts). */
    publishBurst: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 200 }),
    /** How often the hub publishes `hub/clock` (docs/architecture.md#wire-protocol: every 30 s). */
    clockIntervalSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
  },
  { ...closed, default: {} },
);

/** The hub's HTTPS API (enrollment, shopper API, technician page). */
const ApiSection = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    host: Type.String({ default: '0.0.0.0' }),
    port: Port,
    /** TLS for the shopper API and the technician page; the broker's certificate when omitted. */
    certFile: Type.Optional(FilePath),
    keyFile: Type.Optional(FilePath),
    /** Files holding the technician and admin bearer tokens; the matching endpoints answer 403 without them. */
    technicianTokenFile: Type.Optional(FilePath),
    adminTokenFile: Type.Optional(FilePath),
    maxBodyBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 ** 2, default: 8 * 1024 ** 2 }),
    /** Refused bearer tokens an address may present (per minute, and in a burst) before it gets 429s (docs/security.md). */
    failedAuth: Type.Object(
      {
        perMinute: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000, default: 30 }),
        burst: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 30 }),
      },
      { ...closed, default: {} },
    ),
  },
  { ...closed, default: { port: 8443 } },
);

/** EID resolution (docs/architecture.md#identifiers). */
const EidSection = Type.Object(
  {
    /** Rotation exponent K given to new shoppers: the EID changes every 2^K s. */
    defaultExponent: Type.Integer({ minimum: 0, maximum: 15, default: 9 }),
    /** Rotation-period tables kept per exponent (current ±1 plus late or replayed batches). */
    cachedPeriods: Type.Integer({ minimum: 3, maximum: 64, default: 8 }),
  },
  { ...closed, default: {} },
);

/** The presence model: zone per shopper-window, visits, dwell. */
const PresenceSection = Type.Object(
  {
    visitGapSeconds: Type.Integer({ minimum: 10, maximum: 86_400, default: 300 }),
    /**
     * Hysteresis: the evidence a change of zone must overcome (a near band scores 3, mid 2, far 0,
     * a zone not heard −10; see hub/core/presence-model.ts). 0 places each window on its own evidence.
     */
    switchPenalty: Type.Number({ minimum: 0, maximum: 1000, default: 6 }),
    /** Windows at the end of a visit the model may still relabel once later evidence shows a move. */
    smoothingWindows: Type.Integer({ minimum: 1, maximum: 720, default: 60 }),
    /** A gateway that sent nothing for this long (hub clock) no longer holds back window finalisation. */
    gatewayStaleSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 60 }),
    /** How often windows are finalised into zones and visits. */
    finalizeIntervalMs: Type.Integer({ minimum: 50, maximum: 600_000, default: 2000 }),
  },
  { ...closed, default: {} },
);

/** Retention of personal data in the hub's database (docs/privacy.md). */
const RetentionSection = Type.Object(
  {
    sightingsHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 365, default: 24 }),
    visitsDays: Type.Number({ exclusiveMinimum: 0, maximum: 3650, default: 30 }),
    /** node-cron expression (5 or 6 fields) for the retention job. */
    cron: Type.String({ default: '17 * * * *' }),
    timezone: Type.Optional(Type.String({ minLength: 1 })),
  },
  { ...closed, default: {} },
);

const LogSection = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
  },
  { ...closed, default: {} },
);

export const HubConfigSchema = Type.Object(
  {
    role: Type.Literal('hub'),
    store: Id,
    /** The SQLite database file (WAL mode; `-wal` and `-shm` files appear beside it). */
    database: Type.String({ minLength: 1, default: 'hub.db' }),
    broker: BrokerSection,
    api: ApiSection,
    eid: EidSection,
    presence: PresenceSection,
    retention: RetentionSection,
    log: LogSection,
    /** DP releases and their ledger (hub/privacy, docs/privacy.md). */
    privacy: PrivacySection,
    /** Where releases go: HTTPS to a collector or MQTT to an upstream broker (off by default). */
    upstream: UpstreamSection,
    /** Offers: catalog, ε per sensitivity class, budgets, frequency caps, quiet hours, holdout (hub/offers, docs/shopper-api.md). */
    offers: OffersSection,
    /** HQ's item model: fetch, verification, use in the offers ranking (hub/recommend, docs/recommender.md). */
    recommend: RecommendSection,
    /** The point of sale's purchases: the customer-id link, its key, products (hub/purchases, docs/purchases.md). */
    purchases: PurchasesSection,
  },
  closed,
);

export type HubConfig = Static<typeof HubConfigSchema>;

function isValidTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function semanticCheck(config: HubConfig): Problem[] {
  const problems: Problem[] = [];
  if (config.broker.tls === undefined && !config.broker.plain.enabled) {
    problems.push({
      path: '/broker',
      message: 'has no listener: configure broker.tls or enable broker.plain (loopback only)',
    });
  }
  if ((config.api.certFile === undefined) !== (config.api.keyFile === undefined)) {
    problems.push({
      path: config.api.certFile === undefined ? '/api/certFile' : '/api/keyFile',
      message: 'is required together with the other of api.certFile / api.keyFile',
    });
  }
  if (!validateCron(config.retention.cron)) {
    problems.push({
      path: '/retention/cron',
      message: `is "${config.retention.cron}", expected a cron expression such as "17 * * * *" (minute hour day month weekday)`,
    });
  }
  if (config.retention.timezone !== undefined && !isValidTimezone(config.retention.timezone)) {
    problems.push({
      path: '/retention/timezone',
      message: `is "${config.retention.timezone}", expected an IANA time zone such as "Europe/Berlin"`,
    });
  }
  if (
    config.broker.tls !== undefined &&
    config.broker.plain.enabled &&
    config.broker.tls.port !== 0 &&
    config.broker.tls.port === config.broker.plain.port
  ) {
    problems.push({
      path: '/broker/plain/port',
      message: `is ${config.broker.plain.port}, the same as broker.tls.port; expected a different port`,
    });
  }
  problems.push(...privacyConfigProblems(config));
  problems.push(...offersConfigProblems(config));
  problems.push(...recommendConfigProblems(config));
  return problems;
}

/** The privacy contract v1's keys (docs/privacy.md §9) and what replaced them. */
const RETIRED_KEYS: Readonly<Record<string, string>> = {
  '/privacy/budget/dailyRho': 'budgets are per budget period now: set privacy.budget.period and periodRho',
  '/privacy/budget/thirtyDayRho': 'budgets are per budget period now: set privacy.budget.period and periodRho',
  '/privacy/schedule/hourly': 'one job computes every due window: privacy.schedule.releases',
  '/privacy/schedule/daily': 'one job computes every due window: privacy.schedule.releases',
  '/privacy/releases/visits/maxHoursPerDay': 'use privacy.releases.visits.maxVisitsPerDay',
  '/privacy/releases/dwell/maxZonesPerDay': 'dwell counts one visit per shopper-week: use maxZonesPerVisit',
  '/privacy/releases/dwell/maxSeconds': 'dwell is released in buckets (< 5 … ≥ 60 min): no clamp to set',
  '/privacy/releases/transitions/maxPairsPerDay': 'transitions are weekly: use maxPairsPerWeek',
};

export const hubRole: RoleSchema<HubConfig> = {
  role: 'hub',
  schema: HubConfigSchema,
  semanticCheck,
  retiredKeys: RETIRED_KEYS,
};
