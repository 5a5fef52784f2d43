import { AppError } from '../../errors.ts';
import type { ReleaseMeasureV2 } from '../../upstream/release-payload-v2.ts';
import { DWELL_BUCKET_LABELS } from './visit-records.ts';

/**
 * HQ's reading of a synthetic-visits release (docs/synthetic-data.md §8): the "centredSum" rows
 * back into synthetic visit records, post-processing only. A group's mean of a column is
 * u = ½ + value/count, clamped to [0, 1], then rescaled (dwell ordinal 0..5 — 0 for visits that
 * skipped the zone —, hour 0..23, weekday 0..6); groups whose noisy count is below `minCount` (default: a quarter of the stated group size)
 * are dropped. `records` rounds each group to one concrete visit (visited when the share ≥ ½, the
 * dwell bucket nearest to the zone's mean ordinal among visits to it, the nearest hour and weekday), weighted by its count.
 */

export interface VisitGroup {
  /** Noisy number of visits in the group. */
  readonly weight: number;
  readonly zones: readonly { zone: string; visitedShare: number; dwellOrdinal: number }[];
  readonly hour: number;
  readonly weekday: number;
  readonly repeatShare: number;
}

export interface SyntheticVisitRecord {
  readonly weight: number;
  /** Zones visited, each with its dwell bucket label (e.g. "15-30"). */
  readonly zones: readonly { zone: string; dwell: string }[];
  readonly hour: number;
  readonly weekday: number;
  readonly repeat: boolean;
}

export interface DecodedSyntheticVisits {
  readonly groups: readonly VisitGroup[];
  readonly records: readonly SyntheticVisitRecord[];
}

function bad(message: string): AppError {
  return new AppError('SYNTH_BAD_RELEASE', message);
}

function scaleOf(granularity: string): number {
  const match = /^1\/(\d+)$/.exec(granularity);
  const scale = match === null ? Number.NaN : Number(match[1]);
  if (!Number.isSafeInteger(scale) || scale < 2)
    throw bad(`granularity is "${granularity}", expected "1/G" with G ≥ 2`);
  return scale;
}

function zonesOf(cells: readonly string[]): string[] {
  const tail = ['hour', 'weekday', 'repeat', 'count'];
  if (cells.length < 6 || cells.slice(-4).join() !== tail.join() || (cells.length - 4) % 2 !== 0) {
    throw bad(
      `cells are [${cells.join(', ')}], expected visited:Z, dwell:Z per zone, then hour, weekday, repeat, count`,
    );
  }
  const zones: string[] = [];
  for (let i = 0; i < cells.length - 4; i += 2) {
    const visited = cells[i] as string;
    const zone = visited.slice('visited:'.length);
    if (!visited.startsWith('visited:') || cells[i + 1] !== `dwell:${zone}`) {
      throw bad(`cells ${i} and ${i + 1} are "${visited}", "${cells[i + 1]}", expected "visited:Z", "dwell:Z"`);
    }
    zones.push(zone);
  }
  return zones;
}

export function decodeSyntheticVisits(
  release: {
    readonly cells: readonly string[];
    readonly measures: readonly ReleaseMeasureV2[];
    readonly bounds?: Readonly<Record<string, number>>;
  },
  options: { readonly minCount?: number } = {},
): DecodedSyntheticVisits {
  const zones = zonesOf(release.cells);
  const measure = release.measures.find((m) => m.metric === 'centredSum');
  if (measure === undefined || measure.layout !== 'rows' || measure.rows === undefined) {
    throw bad('the release has no "centredSum" measure in the "rows" layout');
  }
  const width = release.cells.length;
  if (measure.values.length !== measure.rows * width) {
    throw bad(`centredSum has ${measure.values.length} values, expected ${measure.rows} rows × ${width} cells`);
  }
  const scale = scaleOf(measure.granularity);
  const minCount = options.minCount ?? (release.bounds?.groupSize ?? 4) / 4;
  const groups: VisitGroup[] = [];
  for (let r = 0; r < measure.rows; r++) {
    const row = measure.values.slice(r * width, (r + 1) * width);
    const count = (row[width - 1] as number) / scale;
    if (!(count >= minCount) || count <= 0) continue;
    const unit = (j: number): number => Math.min(1, Math.max(0, 0.5 + (row[j] as number) / scale / count));
    groups.push({
      weight: count,
      zones: zones.map((zone, z) => ({ zone, visitedShare: unit(2 * z), dwellOrdinal: 5 * unit(2 * z + 1) })),
      hour: 23 * unit(width - 4),
      weekday: 6 * unit(width - 3),
      repeatShare: unit(width - 2),
    });
  }
  const records = groups.map((g) => ({
    weight: g.weight,
    zones: g.zones
      .filter((z) => z.visitedShare >= 0.5)
      .map((z) => ({
        zone: z.zone,
        // The dwell ordinal is 0 for visits that skipped the zone: condition on visiting it.
        dwell: DWELL_BUCKET_LABELS[Math.min(4, Math.max(0, Math.round(z.dwellOrdinal / z.visitedShare) - 1))] as string,
      })),
    hour: Math.round(g.hour),
    weekday: Math.round(g.weekday),
    repeat: g.repeatShare >= 0.5,
  }));
  return { groups, records };
}
