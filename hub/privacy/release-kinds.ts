import type { Database } from 'better-sqlite3';
import { rational, rationalFromDecimal } from '../../shared/privacy/rational.ts';
import type { PrivacyConfig } from './config.schema.ts';
import type { ReleaseContext, ReleaseDefinition, SourceRow } from './release-definition.ts';

/**
 * The built-in releases (docs/privacy.md), read from the presence model's tables:
 *   zone_windows (shopper_pk, window_start, window_seconds, zone)  one zone per shopper-window
 *   visits (shopper_pk, started_at, last_seen_at, ended_at)
 * Times there are Unix seconds; a window belongs to the hour its start falls in.
 *
 * | kind        | period | cells                  | per shopper                                   |
 * |-------------|--------|------------------------|-----------------------------------------------|
 * | footfall    | hour   | zones                  | 1 per zone visited; ≤ K zones per day          |
 * | visits      | hour   | "store"                | 1 if a visit started in the hour; ≤ H per day  |
 * | dwell       | hour   | zones                  | seconds in the zone, clamped [0, maxSeconds]; sum + count; ≤ K per day |
 * | transitions | day    | ordered pairs "a>b"    | 1 per distinct pair moved along in a visit; ≤ T per day |
 */

const ALL = rational(1n);
const HALF = rational(1n, 2n);

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/**
 * Seconds per (shopper, zone) in the hour, read once per run for footfall and dwell (the covering
 * index privacy_zone_windows_hour answers it from the index alone).
 */
function zoneHourRows(db: Database, context: ReleaseContext): readonly SourceRow[] {
  const key = `zone-hour:${context.period.startMs}`;
  let rows = context.cache.get(key) as SourceRow[] | undefined;
  if (rows === undefined) {
    rows = db
      .prepare(
        'SELECT shopper_pk AS shopperPk, zone AS cell, SUM(window_seconds) AS value FROM zone_windows WHERE window_start >= ? AND window_start < ? GROUP BY shopper_pk, zone',
      )
      .all(seconds(context.period.startMs), seconds(context.period.endMs)) as SourceRow[];
    context.cache.set(key, rows);
  }
  return rows;
}

function footfall(config: PrivacyConfig['releases']['footfall']): ReleaseDefinition {
  return {
    kind: 'footfall',
    unit: 'hour',
    cells: ({ zones }) => zones,
    rows: (db, context) => zoneHourRows(db, context).map((r) => ({ shopperPk: r.shopperPk, cell: r.cell })),
    measures: [{ metric: 'shoppers', query: 'count', share: ALL }],
    maxCellsPerDay: config.maxZonesPerDay,
    rho: rationalFromDecimal(config.rho, 'privacy.releases.footfall.rho'),
  };
}

export const STORE_CELL = 'store';

function visits(config: PrivacyConfig['releases']['visits']): ReleaseDefinition {
  return {
    kind: 'visits',
    unit: 'hour',
    cells: () => [STORE_CELL],
    rows: (db, { period }) =>
      db
        .prepare(
          `SELECT DISTINCT shopper_pk AS shopperPk, '${STORE_CELL}' AS cell FROM visits WHERE started_at >= ? AND started_at < ?`,
        )
        .iterate(seconds(period.startMs), seconds(period.endMs)) as Iterable<SourceRow>,
    measures: [{ metric: 'visitors', query: 'count', share: ALL }],
    maxCellsPerDay: config.maxHoursPerDay,
    rho: rationalFromDecimal(config.rho, 'privacy.releases.visits.rho'),
  };
}

function dwell(config: PrivacyConfig['releases']['dwell']): ReleaseDefinition {
  return {
    kind: 'dwell',
    unit: 'hour',
    cells: ({ zones }) => zones,
    rows: zoneHourRows,
    measures: [
      { metric: 'dwellSeconds', query: 'sum', clamp: { lo: 0, hi: config.maxSeconds }, share: HALF },
      { metric: 'shoppers', query: 'count', share: HALF },
    ],
    maxCellsPerDay: config.maxZonesPerDay,
    rho: rationalFromDecimal(config.rho, 'privacy.releases.dwell.rho'),
  };
}

/** "a>b": zone ids are [a-z0-9-], so ">" cannot occur inside one. */
export function transitionCell(from: string, to: string): string {
  return `${from}>${to}`;
}

function* transitionRows(db: Database, context: ReleaseContext, gapSeconds: number): Iterable<SourceRow> {
  const rows = db
    .prepare(
      'SELECT shopper_pk AS pk, window_start AS start, window_seconds AS length, zone FROM zone_windows WHERE window_start >= ? AND window_start < ? ORDER BY shopper_pk, window_start',
    )
    .iterate(seconds(context.period.startMs), seconds(context.period.endMs)) as Iterable<{
    pk: number;
    start: number;
    length: number;
    zone: string;
  }>;
  let shopper = -1;
  let previous: { end: number; zone: string } | null = null;
  let seen = new Set<string>();
  for (const row of rows) {
    if (row.pk !== shopper) {
      shopper = row.pk;
      previous = null;
      seen = new Set();
    }
    if (previous !== null && row.zone !== previous.zone && row.start - previous.end <= gapSeconds) {
      const cell = transitionCell(previous.zone, row.zone);
      if (!seen.has(cell)) {
        seen.add(cell);
        yield { shopperPk: row.pk, cell };
      }
    }
    previous = { end: row.start + row.length, zone: row.zone };
  }
}

function transitions(config: PrivacyConfig['releases']['transitions'], gapSeconds: number): ReleaseDefinition {
  return {
    kind: 'transitions',
    unit: 'day',
    cells: ({ zones }) =>
      zones.flatMap((from) => zones.filter((to) => to !== from).map((to) => transitionCell(from, to))),
    rows: (db, context) => transitionRows(db, context, gapSeconds),
    measures: [{ metric: 'shoppers', query: 'count', share: ALL }],
    maxCellsPerDay: config.maxPairsPerDay,
    rho: rationalFromDecimal(config.rho, 'privacy.releases.transitions.rho'),
  };
}

/**
 * The enabled built-in releases. `visitGapSeconds` (the presence model's) decides which
 * consecutive zone windows belong to one visit for transitions.
 */
export function builtInReleases(config: PrivacyConfig, options: { visitGapSeconds: number }): ReleaseDefinition[] {
  const r = config.releases;
  return [
    ...(r.footfall.enabled ? [footfall(r.footfall)] : []),
    ...(r.visits.enabled ? [visits(r.visits)] : []),
    ...(r.dwell.enabled ? [dwell(r.dwell)] : []),
    ...(r.transitions.enabled ? [transitions(r.transitions, options.visitGapSeconds)] : []),
  ];
}
