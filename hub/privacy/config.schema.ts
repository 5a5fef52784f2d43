import { Type, type Static } from '@sinclair/typebox';
import { validate as validateCron } from 'node-cron';
import { ID_PATTERN } from '../../shared/protocol/topics.ts';
import type { Problem } from '../../shared/validation.ts';
import { BUDGET_PERIOD_UNITS, isTimeZone } from '../../shared/time/local-calendar.ts';

/**
 * The `privacy` and `upstream` sections of hub.yaml (added to HubConfigSchema). Defaults live
 * here. docs/privacy.md explains every parameter and the guarantee it gives.
 */
const closed = { additionalProperties: false } as const;
const FilePath = Type.String({ minLength: 1 });
/** ρ of one release for a shopper at the contribution bound (zCDP). */
const Rho = (fallback: number) => Type.Number({ exclusiveMinimum: 0, maximum: 10, default: fallback });
const Enabled = Type.Boolean({ default: true });

/** Release kinds (docs/privacy.md §4): each value of `rho` is the cost of ONE release (one window) for a shopper at the bound. */
const ReleasesSection = Type.Object(
  {
    /** Distinct shoppers per zone × day: ≤ 1 per cell, ≤ maxZonesPerDay zones per shopper-day. */
    footfall: Type.Object(
      { enabled: Enabled, rho: Rho(0.002), maxZonesPerDay: Type.Integer({ minimum: 1, maximum: 1000, default: 8 }) },
      { ...closed, default: {} },
    ),
    /** Store visits by hour, per day: shoppers starting a visit in each local hour; ≤ maxVisitsPerDay hours per shopper-day. */
    visits: Type.Object(
      { enabled: Enabled, rho: Rho(0.0015), maxVisitsPerDay: Type.Integer({ minimum: 1, maximum: 24, default: 2 }) },
      { ...closed, default: {} },
    ),
    /**
     * Dwell per zone × bucket (< 5, 5–15, 15–30, 30–60, ≥ 60 min) × week: one visit per shopper-week
     * (chosen at random), counted once in each zone it reached (≤ maxZonesPerVisit zones).
     */
    dwell: Type.Object(
      { enabled: Enabled, rho: Rho(0.003), maxZonesPerVisit: Type.Integer({ minimum: 1, maximum: 1000, default: 8 }) },
      { ...closed, default: {} },
    ),
    /** Visitors and repeat visitors (seen on ≥ 2 days) per store × week: 1 each per shopper-week. */
    repeat: Type.Object({ enabled: Enabled, rho: Rho(0.002) }, { ...closed, default: {} }),
    /** Ordered zone → zone moves within visits per week: ≤ 1 per pair, ≤ maxPairsPerWeek pairs per shopper-week. */
    transitions: Type.Object(
      { enabled: Enabled, rho: Rho(0.003), maxPairsPerWeek: Type.Integer({ minimum: 1, maximum: 1000, default: 8 }) },
      { ...closed, default: {} },
    ),
    /**
     * Weekly synthetic visit records (the DP synthesizer, docs/synthetic-data.md): at most
     * maxVisitsPerWeek visits per shopper-week; rho is the whole week's release for a shopper.
     */
    syntheticVisits: Type.Object(
      {
        enabled: Enabled,
        rho: Rho(0.005),
        maxVisitsPerWeek: Type.Integer({ minimum: 1, maximum: 14, default: 2 }),
      },
      { ...closed, default: {} },
    ),
    /** Visitors and visitors with a point-of-sale purchase per store × day (enable when POS data is imported). */
    conversion: Type.Object({ enabled: Type.Boolean({ default: false }), rho: Rho(0.001) }, { ...closed, default: {} }),
    /**
     * The recommender's statistics per budget period (docs/recommender.md §3): item-supports over
     * the public catalog (0.3·rho) and item-covariance over the model's item list (0.7·rho); rho is
     * the pair's cost for a shopper. catalogFile: the public item codes, one per line.
     */
    itemStatistics: Type.Object(
      {
        enabled: Type.Boolean({ default: false }),
        rho: Rho(0.05),
        catalogFile: Type.Optional(FilePath),
        maxItems: Type.Integer({ minimum: 20, maximum: 2000, default: 500 }),
      },
      { ...closed, default: {} },
    ),
  },
  { ...closed, default: {} },
);

