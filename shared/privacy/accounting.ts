import { AppError } from '../errors.ts';
import type { ZcdpLoss } from './conversions.ts';
import { nonNegativeRational, rational, type Rational, type RationalInput } from './rational.ts';

/**
 * The zCDP budget ledger, as pure functions (the hub persists charges in SQLite).
 *
 * Unit of account: **micro-ρ** (µρ), ρ in integer millionths, held in a `number` that must be a
 * non-negative safe integer (SQLite INTEGER, exact up to 2^53 − 1 µρ ≈ 9·10^9 ρ). Integer addition
 * is exact, so spending never drifts. Conversions round in the safe direction:
 * - a release's cost is rounded UP (`toMicroRhoCeil`): a unit is charged at least its true ρ;
 * - a configured cap is rounded DOWN (`toMicroRhoFloor`): the cap is at most the intended one.
 * So the ledger over-states spending by < 1 µρ per charge and never under-states it.
 *
 * Guarantee (privacy filter): a unit is included in a release only if its own spending plus the
 * release's cost stays within both caps, so its total over any day is ≤ dailyRho and over any
 * 30-day window ≤ thirtyDayRho. zCDP composes additively even when each ρ_i is chosen adaptively,
 * and halting on a pre-set Σρ_i is a valid filter (Whitehouse, Ramdas, Rogers, Wu, ICML 2023;
 * individual accounting per unit: Feldman & Zrnic, NeurIPS 2021; docs/references.md#differential-privacy). Report the
 * total as (ε, δ) with conversions.zcdpToApproxDp.
 */
export type MicroRho = number;

export const MICRO_RHO_PER_RHO = 1_000_000n;

/** A unit's spending today and over the 30-day window ending today, in µρ. */
export interface BudgetSpent {
  readonly dayRho: MicroRho;
  readonly windowRho: MicroRho;
}

/** Per-unit caps, in µρ. */
export interface BudgetCaps {
  readonly dailyRho: MicroRho;
  readonly thirtyDayRho: MicroRho;
}

/** One ledger row for one unit: the day (an integer day number, e.g. days since 1970-01-01 in store time) and its cost. */
export interface LedgerCharge {
  readonly day: number;
  readonly rho: MicroRho;
}

export const WINDOW_DAYS = 30;

/** ρ (a rational, decimal or ZcdpLoss) in µρ, rounded up: for costs. */
export function toMicroRhoCeil(rho: RationalInput | ZcdpLoss): MicroRho {
  const { num, den } = scaled(rho);
  return checkedMicroRho((num + den - 1n) / den, 'rho');
}

/** ρ in µρ, rounded down: for caps. */
export function toMicroRhoFloor(rho: RationalInput | ZcdpLoss): MicroRho {
  const { num, den } = scaled(rho);
  return checkedMicroRho(num / den, 'rho');
}

export function microRhoToRational(value: MicroRho): Rational {
  microRho(value, 'value');
  return rational(BigInt(value), MICRO_RHO_PER_RHO);
}

/** The privacy filter: true iff spending `cost` keeps the unit within both caps. */
export function chargeable(spent: BudgetSpent, cost: MicroRho, caps: BudgetCaps): boolean {
  microRho(spent.dayRho, 'spent.dayRho');
  microRho(spent.windowRho, 'spent.windowRho');
  microRho(cost, 'cost');
  microRho(caps.dailyRho, 'caps.dailyRho');
  microRho(caps.thirtyDayRho, 'caps.thirtyDayRho');
  // Each operand ≤ 2^53 − 1, so the sums are < 2^54 and compare exactly against caps < 2^53
  // (integer.ts: monotone rounding); in practice all values are far smaller.
  return spent.dayRho + cost <= caps.dailyRho && spent.windowRho + cost <= caps.thirtyDayRho;
}

/** `chargeable`, or AppError('DP_BUDGET_EXHAUSTED') (e.g. before showing an offer). */
export function requireChargeable(spent: BudgetSpent, cost: MicroRho, caps: BudgetCaps): void {
  if (!chargeable(spent, cost, caps)) {
    throw new AppError(
      'DP_BUDGET_EXHAUSTED',
      `a charge of ${cost} µρ would exceed the daily or 30-day privacy budget`,
      {
        details: { cost, dayRho: spent.dayRho, windowRho: spent.windowRho, ...caps },
      },
    );
  }
}

