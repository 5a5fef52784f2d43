import { describe, expect, it } from 'vitest';
import { offersBudgetDistribution } from './offers-budget.ts';

describe('offersBudgetDistribution', () => {
  it('turns "spent at most upTo ε" buckets into labelled bins in percent of the daily cap', () => {
    const view = offersBudgetDistribution(
      {
        shoppers: 7,
        buckets: [
          { upTo: 0, shoppers: 1 },
          { upTo: 0.5, shoppers: 2 },
          { upTo: 1, shoppers: 0 },
          { upTo: 1.5, shoppers: 3 },
          { upTo: 2, shoppers: 1 },
        ],
      },
      2,
    );
    expect(view).toEqual({
      name: 'offers-day',
      label: 'Offers, today (share of the daily ε cap)',
      unit: 'ε',
      cap: 2,
      units: 7,
      bins: [
        { fromPercent: 0, toPercent: 0, units: 1, label: 'none' },
        { fromPercent: 0, toPercent: 25, units: 2, label: '≤25' },
        { fromPercent: 25, toPercent: 50, units: 0, label: '≤50' },
        { fromPercent: 50, toPercent: 75, units: 3, label: '≤75' },
        { fromPercent: 75, toPercent: 100, units: 1, label: '≤100' },
      ],
    });
  });
});
