import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { budgetPeriodAt } from '../../shared/time/local-calendar.ts';
import type { OfferStep } from '../../hub/offers/mod.ts';
import { openOffersHarness, type OffersHarness } from '../../scripts/offers-attack/offers-harness.ts';

/**
 * The offer budget's accounting property (docs/shopper-api.md#the-offer-budget), on random clock
 * traces: whatever the hub's clock does — runs forward, jumps forward across a period's edge,
 * jumps back into the previous period, catches up — whatever the shoppers' data does (each
 * change is a new ranking version, so a fresh, charged draw), and wherever a crash interrupts a
 * decision between its steps, no shopper's offer spending in any budget period passes the cap,
 * every charge belongs to the period of the decision's own time, and the ledger holds exactly
 * the ε of the recorded decisions, period by period. fast-check prints the seed and the shrunk
 * trace of a failure.
 */

const H = 3_600_000;
const START = Date.parse('2026-09-20T12:00:00Z'); // ten days before the end of 2026-Q3
const CAP_MICRO = 2_500_000;
const STEPS: readonly OfferStep[] = ['offer-decided', 'offer-recorded', 'offer-charged'];
const ZONES = ['denim', 'shoes'];

type Move =
  | { kind: 'advance'; hours: number }
  | { kind: 'jump-back'; hours: number }
  | { kind: 'crash'; step: number }
  | { kind: 'change'; shopper: number };

const move: fc.Arbitrary<Move> = fc.oneof(
  fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 200, max: 1500 }) }),
  fc.record({ kind: fc.constant('jump-back' as const), hours: fc.integer({ min: 1, max: 1500 }) }),
  fc.record({ kind: fc.constant('crash' as const), step: fc.integer({ min: 0, max: STEPS.length - 1 }) }),
  fc.record({ kind: fc.constant('change' as const), shopper: fc.integer({ min: 0, max: 2 }) }),
);

const CATALOG = {
  offers: [
    ...['a', 'b', 'c', 'd'].map((s, i) => ({
      id: `denim-${s}`,
      title: s,
      category: ['denim', 'shirts', 'belts', 'socks'][i],
      zones: ['denim'],
      validFrom: '2026-01-01T00:00:00Z',
      validTo: '2028-01-01T00:00:00Z',
    })),
    ...['a', 'b', 'c'].map((s, i) => ({
      id: `shoes-${s}`,
      title: s,
      category: ['boots', 'sneakers', 'sandals'][i],
      zones: ['shoes'],
      validFrom: '2026-01-01T00:00:00Z',
      validTo: '2028-01-01T00:00:00Z',
      ...(i === 0 ? { sensitivity: 'price-sensitive' } : {}),
    })),
  ],
};

function open(seed: number, checkpoint?: (step: OfferStep) => void): OffersHarness {
  const t = openOffersHarness({
    startMs: START,
    random: new SeededRandomSource(seed),
    offers: {
      quietHours: null,
      holdoutShare: 0.1,
      caps: { perVisit: 100, perDay: 100, minGapSeconds: 0 },
      budget: { periodEpsilon: CAP_MICRO / 1e6 },
    },
    ...(checkpoint !== undefined ? { checkpoint } : {}),
  });
  t.offers.catalog.apply(CATALOG, { replace: true, nowMs: START });
  return t;
}

const CATEGORIES = ['denim', 'shirts', 'belts', 'socks', 'boots', 'sneakers', 'sandals'];