/**
 * A unit's spending from its ledger rows: `dayRho` sums the charges of `today`, `windowRho` those
 * of the `windowDays` days ending today (today − windowDays < day ≤ today). Charges dated after
 * today (which should not exist) are counted in both, so they can only make the filter stricter.
 */
export function spentFromCharges(
  charges: readonly LedgerCharge[],
  today: number,
  windowDays: number = WINDOW_DAYS,
): BudgetSpent {
  if (!Number.isSafeInteger(today))
    throw new AppError('DP_INVALID_PARAMETER', `today is ${today}, expected an integer day number`);
  if (!Number.isSafeInteger(windowDays) || windowDays < 1) {
    throw new AppError('DP_INVALID_PARAMETER', `windowDays is ${windowDays}, expected a positive integer`);
  }
  let dayRho = 0;
  let windowRho = 0;
  charges.forEach((charge, i) => {
    microRho(charge.rho, `charges[${i}].rho`);
    if (!Number.isSafeInteger(charge.day))
      throw new AppError('DP_INVALID_PARAMETER', `charges[${i}].day is ${charge.day}, expected an integer`);
    if (charge.day >= today) dayRho = checkedMicroRho(BigInt(dayRho) + BigInt(charge.rho), 'dayRho');
    if (charge.day > today - windowDays)
      windowRho = checkedMicroRho(BigInt(windowRho) + BigInt(charge.rho), 'windowRho');
  });
  return { dayRho, windowRho };
}

export interface BudgetHistogramBin {
  /** Share of the cap spent, as [fromPercent, toPercent); the last bin (100) is "at or over the cap". */
  readonly fromPercent: number;
  readonly toPercent: number;
  readonly units: number;
}

export interface BudgetHistogram {
  readonly cap: MicroRho;
  readonly bins: readonly BudgetHistogramBin[];
  readonly maxSpent: MicroRho;
}

/** How spending is distributed across units: counts only, no identities. */
export interface BudgetSummary {
  readonly units: number;
  readonly day: BudgetHistogram;
  readonly window: BudgetHistogram;
}

/**
 * Histograms of the units' spending as a share of each cap, in ten 10% bins plus one "at the cap"
 * bin. The input carries no identities, and neither does the output. This is an operational view
 * for the hub's own status page, not a DP release: do not send it upstream.
 */
export function summariseBudget(spending: readonly BudgetSpent[], caps: BudgetCaps): BudgetSummary {
  microRho(caps.dailyRho, 'caps.dailyRho');
  microRho(caps.thirtyDayRho, 'caps.thirtyDayRho');
  spending.forEach((spent, i) => {
    microRho(spent.dayRho, `spending[${i}].dayRho`);
    microRho(spent.windowRho, `spending[${i}].windowRho`);
  });
  return {
    units: spending.length,
    day: histogram(
      spending.map((s) => s.dayRho),
      caps.dailyRho,
    ),
    window: histogram(
      spending.map((s) => s.windowRho),
      caps.thirtyDayRho,
    ),
  };
}

function histogram(values: readonly MicroRho[], cap: MicroRho): BudgetHistogram {
  const counts = new Array<number>(11).fill(0);
  for (const value of values) {
    const bin = value >= cap ? 10 : Number((BigInt(value) * 10n) / BigInt(cap));
    counts[bin] = (counts[bin] as number) + 1;
  }
  return {
    cap,
    bins: counts.map((units, i) => ({ fromPercent: i * 10, toPercent: i === 10 ? 100 : (i + 1) * 10, units })),
    maxSpent: values.reduce((a, b) => Math.max(a, b), 0),
  };
}

function scaled(rho: RationalInput | ZcdpLoss): Rational {
  const value = typeof rho === 'object' && rho !== null && 'measure' in rho ? rho.rho : nonNegativeRational(rho, 'rho');
  if (value.num < 0n) throw new AppError('DP_INVALID_PARAMETER', 'rho is negative, expected a value ≥ 0');
  return { num: value.num * MICRO_RHO_PER_RHO, den: value.den };
}

function microRho(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new AppError(
      'DP_INVALID_PARAMETER',
      `${name} is ${String(value)}, expected a non-negative integer number of µρ (millionths of ρ)`,
    );
  }
}

function checkedMicroRho(value: bigint, name: string): MicroRho {
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new AppError('DP_INVALID_PARAMETER', `${name} exceeds 2^53 − 1 µρ`);
  return Number(value);
}
