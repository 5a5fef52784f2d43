import type { RandomSource } from '../../../shared/ports/random.ts';
import { DEFAULT_HOURLY_SHAPE } from '../core/arrivals.ts';
import { Sampler } from '../core/sampler.ts';

/**
 * A presence-level store model (docs/simulator.md#presence-level-model): shoppers, their visits,
 * and the zones each visit reaches with its dwell — the same quantities the hub's presence model
 * writes — without any radio. It is the ground truth for the privacy utility benchmark (and for
 * chains of many stores, where radio is not the point).
 *
 * - Zones: an entrance (short dwell), a checkout, and Z − 2 departments with log-normal dwell.
 *   With Z < 3 there is no checkout; with Z = 1 only the entrance.
 * - Movement: a visit starts in the entrance, then moves zone to zone by attraction; after each
 *   department it heads for the checkout and out with probability `leaveProbability`.
 * - Shoppers: a mix of regulars (several days a week), weekly and occasional shoppers, sized so
 *   that a day has `visitsPerDay` visits on average; each visit day's start is drawn from the
 *   retail arrival curve over the opening hours.
 */

export interface ZoneModel {
  readonly id: string;
  readonly meanDwellSeconds: number;
  readonly sigma: number;
  readonly attraction: number;
}

export interface VisitZone {
  readonly zone: string;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly dwellSeconds: number;
}

export interface SimVisit {
  readonly shopper: number;
  /** Unix seconds. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** In the order first reached; a zone reached twice appears once, with its total dwell. */
  readonly zones: readonly VisitZone[];
  /** The zone of each 10 s window of the visit, in order (for transitions and zone-windows). */
  readonly path: readonly { readonly zone: string; readonly at: number }[];
}

export interface PresenceModelInput {
  readonly zones: number;
  readonly visitsPerDay: number;
  readonly days: number;
  /** Unix ms of the first day's local midnight (UTC store). */
  readonly startMs: number;
  readonly rng: RandomSource;
  readonly opens?: number;
  readonly closes?: number;
  readonly leaveProbability?: number;
  readonly windowSeconds?: number;
}

const SEGMENTS: ReadonlyArray<{ share: number; daysPerWeek: [number, number] }> = [
  { share: 0.05, daysPerWeek: [3, 7] },
  { share: 0.25, daysPerWeek: [1, 2] },
  { share: 0.7, daysPerWeek: [0.1, 0.5] },
];

export function zoneModels(count: number): ZoneModel[] {
  const zones: ZoneModel[] = [{ id: 'entrance', meanDwellSeconds: 40, sigma: 0.5, attraction: 0 }];
  if (count >= 3) zones.push({ id: 'checkout', meanDwellSeconds: 180, sigma: 0.6, attraction: 0 });
  const fixed = zones.length;
  for (let i = fixed; i < count; i++) {
    zones.push({
      id: `dept-${String(i - fixed + 1).padStart(2, '0')}`,
      meanDwellSeconds: 150 + ((i * 97) % 420),
      sigma: 0.7,
      attraction: 0.5 + ((i * 37) % 10) / 5,
    });
  }
  return zones.slice(0, count);
}

function visitPath(
  zones: readonly ZoneModel[],
  start: number,
  sampler: Sampler,
  leave: number,
  windowSeconds: number,
): Omit<SimVisit, 'shopper'> {
  const departments = zones.filter((z) => z.attraction > 0);
  const checkout = zones.find((z) => z.id === 'checkout');
  const sequence: ZoneModel[] = [zones[0] as ZoneModel];
  if (departments.length > 0) {
    let previous: ZoneModel | null = null;
    for (;;) {
      const options = departments.filter((d) => d !== previous);
      const pool = options.length > 0 ? options : departments;
      const next = pool[sampler.weighted(pool.map((d) => d.attraction))] as ZoneModel;
      sequence.push(next);
      previous = next;
      if (sampler.chance(leave)) break;
    }
  }
  if (checkout !== undefined) sequence.push(checkout);
  const path: { zone: string; at: number }[] = [];
  const byZone = new Map<string, { firstAt: number; lastAt: number; dwell: number }>();
  let at = start;
  for (const zone of sequence) {
    const dwell = Math.max(windowSeconds, Math.round(sampler.lognormal(zone.meanDwellSeconds, zone.sigma)));
    const windows = Math.max(1, Math.round(dwell / windowSeconds));
    for (let w = 0; w < windows; w++) path.push({ zone: zone.id, at: at + w * windowSeconds });
    const entry = byZone.get(zone.id);
    const spent = windows * windowSeconds;
    if (entry === undefined) byZone.set(zone.id, { firstAt: at, lastAt: at + spent, dwell: spent });
    else byZone.set(zone.id, { firstAt: entry.firstAt, lastAt: at + spent, dwell: entry.dwell + spent });
    at += spent;
  }
  return {
    startedAt: start,
    endedAt: at,
    zones: [...byZone].map(([zone, z]) => ({ zone, firstAt: z.firstAt, lastAt: z.lastAt, dwellSeconds: z.dwell })),
    path,
  };
}

/** Visits of every simulated shopper over the days, in time order. */
export function simulateVisits(input: PresenceModelInput): { visits: SimVisit[]; shoppers: number; zones: string[] } {
  const sampler = new Sampler(input.rng);
  const zones = zoneModels(input.zones);
  const opens = input.opens ?? 9;
  const closes = input.closes ?? 20;
  const leave = input.leaveProbability ?? 0.3;
  const windowSeconds = input.windowSeconds ?? 10;
  const shape = DEFAULT_HOURLY_SHAPE.slice(opens, closes);
  // Shoppers per segment so that the expected visits a day is visitsPerDay.
  const perShopperDay = SEGMENTS.reduce((sum, s) => sum + (s.share * (s.daysPerWeek[0] + s.daysPerWeek[1])) / 2 / 7, 0);
  const shoppers = Math.round(input.visitsPerDay / perShopperDay);
  const rates: number[] = [];
  for (let i = 0; i < shoppers; i++) {
    const u = sampler.unit();
    let acc = 0;
    let segment = SEGMENTS[SEGMENTS.length - 1] as (typeof SEGMENTS)[number];
    for (const s of SEGMENTS) {
      acc += s.share;
      if (u < acc) {
        segment = s;
        break;
      }
    }
    rates.push(sampler.uniform(segment.daysPerWeek[0], segment.daysPerWeek[1]) / 7);
  }
  const visits: SimVisit[] = [];
  for (let d = 0; d < input.days; d++) {
    const dayStart = input.startMs / 1000 + d * 86_400;
    for (let s = 0; s < shoppers; s++) {
      if (!sampler.chance(rates[s] as number)) continue;
      const hour = opens + sampler.weighted(shape);
      const start = Math.floor(dayStart + hour * 3600 + sampler.uniform(0, 3600));
      const aligned = start - (start % windowSeconds);
      visits.push({ shopper: s, ...visitPath(zones, aligned, sampler, leave, windowSeconds) });
    }
  }
  visits.sort((a, b) => a.startedAt - b.startedAt);
  return { visits, shoppers, zones: zones.map((z) => z.id) };
}
