import type { BudgetInput } from './status-view.ts';

/**
 * The offers' budget use today (hub/offers OfferService.stats().budgetToday: shoppers with an
 * offer decision today in buckets "spent at most upTo ε", upTo = 0, 25, 50, 75, 100 % of the
 * daily cap) as a status page histogram. Counts only: no shopper appears in it.
 */
export interface OffersBudgetToday {
  readonly shoppers: number;
  readonly buckets: readonly { readonly upTo: number; readonly shoppers: number }[];
}

export function offersBudgetDistribution(today: OffersBudgetToday, dailyCapEpsilon: number): BudgetInput {
  let previous = 0;
  const bins = today.buckets.map((bucket, i) => {
    const toPercent = dailyCapEpsilon > 0 ? Math.round((100 * bucket.upTo) / dailyCapEpsilon) : 0;
    const bin = {
      fromPercent: i === 0 ? 0 : previous,
      toPercent,
      units: bucket.shoppers,
      label: toPercent === 0 ? 'none' : `≤${toPercent}`,
    };
    previous = toPercent;
    return bin;
  });
  return {
    name: 'offers-day',
    label: 'Offers, today (share of the daily ε cap)',
    unit: 'ε',
    cap: dailyCapEpsilon,
    units: today.shoppers,
    bins,
  };
}
