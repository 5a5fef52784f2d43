import { uniformInt, uniformUnit, type RandomSource } from '../../../../shared/ports/random.ts';
import {
  addDays,
  compareDates,
  formatDate,
  isoLocal,
  isoWeekLabel,
  localTime,
  quarterOf,
  weekday,
  type LocalDate,
} from './calendar.ts';
import {
  ARMS,
  DWELL_BUCKETS,
  MAX_TRANSITIONS_PER_WEEK,
  OPEN_HOURS,
  RELEASE_RHO,
  WEEKDAY_FACTOR,
  ZONES,
  type SimStore,
} from './chain-model.ts';
import type { CountReleaseSpec } from './release-builder.ts';

/**
 * One simulated store over consecutive local days (pure given the RandomSource): each day's
 * visits, then the release specs with their TRUE counts, contribution-bounded as the hub bounds
 * them (each shopper at most once per cell; the L0 of each kind below):
 *
 * | kind           | window | cells                        | L0                          |
 * |----------------|--------|------------------------------|-----------------------------|
 * | footfall       | day    | zones                        | #zones                      |
 * | visits         | hour   | "store"                      | 1 (one visit a day)         |
 * | conversion     | day    | "visitors", "buyers"         | 2                           |
 * | dwell          | week   | "zone|bucket"                | #zones (first visit's bucket per zone) |
 * | repeat         | week   | "visitors", "repeatVisitors" | 2                           |
 * | transitions    | week   | "from>to"                    | 12 distinct moves           |
 * | offer-response | week   | arms; measures shown, redeemed | 1 per measure             |
 *
 * Weeks are ISO weeks, cut at the edges of the budget period (the calendar quarter).
 */

export interface ChainCalendar {
  readonly start: LocalDate;
  readonly days: number;
  readonly timeZone: string;
}

interface WeekState {
  readonly first: LocalDate;
  readonly end: LocalDate; // exclusive
  readonly quarter: ReturnType<typeof quarterOf>;
  readonly daysSeen: Map<number, number>;
  readonly dwell: Map<number, Int8Array>;
  readonly moves: Map<number, Set<string>>;
  readonly offers: Map<number, { shown: boolean; redeemed: boolean }>;
}

function increment(counts: number[], i: number): void {
  counts[i] = (counts[i] as number) + 1;
}

function categorical(rng: RandomSource, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let u = uniformUnit(rng) * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] as number;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

function weekOf(date: LocalDate): WeekState {
  const monday = addDays(date, -weekday(date));
  const quarter = quarterOf(date);
  const nextMonday = addDays(monday, 7);
  const first = compareDates(monday, quarter.first) < 0 ? quarter.first : monday;
  const end = compareDates(nextMonday, quarter.next) > 0 ? quarter.next : nextMonday;
  return { first, end, quarter, daysSeen: new Map(), dwell: new Map(), moves: new Map(), offers: new Map() };
}

function periodOf(quarter: ReturnType<typeof quarterOf>, timeZone: string): CountReleaseSpec['budgetPeriod'] {
  return {
    label: quarter.label,
    startUnix: localTime(quarter.first.y, quarter.first.m, quarter.first.d, 0, timeZone),
    endUnix: localTime(quarter.next.y, quarter.next.m, quarter.next.d, 0, timeZone),
  };
}

function midnight(date: LocalDate, timeZone: string): number {
  return localTime(date.y, date.m, date.d, 0, timeZone);
}

