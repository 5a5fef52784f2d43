import type { Database } from 'better-sqlite3';
import { uniformInt } from '../../shared/ports/random.ts';
import { rational, rationalFromDecimal } from '../../shared/privacy/rational.ts';
import { makeLocalClock, type LocalClock } from '../../shared/time/local-calendar.ts';
import type { PrivacyConfig } from './config.schema.ts';
import type { AnyReleaseDefinition, ReleaseContext, ReleaseDefinition, SourceRow } from './release-definition.ts';
import { itemStatisticsReleases, type ItemStatisticsDeps } from './item-statistics-release.ts';
import { syntheticVisitsRelease } from './synthetic-visits-release.ts';
import { AppError } from '../../shared/errors.ts';

/**
 * The built-in releases (docs/privacy.md §4), read from the presence model's tables:
 *   zone_windows (shopper_pk, window_start, window_seconds, zone)  one zone per shopper-window
 *   visits (pk, shopper_pk, started_at, last_seen_at, ended_at), visit_zones (visit_pk, zone, dwell_seconds)
 * Times there are Unix seconds. A window (day, week) reads only rows that start inside it, so
 * every release reads only its budget period's data.
 *
 * | kind        | window | cells                          | per shopper                                          |
 * |-------------|--------|--------------------------------|------------------------------------------------------|
 * | footfall    | day    | zones                          | 1 per zone visited; ≤ maxZonesPerDay zones            |
 * | visits      | day    | local hours "00"…"23"          | 1 per hour a visit started in; ≤ maxVisitsPerDay hours |
 * | dwell       | week   | "zone|bucket"                  | one visit (at random): 1 per zone it reached, in the bucket of its dwell there; ≤ maxZonesPerVisit |
 * | repeat      | week   | "visitors", "repeatVisitors"   | 1 if seen; 1 if seen on ≥ 2 local days                |
 * | transitions | week   | ordered pairs "a>b"            | 1 per distinct pair moved along in a visit; ≤ maxPairsPerWeek |
 * | conversion  | day    | "visitors", "buyers"           | 1 if a visit started that day; 1 if also a POS purchase that day |
 * | synthetic-visits | week | visit columns (rows layout) | ≤ maxVisitsPerWeek visits, through the DP synthesizer |
 * | item-supports, item-covariance | period | catalog items / item pairs | weighted so one shopper moves each by ≤ 1 in L2 (item-statistics-release.ts) |
 */

const ALL = rational(1n);

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function windowSeconds(context: ReleaseContext): [number, number] {
  return [seconds(context.window.startMs), seconds(context.window.endMs)];
}

/** Distinct (shopper, zone) pairs of the window, read once per run (footfall; the covering index answers it). */
function zonePairs(db: Database, context: ReleaseContext): readonly SourceRow[] {
  const key = `zone-pairs:${context.window.label}`;
  let rows = context.cache.get(key) as SourceRow[] | undefined;
  if (rows === undefined) {
    rows = db
      .prepare(
        'SELECT DISTINCT shopper_pk AS shopperPk, zone AS cell FROM zone_windows WHERE window_start >= ? AND window_start < ?',
      )
      .all(...windowSeconds(context)) as SourceRow[];
    context.cache.set(key, rows);
  }
  return rows;
}

function footfall(config: PrivacyConfig['releases']['footfall']): ReleaseDefinition {
  return {
    kind: 'footfall',
    window: 'day',
    cells: ({ zones }) => zones,
    rows: zonePairs,
    measures: [{ metric: 'shoppers', query: 'count', share: ALL }],
    maxCellsPerShopper: config.maxZonesPerDay,
    rho: rationalFromDecimal(config.rho, 'privacy.releases.footfall.rho'),
  };
}

export const HOUR_CELLS: readonly string[] = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));

/** The local clock hour ("00"…"23") of a Unix-seconds instant: on a fall-back day both "02" hours share a cell. */
export function localHourCell(unixSeconds: number, clock: LocalClock): string {
  return HOUR_CELLS[Math.floor(clock(unixSeconds * 1000).minuteOfDay / 60)] as string;
}