export const PrivacySection = Type.Object(
  {
    /** Compute and store DP releases on the schedule (the upstream section decides whether they leave). */
    enabled: Type.Boolean({ default: true }),
    /** IANA zone of the store: hours, days, weeks and budget periods are local to it. */
    timeZone: Type.String({ minLength: 1, default: 'UTC' }),
    mechanism: Type.Union([Type.Literal('discrete-gaussian'), Type.Literal('discrete-laplace')], {
      default: 'discrete-gaussian',
    }),
    /** δ used to report each ρ as (ε, δ)-DP (reporting only; zCDP is what is accounted). */
    delta: Type.Number({ exclusiveMinimum: 0, maximum: 0.001, default: 1e-6 }),
    /**
     * The privacy unit is one shopper over one budget period (a calendar month, quarter or year):
     * each shopper's analytics spending in a period is at most periodRho (the privacy filter), so
     * a year costs at most periodRho × periods per year; lifetimeRho, when set, ends a shopper's
     * participation after ⌊lifetimeRho / periodRho⌋ periods from their enrolment.
     */
    budget: Type.Object(
      {
        period: Type.Union(
          BUDGET_PERIOD_UNITS.map((u) => Type.Literal(u)),
          { default: 'quarter' },
        ),
        periodRho: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 1 }),
        lifetimeRho: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000 })),
      },
      { ...closed, default: {} },
    ),
    /** node-cron expression, in timeZone: the job that computes every window that is due (days, weeks, periods). */
    schedule: Type.Object({ releases: Type.String({ default: '20 1 * * *' }) }, { ...closed, default: {} }),
    /** A window is released only once it ended at least this long ago (late gateway batches, visits still open). */
    settleSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 3600 }),
    /** After downtime, missed windows that ended up to this many days back are computed (older ones are skipped and logged). */
    maxCatchUpDays: Type.Integer({ minimum: 1, maximum: 30, default: 14 }),
    /** The public zone list; the zones of the gateway registry (not revoked) when omitted. */
    zones: Type.Optional(
      Type.Array(Type.String({ pattern: ID_PATTERN }), { minItems: 1, maxItems: 1000, uniqueItems: true }),
    ),
    releases: ReleasesSection,
  },
  { ...closed, default: {} },
);

export const UpstreamSection = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    transport: Type.Union([Type.Literal('https'), Type.Literal('mqtt')], { default: 'https' }),
    /** https://collector.example/v1/releases, or mqtts://broker.example:8883 for MQTT. */
    url: Type.Optional(Type.String({ minLength: 8 })),
    /** CA certificate (PEM) to trust for the upstream; the system CAs when omitted. */
    caFile: Type.Optional(FilePath),
    /** HTTPS: the store key file written by provisioning (32 random bytes as 64 hex digits). */
    signingKeyFile: Type.Optional(FilePath),
    /** MQTT: broker credentials (the password in a file). */
    username: Type.Optional(Type.String({ minLength: 1 })),
    passwordFile: Type.Optional(FilePath),
    /** node-cron expression of the sync job. */
    cron: Type.String({ default: '* * * * *' }),
    /** Releases sent per sync run at most. */
    batchSize: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
    /**
     * Retry delay after the n-th consecutive failure: min(maxSeconds, initialSeconds · 2^(n−1)).
     * While upstream is down the whole sync waits this long between probes; a release the
     * receiver fails on by itself waits its own delay.
     */
    backoff: Type.Object(
      {
        initialSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 30 }),
        maxSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 900 }),
      },
      { ...closed, default: {} },
    ),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 15 }),
  },
  { ...closed, default: {} },
);

