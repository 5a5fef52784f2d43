import { Type, type Static } from '@sinclair/typebox';
import { validate as validateCron } from 'node-cron';
import { ID_PATTERN } from '../../shared/protocol/topics.ts';
import type { Problem } from '../../shared/validation.ts';
import { isTimeZone } from '../../shared/time/local-calendar.ts';

/**
 * The `privacy` and `upstream` sections of hub.yaml (added to HubConfigSchema). Defaults live
 * here. docs/privacy.md explains every parameter and the guarantee it gives.
 */
const closed = { additionalProperties: false } as const;
const FilePath = Type.String({ minLength: 1 });
/** ρ of one release for a shopper at the contribution bound (zCDP). */
const Rho = (fallback: number) => Type.Number({ exclusiveMinimum: 0, maximum: 10, default: fallback });
const Enabled = Type.Boolean({ default: true });

const ReleasesSection = Type.Object(
  {
    /** Distinct shoppers per zone-hour: ≤ 1 per cell, ≤ maxZonesPerDay cells per shopper-day (K). */
    footfall: Type.Object(
      { enabled: Enabled, rho: Rho(0.05), maxZonesPerDay: Type.Integer({ minimum: 1, maximum: 1000, default: 8 }) },
      { ...closed, default: {} },
    ),
    /** Distinct shoppers starting a visit per hour: ≤ 1 per hour, ≤ maxHoursPerDay hours per shopper-day. */
    visits: Type.Object(
      { enabled: Enabled, rho: Rho(0.02), maxHoursPerDay: Type.Integer({ minimum: 1, maximum: 25, default: 4 }) },
      { ...closed, default: {} },
    ),
    /** Dwell seconds per shopper-zone-hour clamped to [0, maxSeconds]: noisy sum and noisy count (ρ split evenly). */
    dwell: Type.Object(
      {
        enabled: Enabled,
        rho: Rho(0.05),
        maxZonesPerDay: Type.Integer({ minimum: 1, maximum: 1000, default: 8 }),
        maxSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 1800 }),
      },
      { ...closed, default: {} },
    ),
    /** Ordered zone → zone pairs per day: ≤ 1 per pair, ≤ maxPairsPerDay pairs per shopper-day (T). */
    transitions: Type.Object(
      { enabled: Enabled, rho: Rho(0.05), maxPairsPerDay: Type.Integer({ minimum: 1, maximum: 1000, default: 8 }) },
      { ...closed, default: {} },
    ),
  },
  { ...closed, default: {} },
);

export const PrivacySection = Type.Object(
  {
    /** Compute and store DP releases on the schedule (the upstream section decides whether they leave). */
    enabled: Type.Boolean({ default: true }),
    /** IANA zone of the store: hours, days and the ledger's shopper-days are local to it. */
    timeZone: Type.String({ minLength: 1, default: 'UTC' }),
    mechanism: Type.Union([Type.Literal('discrete-gaussian'), Type.Literal('discrete-laplace')], {
      default: 'discrete-gaussian',
    }),
    /** δ used to report each ρ as (ε, δ)-DP (reporting only; zCDP is what is accounted). */
    delta: Type.Number({ exclusiveMinimum: 0, maximum: 0.001, default: 1e-6 }),
    /** Per-shopper caps of the zCDP ledger (privacy filter). */
    budget: Type.Object(
      { dailyRho: Rho(0.3), thirtyDayRho: Type.Number({ exclusiveMinimum: 0, maximum: 300, default: 3 }) },
      { ...closed, default: {} },
    ),
    /** node-cron expressions, in timeZone: hourly releases for the previous hour, daily ones for the previous day. */
    schedule: Type.Object(
      { hourly: Type.String({ default: '5 * * * *' }), daily: Type.String({ default: '15 0 * * *' }) },
      { ...closed, default: {} },
    ),
    /** An hour (day) is released only once it ended at least this long ago (late gateway batches). */
    settleSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 60 }),
    /** After downtime, missed periods up to this many days back are computed (older ones are skipped and logged). */
    maxCatchUpDays: Type.Integer({ minimum: 1, maximum: 30, default: 7 }),
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
  for (const name of ['hourly', 'daily'] as const) {
    if (!validateCron(privacy.schedule[name])) {
      problems.push({
        path: `/privacy/schedule/${name}`,
        message: `is "${privacy.schedule[name]}", expected a cron expression such as "${name === 'hourly' ? '5 * * * *' : '15 0 * * *'}"`,
      });
    }
  }
  if (privacy.budget.thirtyDayRho < privacy.budget.dailyRho) {
    problems.push({
      path: '/privacy/budget/thirtyDayRho',
      message: `is ${privacy.budget.thirtyDayRho}, expected at least dailyRho (${privacy.budget.dailyRho})`,
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
