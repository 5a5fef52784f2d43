import { AppError } from '../errors.ts';
import type { ZcdpLoss } from './conversions.ts';
import { nonNegativeRational, rational, type Rational, type RationalInput } from './rational.ts';

/**
 * Budget accounting, as pure functions (the hub keeps the ledger in SQLite; docs/privacy.md §3).
 *
 * The privacy unit is one shopper over one budget period (a calendar month, quarter or year in
 * the store's time zone). Every release window and every offer draw belongs to exactly one
 * period — the period of its DATA (the window's days; the decision's time), never the wall clock
 * at the time of the computation — and each period has its own cap.
 *
 * Unit of account: integer millionths — µρ for the analytics budget (zCDP), µε for the offers
 * budget (ε-DP of the shopper's ranking) — held in a `number` that is a non-negative safe integer.
 * Integer addition is exact, so spending never drifts. Conversions round in the safe direction:
 * a cost is rounded UP (a unit is charged at least its true cost), a cap is rounded DOWN.
 *
 * Guarantee (individual privacy filter, Feldman & Zrnic 2021): a unit is charged only if its
 * spending in the period plus the cost stays within the period's cap; a unit whose cost would
 * pass the cap is left out of that computation and of every later one in the period. Since
 * zCDP composes additively under adaptive choice of the ρ_i and halting on a pre-set Σρ_i is a
 * valid filter, each unit's loss in a period is at most the cap, whatever the order and timing
 * of the releases (catch-ups and clock jumps included).
 *
 * Lifetime cap (optional): a unit takes part in at most ⌊lifetime / periodCap⌋ periods, counted
 * from its enrolment period — a rule on the calendar, not on what the unit did, so it does not
 * couple one period's data to another's (periods still compose in parallel).
 */
export type Micro = number;
/** µρ: an analytics (zCDP) amount. */
export type MicroRho = Micro;

export const MICRO_PER_UNIT = 1_000_000n;

export interface PeriodCaps {
  /** The most a unit may spend in one budget period. */
  readonly periodMicro: Micro;
  /** The most a unit may spend over all periods (worst case: periods × periodMicro), or null. */
  readonly lifetimeMicro: Micro | null;
}

/** A unit's state in one period's ledger. */
export interface UnitPeriodState {
  readonly spentMicro: Micro;
  /** Left out for the rest of the period by an earlier computation whose cost would not fit. */
  readonly excluded: boolean;
}

/** The number of periods a unit may take part in under the lifetime cap (Infinity without one). */
export function lifetimePeriods(caps: PeriodCaps): number {
  micro(caps.periodMicro, 'caps.periodMicro');
  if (caps.lifetimeMicro === null) return Number.POSITIVE_INFINITY;
  micro(caps.lifetimeMicro, 'caps.lifetimeMicro');
  return caps.periodMicro === 0 ? Number.POSITIVE_INFINITY : Math.floor(caps.lifetimeMicro / caps.periodMicro);
}

/**
 * Whether a unit enrolled in period `enrolledIndex` takes part in period `periodIndex` at all:
 * periods before its enrolment count as its first (a unit never takes part before it exists).
 */
export function participates(enrolledIndex: number, periodIndex: number, caps: PeriodCaps): boolean {
  const allowed = lifetimePeriods(caps);
  if (!Number.isFinite(allowed)) return true;
  const ordinal = periodIndex - Math.min(enrolledIndex, periodIndex) + 1;
  return ordinal <= allowed;
}

/** The privacy filter: true iff the unit may spend `cost` more in the period. */
export function chargeable(state: UnitPeriodState, cost: Micro, caps: PeriodCaps): boolean {
  micro(state.spentMicro, 'state.spentMicro');
  micro(cost, 'cost');
  micro(caps.periodMicro, 'caps.periodMicro');
  // Both operands ≤ 2^53 − 1, so the sum is < 2^54 and compares exactly against a cap < 2^53.
  return !state.excluded && state.spentMicro + cost <= caps.periodMicro;
}

/** What is left of the period's cap (never negative). */
export function leftInPeriod(state: UnitPeriodState, caps: PeriodCaps): Micro {
  return state.excluded ? 0 : Math.max(0, caps.periodMicro - state.spentMicro);
}

/** An amount (a rational, a decimal or a ZcdpLoss) in millionths, rounded up: for costs. */
export function toMicroCeil(value: RationalInput | ZcdpLoss): Micro {
  const { num, den } = scaled(value);
  return checked((num + den - 1n) / den, 'value');
}

/** An amount in millionths, rounded down: for caps. */
export function toMicroFloor(value: RationalInput | ZcdpLoss): Micro {
  const { num, den } = scaled(value);
  return checked(num / den, 'value');
}

/** Aliases for the analytics budget, where the amounts are ρ. */
export const toMicroRhoCeil = toMicroCeil;
export const toMicroRhoFloor = toMicroFloor;

export function microToRational(value: Micro): Rational {
  micro(value, 'value');
  return rational(BigInt(value), MICRO_PER_UNIT);
}

/** Millionths as a decimal (for display and JSON): exact for every count below 2^53. */
export function fromMicro(value: Micro): number {
  return Number((value / 1_000_000).toFixed(6));
}

function scaled(value: RationalInput | ZcdpLoss): Rational {
  const v =
    typeof value === 'object' && value !== null && 'measure' in value ? value.rho : nonNegativeRational(value, 'value');
  if (v.num < 0n) throw new AppError('DP_INVALID_PARAMETER', 'the amount is negative, expected a value ≥ 0');
  return { num: v.num * MICRO_PER_UNIT, den: v.den };
}

function micro(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new AppError(
      'DP_INVALID_PARAMETER',
      `${name} is ${String(value)}, expected a non-negative integer number of millionths`,
    );
  }
}

function checked(value: bigint, name: string): Micro {
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new AppError('DP_INVALID_PARAMETER', `${name} exceeds 2^53 − 1 millionths`);
  return Number(value);
}