export type PrivacyConfig = Static<typeof PrivacySection>;
export type UpstreamConfig = Static<typeof UpstreamSection>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function parseUrl(text: string | undefined): URL | null {
  if (text === undefined) return null;
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** Checks the schema cannot express, in the config loader's `/pointer message` format. */
export function privacyConfigProblems(config: {
  privacy: PrivacyConfig;
  upstream: UpstreamConfig;
  retention?: { visitsDays: number };
}): Problem[] {
  const problems: Problem[] = [];
  const { privacy, upstream } = config;
  if (config.retention !== undefined && privacy.maxCatchUpDays > config.retention.visitsDays) {
    problems.push({
      path: '/privacy/maxCatchUpDays',
      message: `is ${privacy.maxCatchUpDays}, expected at most retention.visitsDays (${config.retention.visitsDays}): older presence data is already deleted`,
    });
  }
  if (!isTimeZone(privacy.timeZone)) {
    problems.push({
      path: '/privacy/timeZone',
      message: `is "${privacy.timeZone}", expected an IANA time zone such as "Europe/Berlin" or "UTC"`,
    });
  }
  if (!validateCron(privacy.schedule.releases)) {
    problems.push({
      path: '/privacy/schedule/releases',
      message: `is "${privacy.schedule.releases}", expected a cron expression such as "20 1 * * *"`,
    });
  }
  const { periodRho, lifetimeRho } = privacy.budget;
  for (const [kind, release] of Object.entries(privacy.releases)) {
    if (release.enabled && release.rho > periodRho) {
      problems.push({
        path: `/privacy/releases/${kind}/rho`,
        message: `is ${release.rho}, expected at most budget.periodRho (${periodRho}): one release may not cost more than the period's cap`,
      });
    }
  }
  if (privacy.releases.itemStatistics.enabled && privacy.releases.itemStatistics.catalogFile === undefined) {
    problems.push({
      path: '/privacy/releases/itemStatistics/catalogFile',
      message: 'is required when itemStatistics is enabled, expected the public item catalog (one code per line)',
    });
  }
  if (lifetimeRho !== undefined && lifetimeRho < periodRho) {
    problems.push({
      path: '/privacy/budget/lifetimeRho',
      message: `is ${lifetimeRho}, expected at least budget.periodRho (${periodRho}): a shopper must be able to take part in one period`,
    });
  }
  if (!validateCron(upstream.cron)) {
    problems.push({
      path: '/upstream/cron',
      message: `is "${upstream.cron}", expected a cron expression such as "* * * * *"`,
    });
  }
  if (upstream.backoff.maxSeconds < upstream.backoff.initialSeconds) {
    problems.push({
      path: '/upstream/backoff/maxSeconds',
      message: `is ${upstream.backoff.maxSeconds}, expected at least initialSeconds (${upstream.backoff.initialSeconds})`,
    });
  }
  if (upstream.enabled) {
    const url = parseUrl(upstream.url);
    if (url === null) {
      problems.push({
        path: '/upstream/url',
        message: `is ${upstream.url === undefined ? 'missing' : `"${upstream.url}"`}, expected the collector URL (https://…) or the upstream broker URL (mqtts://…)`,
      });
    } else if (upstream.transport === 'https') {
      if (!(url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname)))) {
        problems.push({
          path: '/upstream/url',
          message: `is "${upstream.url}", expected an https:// URL (plain http:// only to a loopback address)`,
        });
      }
      if (upstream.signingKeyFile === undefined) {
        problems.push({
          path: '/upstream/signingKeyFile',
          message: 'is required for the https transport (the store key file written by provisioning)',
        });
      }
    } else if (!(url.protocol === 'mqtts:' || (url.protocol === 'mqtt:' && LOOPBACK.has(url.hostname)))) {
      problems.push({
        path: '/upstream/url',
        message: `is "${upstream.url}", expected an mqtts:// URL for the mqtt transport (plain mqtt:// only to a loopback address)`,
      });
    }
  }
  return problems;
}
