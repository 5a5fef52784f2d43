import { fromMicro, toMicroFloor } from '../../../shared/privacy/accounting.ts';
import { zcdpToApproxDp } from '../../../shared/privacy/conversions.ts';
import { rationalToNumberUp, type Rational } from '../../../shared/privacy/rational.ts';
import { periodsPerYear, type BudgetPeriodUnit, type WindowUnit } from '../../../shared/time/local-calendar.ts';
import { halfWidth95 } from './build-payload.ts';
import type { CalibratedRelease } from './calibrate.ts';

/**
 * The privacy plan (pure; docs/privacy.md §7, `hushpoint privacy plan`): before a store goes live,
 * what each release costs a shopper, how precise its figures will be at a given traffic, and
 * whether a shopper who comes every day stays inside the period's cap — so that they are in every
 * release of the period and no figure is biased by shoppers dropping out.
 *
 * Costs are exact (from the calibration). Expected errors come from a simple traffic model —
 * visits per day, zones, zones per visit, the share of the day's visits in the peak hour, visits
 * per shopper-week — and are estimates: the median relative error of a cell is 0.674·σ divided
 * by the cell's expected true value (the median of |N(0, σ²)| is 0.674σ).
 */

export interface TrafficModel {
  readonly visitsPerDay: number;
  readonly zones: number;
  /** Zones one visit reaches on average (default: min(3, zones)). */
  readonly zonesPerVisit?: number;
  /** Share of a day's visits that start in its busiest hour (default 0.12). */
  readonly peakHourShare?: number;
  /** Visits of one shopper in a week they come (default 1.5). */
  readonly visitsPerShopperWeek?: number;
  /** Days a week a regular comes (default 7: the worst case). */
  readonly regularDaysPerWeek?: number;
}

export interface PlannedKind {
  readonly kind: string;
  readonly window: WindowUnit;
  /** The calibration (counts and sums), or only the ρ of a custom release (its noise is its own). */
  readonly release: Pick<CalibratedRelease, 'rho'> & { readonly measures: CalibratedRelease['measures'] | readonly [] };
}

export interface PlannedRelease {
  readonly kind: string;
  readonly window: WindowUnit;
  /** ρ of one release for a shopper at the bound. */
  readonly rho: number;
  /** Releases of the kind in one budget period at most. */
  readonly windowsPerPeriod: number;
  /** What the kind costs a shopper at the bound in every window of the period. */
  readonly rhoPerPeriod: number;
  /** The noise of the kind's values (null for a custom release: its own mechanism, in its payload). */
  readonly sigma: number | null;
  readonly halfWidth95: number | null;
  /** The expected true value of a typical cell at the given traffic (null when the model says nothing). */
  readonly expectedCell: number | null;
  readonly medianRelativeError: number | null;
}

export interface PrivacyPlan {
  readonly periodUnit: BudgetPeriodUnit;
  /** The cap per shopper and period (ρ). */
  readonly periodCap: number;
  /** The most a shopper can spend in a year: periodCap × periods per year (ρ). */
  readonly yearRho: number;
  readonly lifetimeRho: number | null;
  readonly delta: number;
  /** (ε, δ) of the period cap and of the year (CKS conversion). */
  readonly periodEpsilon: number;
  readonly yearEpsilon: number;
  readonly releases: readonly PlannedRelease[];
  /** A shopper at every bound, every day, every window: Σ rhoPerPeriod. */
  readonly dailyShopperRho: number;
  readonly dailyShopperStaysIn: boolean;
  /** A regular who comes regularDaysPerWeek days a week (day windows scale, weekly ones do not). */
  readonly regularRho: number;
  readonly regularStaysIn: boolean;
}

const MAX_DAYS: Record<BudgetPeriodUnit, number> = { month: 31, quarter: 92, year: 366 };
/** Week windows (whole or cut at the period's edges) a period can hold at most. */
const MAX_WEEKS: Record<BudgetPeriodUnit, number> = { month: 6, quarter: 15, year: 54 };
const MEDIAN_ABS = 0.6745;