function checkInvariants(t: OffersHarness, after: string): void {
  // 1. No period over its cap.
  const over = t.db
    .prepare("SELECT shopper_pk, period, spent_micro FROM budget_ledger WHERE budget = 'offers' AND spent_micro > ?")
    .all(CAP_MICRO);
  expect(over, `over the cap after ${after}`).toEqual([]);
  // 2. The ledger is exactly the ε of the recorded decisions, shopper by shopper and period by period.
  const ledger = t.db
    .prepare(
      "SELECT shopper_pk AS pk, period, spent_micro AS spent, charges FROM budget_ledger WHERE budget = 'offers'",
    )
    .all() as Array<{ pk: number; period: string; spent: number; charges: number }>;
  const recorded = t.db
    .prepare(
      `SELECT shopper_pk AS pk, budget_period AS period, SUM(epsilon_micro) AS spent, SUM(draw IN ('fresh', 'carried')) AS charges
       FROM offer_decisions WHERE outcome = 'shown' GROUP BY shopper_pk, budget_period HAVING SUM(epsilon_micro) > 0`,
    )
    .all() as typeof ledger;
  const key = (r: { pk: number; period: string }): string => `${r.pk} ${r.period}`;
  const byKey = (rows: typeof ledger) =>
    Object.fromEntries(rows.filter((r) => r.spent > 0).map((r) => [key(r), [r.spent, r.charges]]));
  expect(byKey(ledger), `ledger vs decisions after ${after}`).toEqual(byKey(recorded));
  // 3. Every decision names the period of its own time; every fresh draw is stored, once.
  for (const row of t.db
    .prepare('SELECT at_ms AS at, budget_period AS period FROM offer_decisions WHERE budget_period IS NOT NULL')
    .all() as Array<{ at: number; period: string }>)
    expect(row.period, `decision at ${new Date(row.at).toISOString()}`).toBe(
      budgetPeriodAt(row.at, 'quarter', 'UTC').label,
    );
  const fresh = t.db.prepare("SELECT COUNT(*) FROM offer_decisions WHERE draw IN ('fresh', 'carried')").pluck().get();
  expect(t.db.prepare('SELECT COUNT(*) FROM offer_draws').pluck().get(), `draws after ${after}`).toBe(fresh);
}

describe('the offer budget under random clock traces, data changes and crashes', () => {
  it('never lets a period pass its cap; the ledger equals the recorded decisions, period by period', () => {
    let binding = 0;
    let crashes = 0;
    fc.assert(
      fc.property(
        fc.array(move, { minLength: 1, maxLength: 14 }),
        fc.integer({ min: 1, max: 1 << 30 }),
        (moves, seed) => {
          let crashAt: OfferStep | null = null;
          const t = open(seed, (step) => {
            if (step === crashAt) {
              crashAt = null;
              crashes++;
              throw new Error(`injected crash at ${step}`);
            }
          });
          try {
            const shoppers = [t.enroll(), t.enroll(), t.enroll()];
            let version = 0;
            for (const m of moves) {
              if (m.kind === 'advance') t.clock.advance(m.hours * H);
              else if (m.kind === 'jump-back') t.clock.advance(-m.hours * H);
              else if (m.kind === 'crash') crashAt = STEPS[m.step] as OfferStep;
              else {
                // A data change: a new ranking version, so the next decision draws afresh (if the budget allows).
                version++;
                t.offers.store.setPreferences(
                  shoppers[m.shopper] as number,
                  { categories: [CATEGORIES[version % CATEGORIES.length] as string], brands: [], sizes: [] },
                  t.clock.now(),
                );
              }
              for (const pk of shoppers)
                for (const zone of ZONES) {
                  t.clock.advance(60_000);
                  try {
                    t.enter(pk, zone);
                  } catch (error) {
                    if (!String(error).includes('injected crash')) throw error;
                  }
                }
              checkInvariants(t, JSON.stringify(m));
            }
            // The cap bound when a new draw did not fit: the offer was kept, or refused.
            const refusals = t.db
              .prepare("SELECT COUNT(*) FROM offer_decisions WHERE reason = 'period-budget-exhausted' OR draw = 'kept'")
              .pluck()
              .get() as number;
            if (refusals > 0) binding++;
          } finally {
            t.close();
          }
        },
      ),
      { numRuns: 30, seed: 1414 },
    );
    // The cap binds in some traces and crashes happen (else the property says little).
    expect(binding).toBeGreaterThan(0);
    expect(crashes).toBeGreaterThan(0);
  });

  it('a period whose ledger was pruned stays closed when the clock jumps back into it', () => {
    const t = open(7);
    try {
      const pk = t.enroll();
      expect(t.enter(pk, 'denim')).toMatchObject({ outcome: 'shown', draw: 'fresh', period: '2026-Q3' });
      t.clock.advance(800 * 24 * H); // two years on: the ledger keeps a year of periods
      expect(t.offers.runRetention(t.clock.now())).toMatchObject({ ledger: 2, draws: 1 }); // the period and its per-item row
      t.clock.set(START + H); // ... and back into 2026-Q3
      t.offers.store.setPreferences(pk, { categories: ['belts'], brands: [], sizes: [] }, t.clock.now());
      const refused = t.enter(pk, 'denim');
      expect(refused).toMatchObject({ outcome: 'refused', reason: 'period-closed', period: '2026-Q3' });
      expect(t.ledger.state(pk, 'offers', '2026-Q3')).toEqual({ spentMicro: 0, excluded: false });
    } finally {
      t.close();
    }
  });
});
