import { budgetLeft, fromMicroEpsilon, type BudgetCapsMicro, type BudgetSpentMicro } from './budget.ts';
import { formatMinute, inQuietHours, type LocalTime, type QuietHours } from './local-time.ts';

/**
 * The checks before an offer may be shown (docs/shopper-api.md), pure and in a fixed order: consent,
 * pause, a stale zone entry, quiet hours, frequency caps (per visit, per day, minimum gap) and
 * the offer budget. The first failing check is the refusal, with a stable reason code and a
 * message the shopper can read in their audit trail.
 */

export type RefusalReason =
  | 'consent-withdrawn'
  | 'paused'
  | 'stale-entry'
  | 'quiet-hours'
  | 'visit-cap'
  | 'daily-cap'
  | 'min-gap'
  | 'daily-budget-exhausted'
  | 'thirty-day-budget-exhausted';

export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'consent-withdrawn',
  'paused',
  'stale-entry',
  'quiet-hours',
  'visit-cap',
  'daily-cap',
  'min-gap',
  'daily-budget-exhausted',
  'thirty-day-budget-exhausted',
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
  readonly spent: BudgetSpentMicro;
}

export interface GuardConfig {
  readonly budget: BudgetCapsMicro;
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
  /** µε the offer would cost. */
  readonly epsilonMicro: number;
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
  const left = budgetLeft(config.budget, activity.spent);
  if (input.epsilonMicro > left.todayMicro) {
    return {
      reason: 'daily-budget-exhausted',
      message: `Today's offer privacy budget is used up: ε ${fromMicroEpsilon(activity.spent.todayMicro)} of ${fromMicroEpsilon(config.budget.dailyMicro)} spent, an offer here costs ε ${fromMicroEpsilon(input.epsilonMicro)}`,
    };
  }
  if (input.epsilonMicro > left.windowMicro) {
    return {
      reason: 'thirty-day-budget-exhausted',
      message: `The 30-day offer privacy budget is used up: ε ${fromMicroEpsilon(activity.spent.windowMicro)} of ${fromMicroEpsilon(config.budget.thirtyDayMicro)} spent, an offer here costs ε ${fromMicroEpsilon(input.epsilonMicro)}`,
    };
  }
  return null;
}