function weeklySpecs(store: SimStore, week: WeekState, timeZone: string): CountReleaseSpec[] {
  const monday = addDays(week.first, -weekday(week.first));
  const label = isoWeekLabel(monday);
  const whole = weekday(week.first) === 0 && compareDates(week.end, addDays(monday, 7)) === 0;
  const id = (kind: string): string => (whole ? `${kind}:${label}` : `${kind}:${label}:${week.quarter.label}`);
  const base = {
    store: store.id,
    timeZone,
    budgetPeriod: periodOf(week.quarter, timeZone),
    window: {
      unit: 'week' as const,
      label,
      startUnix: midnight(week.first, timeZone),
      endUnix: midnight(week.end, timeZone),
    },
  };
  const dwellCells = ZONES.flatMap((z) => DWELL_BUCKETS.map((b) => `${z}|${b}`));
  const dwell = dwellCells.map(() => 0);
  for (const buckets of week.dwell.values())
    buckets.forEach((b, z) => {
      if (b >= 0) dwell[z * DWELL_BUCKETS.length + b] = (dwell[z * DWELL_BUCKETS.length + b] as number) + 1;
    });
  const moveCells = ZONES.flatMap((a) => ZONES.filter((b) => b !== a).map((b) => `${a}>${b}`));
  const moveIndex = new Map(moveCells.map((c, i) => [c, i]));
  const moves = moveCells.map(() => 0);
  for (const set of week.moves.values())
    for (const move of set) moves[moveIndex.get(move) as number] = (moves[moveIndex.get(move) as number] as number) + 1;
  let visitors = 0;
  let repeaters = 0;
  for (const days of week.daysSeen.values()) {
    visitors++;
    if (days >= 2) repeaters++;
  }
  const shown = [0, 0];
  const redeemed = [0, 0];
  for (const [shopper, o] of week.offers) {
    const arm = store.holdout[shopper] === 1 ? 1 : 0;
    if (o.shown) shown[arm] = (shown[arm] as number) + 1;
    if (o.redeemed) redeemed[arm] = (redeemed[arm] as number) + 1;
  }
  return [
    {
      ...base,
      release: id('dwell'),
      kind: 'dwell',
      cells: dwellCells,
      l0: ZONES.length,
      rho: RELEASE_RHO.dwell!,
      measures: [{ metric: 'shoppers', values: dwell }],
    },
    {
      ...base,
      release: id('repeat'),
      kind: 'repeat',
      cells: ['visitors', 'repeatVisitors'],
      l0: 2,
      rho: RELEASE_RHO.repeat!,
      measures: [{ metric: 'shoppers', values: [visitors, repeaters] }],
    },
    {
      ...base,
      release: id('transitions'),
      kind: 'transitions',
      cells: moveCells,
      l0: MAX_TRANSITIONS_PER_WEEK,
      rho: RELEASE_RHO.transitions!,
      measures: [{ metric: 'shoppers', values: moves }],
    },
    {
      ...base,
      release: id('offer-response'),
      kind: 'offer-response',
      cells: [...ARMS],
      l0: 1,
      rho: RELEASE_RHO['offer-response']!,
      measures: [
        { metric: 'shown', values: shown },
        { metric: 'redeemed', values: redeemed },
      ],
    },
  ];
}

function dailySpecs(store: SimStore, date: LocalDate, timeZone: string, day: DayCounts): CountReleaseSpec[] {
  const quarter = quarterOf(date);
  const label = formatDate(date);
  const base = { store: store.id, timeZone, budgetPeriod: periodOf(quarter, timeZone) };
  const dayWindow = {
    unit: 'day' as const,
    label,
    startUnix: midnight(date, timeZone),
    endUnix: midnight(addDays(date, 1), timeZone),
  };
  const specs: CountReleaseSpec[] = [
    {
      ...base,
      release: `footfall:${label}`,
      kind: 'footfall',
      window: dayWindow,
      cells: [...ZONES],
      l0: ZONES.length,
      rho: RELEASE_RHO.footfall!,
      measures: [{ metric: 'shoppers', values: day.zones }],
    },
    {
      ...base,
      release: `conversion:${label}`,
      kind: 'conversion',
      window: dayWindow,
      cells: ['visitors', 'buyers'],
      l0: 2,
      rho: RELEASE_RHO.conversion!,
      measures: [{ metric: 'shoppers', values: [day.visitors, day.buyers] }],
    },
  ];
  OPEN_HOURS.forEach((hour, i) => {
    const startUnix = localTime(date.y, date.m, date.d, hour, timeZone);
    const hourLabel = isoLocal(startUnix, timeZone).replace(/:00([+-])/, '$1');
    specs.push({
      ...base,
      release: `visits:${hourLabel}`,
      kind: 'visits',
      window: { unit: 'hour', label: hourLabel, startUnix, endUnix: startUnix + 3600 },
      cells: ['store'],
      l0: 1,
      rho: RELEASE_RHO.visits!,
      measures: [{ metric: 'visitors', values: [day.hours[i] as number] }],
    });
  });
  return specs;
}

