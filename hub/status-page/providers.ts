import type { Hub } from '../app.ts';
import { offersBudgetDistribution } from './core/offers-budget.ts';
import type { StatusProviders } from './routes.ts';

/**
 * The status page's providers from the hub's features: DP releases, upstream sync and the
 * analytics budget from the release service (hub.privacy), and the offers' budget use today
 * (hub.offers) when offers are enabled.
 */
export function hubStatusProviders(hub: Hub): StatusProviders {
  return {
    privacy: (nowMs) => hub.privacy.status(nowMs),
    budgets: (nowMs) =>
      hub.offers.enabled
        ? [
            offersBudgetDistribution(
              hub.offers.stats({ fromMs: nowMs, toMs: nowMs }, nowMs).budgetToday,
              hub.config.offers.budget.dailyEpsilon,
            ),
          ]
        : [],
  };
}