export function windowsPerPeriod(window: WindowUnit, period: BudgetPeriodUnit): number {
  if (window === 'day') return MAX_DAYS[period];
  if (window === 'week') return MAX_WEEKS[period];
  return 1;
}

function sigmaOf(release: PlannedKind['release']): number {
  const m = release.measures[0]?.mechanism;
  if (m === undefined) return 0;
  return m.mechanism === 'discrete-gaussian'
    ? Math.sqrt(Number(m.sigmaSquared.num) / Number(m.sigmaSquared.den))
    : Math.SQRT2 * (Number(m.scale.num) / Number(m.scale.den));
}

/** The expected true value of a typical cell of a built-in kind. */
export function expectedCell(kind: string, traffic: TrafficModel): number | null {
  const zones = Math.max(1, traffic.zones);
  const perVisit = Math.min(zones, traffic.zonesPerVisit ?? Math.min(3, zones));
  const weeklyShoppers = (traffic.visitsPerDay * 7) / (traffic.visitsPerShopperWeek ?? 1.5);
  switch (kind) {
    case 'footfall':
      return (traffic.visitsPerDay * perVisit) / zones;
    case 'visits':
      return traffic.visitsPerDay * (traffic.peakHourShare ?? 0.12);
    case 'dwell':
      return (weeklyShoppers * perVisit) / zones / 5;
    case 'repeat':
      return weeklyShoppers;
    case 'transitions':
      return zones < 2 ? null : (traffic.visitsPerDay * 7 * Math.max(0, perVisit - 1)) / (zones * (zones - 1));
    case 'conversion':
      return traffic.visitsPerDay;
    default:
      return null;
  }
}

export function planPrivacy(input: {
  kinds: readonly PlannedKind[];
  periodUnit: BudgetPeriodUnit;
  periodRho: Rational | string;
  lifetimeRho: number | null;
  delta: number;
  traffic: TrafficModel;
}): PrivacyPlan {
  const capMicro = toMicroFloor(input.periodRho);
  const cap = fromMicro(capMicro);
  const perYear = periodsPerYear(input.periodUnit);
  const days = input.traffic.regularDaysPerWeek ?? 7;
  let daily = 0;
  let regular = 0;
  const releases = input.kinds.map((k): PlannedRelease => {
    const rho = rationalToNumberUp(k.release.rho);
    const windows = windowsPerPeriod(k.window, input.periodUnit);
    const rhoPerPeriod = rho * windows;
    daily += rhoPerPeriod;
    regular += k.window === 'day' ? rhoPerPeriod * Math.min(1, days / 7) : rhoPerPeriod;
    const measure = k.release.measures[0];
    const sigma = measure === undefined ? null : sigmaOf(k.release);
    const expected = expectedCell(k.kind, input.traffic);
    return {
      kind: k.kind,
      window: k.window,
      rho,
      windowsPerPeriod: windows,
      rhoPerPeriod,
      sigma,
      halfWidth95: measure === undefined ? null : halfWidth95(measure),
      expectedCell: expected,
      medianRelativeError:
        expected === null || expected <= 0 || sigma === null ? null : (MEDIAN_ABS * sigma) / expected,
    };
  });
  const epsilon = (rho: number): number =>
    rho <= 0 ? 0 : zcdpToApproxDp(String(Number(rho.toFixed(6))), input.delta).epsilon;
  return {
    periodUnit: input.periodUnit,
    periodCap: cap,
    yearRho: fromMicro(capMicro * perYear),
    lifetimeRho: input.lifetimeRho,
    delta: input.delta,
    periodEpsilon: epsilon(cap),
    yearEpsilon: epsilon(fromMicro(capMicro * perYear)),
    releases,
    dailyShopperRho: daily,
    dailyShopperStaysIn: daily <= cap,
    regularRho: regular,
    regularStaysIn: regular <= cap,
  };
}