interface DayCounts {
  zones: number[];
  hours: number[];
  visitors: number;
  buyers: number;
}

function simulateDay(store: SimStore, date: LocalDate, week: WeekState, rng: RandomSource): DayCounts {
  const day: DayCounts = { zones: ZONES.map(() => 0), hours: OPEN_HOURS.map(() => 0), visitors: 0, buyers: 0 };
  const factor = WEEKDAY_FACTOR[weekday(date)] as number;
  for (let shopper = 0; shopper < store.visitRates.length; shopper++) {
    if (uniformUnit(rng) >= Math.min(1, (store.visitRates[shopper] as number) * factor)) continue;
    day.visitors++;
    increment(day.hours, categorical(rng, store.hourWeights));
    if (uniformUnit(rng) < store.buyProbability) day.buyers++;
    week.daysSeen.set(shopper, (week.daysSeen.get(shopper) ?? 0) + 1);
    let dwell = week.dwell.get(shopper);
    if (dwell === undefined) {
      dwell = new Int8Array(ZONES.length).fill(-1);
      week.dwell.set(shopper, dwell);
    }
    const path: number[] = [];
    ZONES.forEach((_, z) => {
      if (uniformUnit(rng) < (store.zoneProbability[z] as number)) path.push(z);
    });
    if (path.length === 0) path.push(0);
    // Mostly floor order; now and then a shopper doubles back (two neighbours swap).
    if (path.length > 2 && uniformUnit(rng) < 0.3) {
      const i = uniformInt(rng, path.length - 1);
      [path[i], path[i + 1]] = [path[i + 1] as number, path[i] as number];
    }
    for (const z of path) {
      increment(day.zones, z);
      const bucket = categorical(rng, store.dwellWeights[z] as number[]);
      if ((dwell[z] as number) < 0) dwell[z] = bucket;
    }
    let moves = week.moves.get(shopper);
    if (moves === undefined) {
      moves = new Set();
      week.moves.set(shopper, moves);
    }
    for (let i = 0; i + 1 < path.length && moves.size < MAX_TRANSITIONS_PER_WEEK; i++)
      moves.add(`${ZONES[path[i] as number]}>${ZONES[path[i + 1] as number]}`);
    const offer = week.offers.get(shopper) ?? { shown: false, redeemed: false };
    if (uniformUnit(rng) < store.offerShownProbability) {
      offer.shown = true;
      const p = store.holdout[shopper] === 1 ? store.redeemProbability.holdout : store.redeemProbability.personalised;
      if (uniformUnit(rng) < p) offer.redeemed = true;
    }
    week.offers.set(shopper, offer);
  }
  return day;
}

/** The store's release specs in the order a hub would compute them (a day's, then a finished week's). */
export function simulateStore(store: SimStore, calendar: ChainCalendar, rng: RandomSource): CountReleaseSpec[] {
  const specs: CountReleaseSpec[] = [];
  let week: WeekState | null = null;
  for (let i = 0; i < calendar.days; i++) {
    const date = addDays(calendar.start, i);
    if (week === null || compareDates(date, week.end) >= 0) {
      if (week !== null) specs.push(...weeklySpecs(store, week, calendar.timeZone));
      week = weekOf(date);
    }
    const day = simulateDay(store, date, week, rng);
    specs.push(...dailySpecs(store, date, calendar.timeZone, day));
  }
  if (week !== null) specs.push(...weeklySpecs(store, week, calendar.timeZone));
  return specs;
}