function visits(config: PrivacyConfig['releases']['visits']): ReleaseDefinition {
  return {
    kind: 'visits',
    window: 'day',
    cells: () => HOUR_CELLS,
    *rows(db, context) {
      const seen = new Set<string>();
      const clock = makeLocalClock(context.timeZone);
      const rows = db
        .prepare('SELECT shopper_pk AS pk, started_at AS start FROM visits WHERE started_at >= ? AND started_at < ?')
        .iterate(...windowSeconds(context)) as Iterable<{ pk: number; start: number }>;
      for (const row of rows) {
        const cell = localHourCell(row.start, clock);
        const key = `${row.pk}|${cell}`;
        if (seen.has(key)) continue;
        seen.add(key);
        yield { shopperPk: row.pk, cell };
      }
    },
    measures: [{ metric: 'visitors', query: 'count', share: ALL }],
    maxCellsPerShopper: config.maxVisitsPerDay,
    rho: rationalFromDecimal(config.rho, 'privacy.releases.visits.rho'),
  };
}

/** Dwell buckets in minutes: [lower, upper) bounds and their cell labels. */
export const DWELL_BUCKETS: readonly { readonly label: string; readonly fromSeconds: number }[] = [
  { label: '<5', fromSeconds: 0 },
  { label: '5-15', fromSeconds: 300 },
  { label: '15-30', fromSeconds: 900 },
  { label: '30-60', fromSeconds: 1800 },
  { label: '>=60', fromSeconds: 3600 },
];

export function dwellBucket(dwellSeconds: number): string {
  let label = DWELL_BUCKETS[0]?.label as string;
  for (const bucket of DWELL_BUCKETS) if (dwellSeconds >= bucket.fromSeconds) label = bucket.label;
  return label;
}

export function dwellCell(zone: string, bucket: string): string {
  return `${zone}|${bucket}`;
}

function dwell(config: PrivacyConfig['releases']['dwell']): ReleaseDefinition {
  return {
    kind: 'dwell',
    window: 'week',
    cells: ({ zones }) => zones.flatMap((zone) => DWELL_BUCKETS.map((b) => dwellCell(zone, b.label))),
    *rows(db, context) {
      // One visit per shopper-week, uniformly at random among the shopper's visits that started
      // in the window (reservoir sampling: the choice depends on that shopper's own visits only).
      const chosen = new Map<number, { visit: number; seen: number }>();
      const visitsOf = db
        .prepare('SELECT pk, shopper_pk AS shopper FROM visits WHERE started_at >= ? AND started_at < ?')
        .iterate(...windowSeconds(context)) as Iterable<{ pk: number; shopper: number }>;
      for (const v of visitsOf) {
        const entry = chosen.get(v.shopper);
        if (entry === undefined) chosen.set(v.shopper, { visit: v.pk, seen: 1 });
        else {
          entry.seen += 1;
          if (uniformInt(context.rng, entry.seen) === 0) entry.visit = v.pk;
        }
      }
      const zonesOf = db.prepare('SELECT zone, dwell_seconds AS dwell FROM visit_zones WHERE visit_pk = ?');
      for (const [shopper, { visit }] of chosen) {
        for (const z of zonesOf.all(visit) as Array<{ zone: string; dwell: number }>) {
          yield { shopperPk: shopper, cell: dwellCell(z.zone, dwellBucket(z.dwell)) };
        }
      }
    },
    measures: [{ metric: 'visits', query: 'count', share: ALL }],
    maxCellsPerShopper: config.maxZonesPerVisit,
    rho: rationalFromDecimal(config.rho, 'privacy.releases.dwell.rho'),
  };
}

function repeat(config: PrivacyConfig['releases']['repeat']): ReleaseDefinition {
  return {
    kind: 'repeat',
    window: 'week',
    cells: () => ['visitors', 'repeatVisitors'],
    *rows(db, context) {
      const days = new Map<number, Set<number>>();
      const clock = makeLocalClock(context.timeZone);
      const rows = db
        .prepare('SELECT shopper_pk AS pk, started_at AS start FROM visits WHERE started_at >= ? AND started_at < ?')
        .iterate(...windowSeconds(context)) as Iterable<{ pk: number; start: number }>;
      for (const row of rows) {
        const set = days.get(row.pk) ?? new Set<number>();
        days.set(row.pk, set);
        set.add(clock(row.start * 1000).day);
      }
      for (const [pk, set] of days) {
        yield { shopperPk: pk, cell: 'visitors' };
        if (set.size >= 2) yield { shopperPk: pk, cell: 'repeatVisitors' };
      }
    },
    measures: [{ metric: 'shoppers', query: 'count', share: ALL }],
    maxCellsPerShopper: 2,
    rho: rationalFromDecimal(config.rho, 'privacy.releases.repeat.rho'),
  };
}

/** "a>b": zone ids are [a-z0-9-], so ">" cannot occur inside one. */
export function transitionCell(from: string, to: string): string {
  return `${from}>${to}`;
}

