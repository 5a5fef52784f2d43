import { offersBudgetDistribution, type OffersBudgetToday } from './core/offers-budget.ts';
import type { PrivacyInput } from './core/status-view.ts';
import type { StatusProviders } from './routes.ts';

/**
 * The status page's providers from the hub's features: DP releases, upstream sync and the
 * analytics budget from the privacy feature, and the offers' budget use today when offers are
 * enabled. The features are passed in as functions, so the page depends on none of them.
 */
export function hubStatusProviders(features: {
  privacyStatus: (nowMs: number) => PrivacyInput;
  /** Today's offer budget use and the daily cap, or null when offers are disabled. */
  offersBudgetToday: (nowMs: number) => { today: OffersBudgetToday; dailyEpsilon: number } | null;
}): StatusProviders {
  return {
    privacy: (nowMs) => features.privacyStatus(nowMs),
    budgets: (nowMs) => {
      const offers = features.offersBudgetToday(nowMs);
      return offers === null ? [] : [offersBudgetDistribution(offers.today, offers.dailyEpsilon)];
    },
  };
}
