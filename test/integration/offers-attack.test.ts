import { describe, expect, it } from 'vitest';
import { hushpoint } from '../helpers/cli.ts';
import { runOffersAttack } from '../../scripts/offers-attack/run-attack.ts';

/**
 * The attack of docs/shopper-api.md#the-attack, through the hub's own offers feature: an observer
 * records every offer a daily shopper is shown for a year and guesses their top k. With the
 * default config the best attack stays within chance + 10 points (the claim), with its 95%
 * interval below the bound too; the v1 behaviour — a fresh draw every visit — fails the same
 * bound (the negative control), which shows the test can fail. Seeds are fixed; the figures are
 * means over the simulated shoppers with their 95% intervals.
 */

describe('an observer of a shopper’s offers over 365 days', () => {
  it('recovers at most chance + 0.10 of the top k with the default config; a fresh draw every visit fails', () => {
    const seed = 'offers-attack-test';
    const defaults = runOffersAttack({ days: 365, seed, shoppers: 50, only: ['sticky'] });
    const controls = runOffersAttack({ days: 365, seed, shoppers: 15, only: ['churn', 'fresh'] });
    console.info(
      `offers attack (seed ${seed}): ${JSON.stringify({
        chance: defaults.chance,
        sticky: [defaults.recovery, defaults.interval95],
        churn: [controls.worstCase.recovery, controls.worstCase.interval95],
        fresh: controls.scenarios.fresh.recovery,
      })}`,
    );
    expect(defaults).toMatchObject({ n: 20, k: 8, chance: 0.4, bound: 0.5, periodEpsilon: 1, passes: true });
    expect(defaults.recovery, `seed ${seed}`).toBeLessThanOrEqual(defaults.bound);
    expect(defaults.interval95[1], `seed ${seed}`).toBeLessThan(defaults.bound);
    // Unchanging data: one draw, carried into each new period (charged ε 1 per period, the same sample).
    expect(defaults.scenarios.sticky).toMatchObject({ freshDrawsPerShopper: 1, carriedDrawsPerShopper: 4 });
    expect(defaults.scenarios.sticky.epsilonPerShopper).toBe(5);
    // The budget is what bounds the worst case: one fresh draw per period, five periods in the year observed.
    expect(controls.scenarios.churn).toMatchObject({ freshDrawsPerShopper: 5, epsilonPerShopper: 5 });
    // The negative control: v1's fresh draws give the observer the top k.
    const fresh = controls.scenarios.fresh;
    expect(fresh.recovery, `seed ${seed}`).toBeGreaterThan(defaults.bound);
    expect(fresh.interval95[0], `seed ${seed}`).toBeGreaterThan(defaults.bound);
    expect(fresh.freshDrawsPerShopper).toBeGreaterThan(300);
  });

  it('runs as `hushpoint audit offers-attack --json` with days, recovery and chance', async () => {
    const run = await hushpoint([
      'audit',
      'offers-attack',
      '--days',
      '20',
      '--shoppers',
      '10',
      '--seed',
      'cli',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ days: 20, seed: 'cli', shoppers: 10, chance: 0.4, passes: true });
    expect(typeof report.recovery).toBe('number');
    expect(run.stderr).toMatch(/scenario sticky: 10 shoppers × 20 days/);
    const bad = await hushpoint(['audit', 'offers-attack', '--days', 'many']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--days is "many", expected an integer 1..3650');
  });
});
