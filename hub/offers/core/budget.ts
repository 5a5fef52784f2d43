/**
 * The offer budget in exact integer micro-ε (µε): each shown offer charges the ε of its
 * decision, a shopper-day may spend at most the daily cap and any 30 consecutive local days at
 * most the 30-day cap. Integers add exactly, so a cap is never overshot by rounding.
 */

export const MICRO = 1_000_000;
/** The 30-day window: today and the 29 days before it. */
export const WINDOW_DAYS = 30;

/**
 * ε (a decimal from config, at most 6 decimals) as an integer number of µε, or null when the
 * value has more precision than a µε or is not a finite non-negative number.
 */
export function toMicroEpsilon(epsilon: number): number | null {
  if (!Number.isFinite(epsilon) || epsilon < 0) return null;
  const micro = Math.round(epsilon * MICRO);
  if (!Number.isSafeInteger(micro) || Math.abs(micro - epsilon * MICRO) > 1e-6 * Math.max(1, micro)) return null;
  return micro;
}

/** µε as a decimal ε (for display and JSON): exact for every µε count below 2^53. */
export function fromMicroEpsilon(micro: number): number {
  return Number((micro / MICRO).toFixed(6));
}

export interface BudgetCapsMicro {
  readonly dailyMicro: number;
  readonly thirtyDayMicro: number;
}

export interface BudgetSpentMicro {
  readonly todayMicro: number;
  /** Spent over the 30-day window ending today (today included). */
  readonly windowMicro: number;
}

export interface BudgetLeftMicro {
  readonly todayMicro: number;
  readonly windowMicro: number;
}

/** What is left of each cap (never negative). */
export function budgetLeft(caps: BudgetCapsMicro, spent: BudgetSpentMicro): BudgetLeftMicro {
  return {
    todayMicro: Math.max(0, caps.dailyMicro - spent.todayMicro),
    windowMicro: Math.max(0, caps.thirtyDayMicro - spent.windowMicro),
  };
}
