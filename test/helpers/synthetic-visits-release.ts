import { releaseTopic } from '../../shared/protocol/topics.ts';
import { rational } from '../../shared/privacy/rational.ts';
import { synthesizeVisits, SYNTHETIC_VISITS_KIND, type ShopperVisit } from '../../shared/synth/visits/mod.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { encodeReleasePayloadV2 } from '../../shared/upstream/release-payload-v2.ts';
import type { SimulatedRelease } from '../../scripts/sim/chain/chain.ts';

/**
 * A store's weekly synthetic-visits release as the hub builds it (the real synthesizer with its
 * exact discrete Gaussian noise), from visits with a known shape: most visits go to `zones[0]`
 * for 15–30 minutes, start at 17:00 on a Saturday, and a third are repeats. Seeded, so a test
 * can print and reproduce it.
 */

export const SYNTH_ZONES = ['bakery', 'toys', 'garden'] as const;

export function shapedVisits(count: number, seed: string): ShopperVisit[] {
  const rng = new SeededRandomSource(seed);
  const u = (): number => rng.nextUint32() / 2 ** 32;
  return Array.from({ length: count }, (_, i) => {
    const dwellSeconds: Record<string, number> = {};
    if (u() < 0.9) dwellSeconds.bakery = 15 * 60 + Math.floor(u() * 14 * 60);
    if (u() < 0.2) dwellSeconds.toys = 60 + Math.floor(u() * 200);
    return {
      shopper: `s${i}`,
      visit: '1',
      dwellSeconds,
      startHour: u() < 0.8 ? 17 : Math.floor(u() * 24),
      weekday: u() < 0.8 ? 5 : Math.floor(u() * 7),
      repeat: i % 3 === 0,
    };
  });
}

/** Monday 2026-11-09 00:00 Europe/Berlin, the week the releases cover. */
const WEEK = { label: '2026-W46', start: '2026-11-09T00:00:00+01:00', end: '2026-11-16T00:00:00+01:00' };
const PERIOD = { unit: 'quarter' as const, label: '2026-Q4', startUnix: 1790805600, endUnix: 1798758000 };

export function syntheticVisitsRelease(store: string, visits: readonly ShopperVisit[], seed: string): SimulatedRelease {
  const released = synthesizeVisits(
    visits,
    { zones: SYNTH_ZONES, rho: rational(1n, 2n), delta: 1e-6 },
    new SeededRandomSource(`${seed}:noise`),
  );
  const startUnix = Date.parse(WEEK.start) / 1000;
  const endUnix = Date.parse(WEEK.end) / 1000;
  const body = encodeReleasePayloadV2({
    v: 2,
    store,
    release: `${SYNTHETIC_VISITS_KIND}:${WEEK.label}`,
    kind: SYNTHETIC_VISITS_KIND,
    budgetPeriod: { ...PERIOD, timeZone: 'Europe/Berlin' },
    window: { unit: 'week', label: WEEK.label, start: WEEK.start, end: WEEK.end, startUnix, endUnix },
    computedAt: '2026-11-16T00:10:00+01:00',
    privacyUnit: 'shopper-period',
    bounds: released.bounds,
    cost: released.cost,
    cells: [...released.cells],
    measures: [...released.measures],
  });
  return {
    store,
    kind: SYNTHETIC_VISITS_KIND,
    releaseId: `${SYNTHETIC_VISITS_KIND}:${WEEK.label}`,
    topic: releaseTopic(store, SYNTHETIC_VISITS_KIND),
    body,
    truth: [],
    windowEnd: endUnix,
  };
}
