import type { PeriodCaps } from '../../../shared/privacy/accounting.ts';
import { budgetRefusal, fromMicroEpsilon, type BudgetStanding } from './budget.ts';
import { formatMinute, inQuietHours, type LocalTime, type QuietHours } from './local-time.ts';

/**
 * The checks before an offer may be shown (docs/shopper-api.md), pure and in a fixed order: consent,
 * pause, a stale zone entry, quiet hours, frequency caps (per visit, per day, minimum gap) and
 * the offer budget of the decision's budget period (a sticky draw costs nothing, so it always
 * fits). The first failing check is the refusal, with a stable reason code and a message the
 * shopper can read in their audit trail.
 */

export type RefusalReason =
  | 'consent-withdrawn'
  | 'paused'
  | 'stale-entry'
  | 'quiet-hours'
  | 'visit-cap'
  | 'daily-cap'
  | 'min-gap'
  | 'period-budget-exhausted'
  | 'lifetime-budget-exhausted'
  | 'period-closed';

export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'consent-withdrawn',
  'paused',
  'stale-entry',
  'quiet-hours',
  'visit-cap',
  'daily-cap',
  'min-gap',
  'period-budget-exhausted',
  'lifetime-budget-exhausted',
  'period-closed',
];

export interface OfferConsent {
  readonly presenceForOffers: boolean;
  readonly pausedUntilMs: number | null;
  /** The shopper's own quiet hours, none (null), or the store default. */
  readonly quietHours: QuietHours | null | 'default';
}

/** The shopper's offer activity so far, read by the shell from the audit trail. */
export interface OfferActivity {
  readonly shownToday: number;
  readonly shownThisVisit: number;
  readonly lastShownMs: number | null;
}

export interface GuardConfig {
  /** The offer budget's caps (µε per budget period, and the optional lifetime cap). */
  readonly budget: PeriodCaps;
  readonly caps: { readonly perVisit: number; readonly perDay: number; readonly minGapMs: number };
  /** The store's default quiet hours (null: none). */
  readonly quietHours: QuietHours | null;
  readonly maxEntryAgeMs: number;
}

export interface GuardInput {
  readonly nowMs: number;
  readonly local: LocalTime;
  readonly entryAtMs: number;
  readonly consent: OfferConsent;
  readonly activity: OfferActivity;
  /** The shopper's offer budget in the decision's period. */
  readonly standing: BudgetStanding;
  /** µε a personalised offer would charge now: the decision's ε, or 0 when a sticky draw serves. */
  readonly costMicro: number;
}

export interface Refusal {
  readonly reason: RefusalReason;
  readonly message: string;
}

function minutes(ms: number): string {
  const m = Math.ceil(ms / 60_000);
  return m === 1 ? '1 minute' : `${m} minutes`;
}

export function effectiveQuietHours(consent: OfferConsent, storeDefault: QuietHours | null): QuietHours | null {
  return consent.quietHours === 'default' ? storeDefault : consent.quietHours;
}

/** The first guard that refuses, or null when an offer may be shown. */
export function checkGuards(input: GuardInput, config: GuardConfig): Refusal | null {
  const { consent, activity, nowMs } = input;
  if (!consent.presenceForOffers) {
    return {
      reason: 'consent-withdrawn',
      message: 'Presence for offers is switched off in your consent settings, so no offer is chosen',
    };
  }
  if (consent.pausedUntilMs !== null && consent.pausedUntilMs > nowMs) {
    return { reason: 'paused', message: `You paused hushpoint until ${new Date(consent.pausedUntilMs).toISOString()}` };
  }
  const age = nowMs - input.entryAtMs;
  if (age > config.maxEntryAgeMs) {
    return {
      reason: 'stale-entry',
      message: `The zone entry was noticed ${Math.round(age / 1000)} s late (limit ${Math.round(config.maxEntryAgeMs / 1000)} s), so the moment for an offer had passed`,
    };
  }
  const quiet = effectiveQuietHours(consent, config.quietHours);
  if (quiet !== null && inQuietHours(quiet, input.local.minuteOfDay)) {
    return {
      reason: 'quiet-hours',
      message: `Quiet hours ${quiet.start}–${quiet.end} (store time ${formatMinute(input.local.minuteOfDay)})${consent.quietHours === 'default' ? ', the store default' : ''}`,
    };
  }
  if (activity.shownThisVisit >= config.caps.perVisit) {
    return {
      reason: 'visit-cap',
      message: `Already ${activity.shownThisVisit} offer(s) this visit (limit ${config.caps.perVisit} per visit)`,
    };
  }
  if (activity.shownToday >= config.caps.perDay) {
    return {
      reason: 'daily-cap',
      message: `Already ${activity.shownToday} offer(s) today (limit ${config.caps.perDay} per day)`,
    };
  }
  if (activity.lastShownMs !== null && nowMs - activity.lastShownMs < config.caps.minGapMs) {
    return {
      reason: 'min-gap',
      message: `The last offer was ${minutes(nowMs - activity.lastShownMs)} ago; offers are at least ${minutes(config.caps.minGapMs)} apart`,
    };
  }
  return budgetGuard(input, config);
}

function budgetGuard(input: GuardInput, config: GuardConfig): Refusal | null {
  const { standing, costMicro } = input;
  const reason = budgetRefusal(standing, costMicro, config.budget);
  if (reason === null) return null;
  if (reason === 'period-closed') {
    return {
      reason,
      message: `The hub's clock lies in budget period ${standing.period}, whose offer ledger is already closed (pruned), so no offer is chosen`,
    };
  }
  if (reason === 'lifetime-budget-exhausted') {
    const lifetime = config.budget.lifetimeMicro ?? 0;
    return {
      reason,
      message: `Your lifetime offer privacy budget (ε ${fromMicroEpsilon(lifetime)}, ${Math.floor(lifetime / config.budget.periodMicro)} budget period(s) from your enrolment) is used up, so no new offer is chosen`,
    };
  }
  const excluded = standing.excluded ? ' (reached before this version of hushpoint)' : '';
  return {
    reason,
    message: `The offer privacy budget for ${standing.period} is used up${excluded}: ε ${fromMicroEpsilon(standing.spentMicro)} of ${fromMicroEpsilon(config.budget.periodMicro)} spent, a new offer here costs ε ${fromMicroEpsilon(costMicro)}`,
  };
}
