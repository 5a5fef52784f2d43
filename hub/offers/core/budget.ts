import {
  chargeable,
  fromMicro,
  leftInPeriod,
  type Micro,
  type PeriodCaps,
} from '../../../shared/privacy/accounting.ts';
import type { BudgetPeriodUnit } from '../../../shared/time/local-calendar.ts';

/**
 * The offer budget (docs/shopper-api.md#the-offer-budget), pure: ε per shopper per budget period
 * (the privacy section's calendar month, quarter or year), in integer µε, held in the hub's ONE
 * budget ledger (budget "offers") under the period of the decision's time. The ledger's filter
 * (shared/privacy/accounting.ts) does the cap arithmetic; this file says what a decision needs
 * to know about it and in which words a refusal explains it.
 */

export { fromMicro as fromMicroEpsilon };

const MICRO = 1_000_000;

/**
 * ε (a decimal from config, at most 6 decimals) as an integer number of µε, or null when the
 * value has more precision than a µε or is not a finite non-negative number.
 */
export function toMicroEpsilon(epsilon: number): Micro | null {
  if (!Number.isFinite(epsilon) || epsilon < 0) return null;
  const micro = Math.round(epsilon * MICRO);
  if (!Number.isSafeInteger(micro) || Math.abs(micro - epsilon * MICRO) > 1e-6 * Math.max(1, micro)) return null;
  return micro;
}

/** Where the shopper stands in the offer budget of the decision's period (read by the shell). */
export interface BudgetStanding {
  /** The budget period of the decision's time ("2026-Q4"). */
  readonly period: string;
  readonly spentMicro: Micro;
  /** Left out of the rest of the period (a charge carried over from v1 reached the cap). */
  readonly excluded: boolean;
  /** False when the lifetime cap ends the shopper's participation before this period. */
  readonly participates: boolean;
  /**
   * False when the period's ledger was already pruned (the clock went back more than the ledger
   * keeps): no charge may go there, since the pruned spending could not be counted.
   */
  readonly open: boolean;
}

export type BudgetRefusal = 'period-budget-exhausted' | 'lifetime-budget-exhausted' | 'period-closed';

/** Why a charge of `costMicro` cannot be made, or null when it fits (a cost of 0 always fits). */
export function budgetRefusal(standing: BudgetStanding, costMicro: Micro, caps: PeriodCaps): BudgetRefusal | null {
  if (costMicro === 0) return null;
  if (!standing.open) return 'period-closed';
  if (!standing.participates) return 'lifetime-budget-exhausted';
  return chargeable({ spentMicro: standing.spentMicro, excluded: standing.excluded }, costMicro, caps)
    ? null
    : 'period-budget-exhausted';
}

/** µε left in the period (0 once excluded, closed or past the lifetime cap). */
export function budgetLeftMicro(standing: BudgetStanding, caps: PeriodCaps): Micro {
  if (!standing.open || !standing.participates) return 0;
  return leftInPeriod({ spentMicro: standing.spentMicro, excluded: standing.excluded }, caps);
}

/** A shopper's offer budget in the current period, with earlier periods still in the ledger (µε). */
export interface OfferBudget {
  readonly period: string;
  readonly periodUnit: BudgetPeriodUnit;
  readonly capMicro: Micro;
  readonly lifetimeMicro: Micro | null;
  readonly spentMicro: Micro;
  readonly leftMicro: Micro;
  /** Left out of the rest of the period (only a v1 carry-over can do that), past the lifetime cap, or a closed period. */
  readonly excluded: boolean;
  readonly participates: boolean;
  readonly open: boolean;
  readonly history: readonly { readonly period: string; readonly spentMicro: Micro; readonly draws: number }[];
}
