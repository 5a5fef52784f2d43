import { AppError } from '../../errors.ts';
import { boundContributions } from '../../privacy/transformations/contribution-bounding.ts';
import type { RandomSource } from '../../ports/random.ts';
import type { RawValue } from '../core/encode.ts';
import type { ColumnSpec, SynthSchema } from '../core/schema.ts';

/**
 * Shopper-visit records for the weekly synthetic-visits release (docs/synthetic-data.md §8), pure.
 *
 * One record per visit over a public zone list: for each zone a 0/1 "visited" column and an
 * ordinal dwell column (0 = not visited, 1..5 = the dwell buckets < 5, 5–15, 15–30, 30–60, ≥ 60 min),
 * the start hour (0..23, store time), the weekday (0 = Monday … 6 = Sunday) and the repeat flag.
 * Ordinal (not one-hot) dwell, hour and weekday: one centred coordinate each, bound (G/2)², where a
 * one-hot block would cost G² — a quarter of the sensitivity for each, at the price of averaging
 * neighbouring values inside a group.
 */

export interface ShopperVisit {
  /** The privacy unit (one shopper over the budget period). */
  readonly shopper: string;
  /** Unique per visit of this shopper (e.g. the visit's start time). */
  readonly visit: string;
  /** Dwell seconds per zone visited (zones not listed were not visited). */
  readonly dwellSeconds: Readonly<Record<string, number>>;
  readonly startHour: number;
  readonly weekday: number;
  readonly repeat: boolean;
}

/** Upper edges of the dwell buckets, minutes: bucket i (1-based) is [EDGE[i−2], EDGE[i−1]). */
export const DWELL_BUCKET_EDGES_MINUTES = [5, 15, 30, 60] as const;
export const DWELL_BUCKET_LABELS = ['<5', '5-15', '15-30', '30-60', '>=60'] as const;

/** 0 for no dwell, else 1..5. */
export function dwellBucket(seconds: number): number {
  if (!(seconds > 0)) return 0;
  const minutes = seconds / 60;
  const index = DWELL_BUCKET_EDGES_MINUTES.findIndex((edge) => minutes < edge);
  return index < 0 ? DWELL_BUCKET_EDGES_MINUTES.length + 1 : index + 1;
}

export function visitSchema(zones: readonly string[]): SynthSchema {
  if (zones.length === 0 || new Set(zones).size !== zones.length) {
    throw new AppError(
      'DP_INVALID_PARAMETER',
      `zones is [${zones.join(', ')}], expected a non-empty list of distinct zones`,
    );
  }
  const columns: ColumnSpec[] = [];
  for (const zone of zones) {
    columns.push({ name: `visited:${zone}`, kind: 'categorical', categories: ['0', '1'] });
    columns.push({ name: `dwell:${zone}`, kind: 'numeric', lo: 0, hi: 5, decimals: 0 });
  }
  columns.push(
    { name: 'hour', kind: 'numeric', lo: 0, hi: 23, decimals: 0 },
    { name: 'weekday', kind: 'numeric', lo: 0, hi: 6, decimals: 0 },
    { name: 'repeat', kind: 'categorical', categories: ['0', '1'] },
  );
  return { columns };
}

function checkVisit(visit: ShopperVisit, zones: ReadonlySet<string>, index: number): void {
  const where = `visits[${index}]`;
  if (!Number.isInteger(visit.startHour) || visit.startHour < 0 || visit.startHour > 23) {
    throw new AppError('SYNTH_BAD_VALUE', `${where}.startHour is ${visit.startHour}, expected an integer 0..23`);
  }
  if (!Number.isInteger(visit.weekday) || visit.weekday < 0 || visit.weekday > 6) {
    throw new AppError(
      'SYNTH_BAD_VALUE',
      `${where}.weekday is ${visit.weekday}, expected an integer 0..6 (0 = Monday)`,
    );
  }
  for (const [zone, seconds] of Object.entries(visit.dwellSeconds)) {
    if (!zones.has(zone)) {
      throw new AppError('SYNTH_BAD_VALUE', `${where} names zone "${zone}", expected one of: ${[...zones].join(', ')}`);
    }
    if (!(Number.isFinite(seconds) && seconds >= 0)) {
      throw new AppError('SYNTH_BAD_VALUE', `${where}.dwellSeconds["${zone}"] is ${seconds}, expected seconds ≥ 0`);
    }
  }
}

/** A visit as a row of visitSchema(zones). */
export function visitRow(visit: ShopperVisit, zones: readonly string[]): RawValue[] {
  const row: RawValue[] = [];
  for (const zone of zones) {
    const seconds = visit.dwellSeconds[zone];
    const visited = seconds !== undefined && seconds > 0;
    row.push(visited ? '1' : '0', visited ? dwellBucket(seconds) : 0);
  }
  row.push(visit.startHour, visit.weekday, visit.repeat ? '1' : '0');
  return row;
}

/**
 * Per-shopper contribution bounding: at most `maxVisitsPerShopper` (K) visits per shopper are kept,
 * the K with the smallest HMAC-SHA256 priorities under a fresh key (shared/privacy contribution
 * bounding, one "cell" per visit). A shopper's kept visits depend on their own visits and the key
 * only, so adding or removing a shopper adds or removes at most K records: the synthesizer's
 * sensitivity is K·R (docs/synthetic-data.md §8). Every visit is validated first.
 */
export function boundVisits(
  visits: readonly ShopperVisit[],
  zones: readonly string[],
  maxVisitsPerShopper: number,
  rng: RandomSource,
): ShopperVisit[] {
  const known = new Set(zones);
  visits.forEach((visit, i) => checkVisit(visit, known, i));
  const bounded = boundContributions(
    visits.map((visit, index) => ({ unit: visit.shopper, cell: visit.visit, index })),
    { maxCellsPerUnit: maxVisitsPerShopper, maxPerCell: 1, rng },
  );
  return bounded.rows.map((row) => visits[row.index] as ShopperVisit);
}