function* transitionRows(db: Database, context: ReleaseContext, gapSeconds: number): Iterable<SourceRow> {
  const [from, to] = windowSeconds(context);
  // Per shopper seen in the window, their zone windows by the primary key (shopper, start): a
  // range read each, already in time order. (Measured: a scan of the whole window sorted by
  // shopper, or a window function over it, is slower by half or more.)
  const shoppers = db
    .prepare(
      'SELECT DISTINCT shopper_pk FROM zone_windows INDEXED BY privacy_zone_windows_hour WHERE window_start >= ? AND window_start < ?',
    )
    .pluck()
    .all(from, to) as number[];
  const windowsOf = db.prepare(
    'SELECT window_start AS start, window_seconds AS length, zone FROM zone_windows WHERE shopper_pk = ? AND window_start >= ? AND window_start < ? ORDER BY window_start',
  );
  for (const pk of shoppers) {
    let previous: { end: number; zone: string } | null = null;
    const seen = new Set<string>();
    for (const row of windowsOf.all(pk, from, to) as Array<{ start: number; length: number; zone: string }>) {
      if (previous !== null && row.zone !== previous.zone && row.start - previous.end <= gapSeconds) {
        const cell = transitionCell(previous.zone, row.zone);
        if (!seen.has(cell)) {
          seen.add(cell);
          yield { shopperPk: pk, cell };
        }
      }
      previous = { end: row.start + row.length, zone: row.zone };
    }
  }
}

function transitions(config: PrivacyConfig['releases']['transitions'], gapSeconds: number): ReleaseDefinition {
  return {
    kind: 'transitions',
    window: 'week',
    cells: ({ zones }) =>
      zones.flatMap((from) => zones.filter((to) => to !== from).map((to) => transitionCell(from, to))),
    rows: (db, context) => transitionRows(db, context, gapSeconds),
    measures: [{ metric: 'shoppers', query: 'count', share: ALL }],
    maxCellsPerShopper: config.maxPairsPerWeek,
    rho: rationalFromDecimal(config.rho, 'privacy.releases.transitions.rho'),
  };
}

function conversion(config: PrivacyConfig['releases']['conversion']): ReleaseDefinition {
  return {
    kind: 'conversion',
    window: 'day',
    cells: () => ['visitors', 'buyers'],
    *rows(db, context) {
      const [from, to] = windowSeconds(context);
      const visitors = db
        .prepare('SELECT DISTINCT shopper_pk FROM visits WHERE started_at >= ? AND started_at < ?')
        .pluck()
        .all(from, to) as number[];
      const buyers = new Set(
        db
          .prepare("SELECT DISTINCT shopper_pk FROM offer_purchases WHERE source = 'pos' AND at_ms >= ? AND at_ms < ?")
          .pluck()
          .all(context.window.startMs, context.window.endMs) as number[],
      );
      for (const pk of visitors) {
        yield { shopperPk: pk, cell: 'visitors' };
        if (buyers.has(pk)) yield { shopperPk: pk, cell: 'buyers' };
      }
    },
    measures: [{ metric: 'shoppers', query: 'count', share: ALL }],
    maxCellsPerShopper: 2,
    rho: rationalFromDecimal(config.rho, 'privacy.releases.conversion.rho'),
  };
}

/**
 * The enabled built-in releases. `visitGapSeconds` (the presence model's) decides which
 * consecutive zone windows belong to one visit for transitions.
 */
export function builtInReleases(
  config: PrivacyConfig,
  options: { visitGapSeconds: number; itemStatistics?: ItemStatisticsDeps | undefined },
): AnyReleaseDefinition[] {
  const r = config.releases;
  if (r.itemStatistics.enabled && options.itemStatistics === undefined)
    throw new AppError('CFG_INVALID', 'privacy.releases.itemStatistics is enabled but no item catalog was loaded');
  return [
    ...(r.footfall.enabled ? [footfall(r.footfall)] : []),
    ...(r.visits.enabled ? [visits(r.visits)] : []),
    ...(r.dwell.enabled ? [dwell(r.dwell)] : []),
    ...(r.repeat.enabled ? [repeat(r.repeat)] : []),
    ...(r.transitions.enabled ? [transitions(r.transitions, options.visitGapSeconds)] : []),
    ...(r.conversion.enabled ? [conversion(r.conversion)] : []),
    ...(r.syntheticVisits.enabled ? [syntheticVisitsRelease(r.syntheticVisits, config.delta)] : []),
    // Supports before covariance: round 2 may read round 1's release of the same period.
    ...(r.itemStatistics.enabled && options.itemStatistics !== undefined
      ? itemStatisticsReleases(r.itemStatistics, options.itemStatistics)
      : []),
  ];
}
