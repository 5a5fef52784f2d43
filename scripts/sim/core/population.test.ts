import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import { corridorStore } from '../test-stores.ts';
import { arrivalCurve, DEFAULT_HOURLY_SHAPE, expectedArrivals, rateAt, sampleArrivals } from './arrivals.ts';
import { buildMovementModel } from './movement.ts';
import { isDetectable, planShoppers, type ShopperPlan } from './population.ts';
import { Sampler } from './sampler.ts';

describe('arrivals', () => {
  it('uses the store curve, or the default shape scaled to the peak', () => {
    const given = arrivalCurve(9 * 60, 12 * 60, { arrivalsPerHour: [10, 20, 30], peakArrivalsPerHour: 999 });
    expect(given.perHour).toEqual([10, 20, 30]);
    const shaped = arrivalCurve(9 * 60, 21 * 60, { peakArrivalsPerHour: 200 });
    expect(Math.max(...shaped.perHour)).toBe(200);
    expect(shaped.perHour[8]).toBe(200 * (DEFAULT_HOURLY_SHAPE[17] as number)); // 17:00 is the default peak
    expect(() => arrivalCurve(600, 600, { peakArrivalsPerHour: 1 })).toThrow(/expected more than 0/);
  });

  it('compresses the opening day into the simulated span at the real hourly rates', () => {
    const curve = arrivalCurve(9 * 60, 12 * 60, { arrivalsPerHour: [60, 600, 120], peakArrivalsPerHour: 0 });
    expect(rateAt(curve, 0)).toBe(60);
    expect(rateAt(curve, 0.5)).toBe(600);
    expect(rateAt(curve, 0.99)).toBe(120);
    // A 90-minute span: each opening hour gets 30 simulated minutes at its own rate.
    const spanMs = 90 * 60_000;
    expect(expectedArrivals(curve, spanMs)).toBeCloseTo(30 + 300 + 60, 9);
    const counts = [0, 0, 0];
    let total = 0;
    for (let run = 0; run < 40; run++) {
      const arrivals = sampleArrivals(curve, spanMs, new Sampler(new SeededRandomSource(`arrivals-${run}`)));
      for (const t of arrivals) (counts[Math.floor((t / spanMs) * 3)] as number)++;
      total += arrivals.length;
      for (let i = 1; i < arrivals.length; i++) expect(arrivals[i]).toBeGreaterThan(arrivals[i - 1] as number);
    }
    // Poisson: mean 390 per run, sd √390 ≈ 20 per run, ≈ 125 over 40 runs.
    expect(Math.abs(total - 40 * 390)).toBeLessThan(4 * Math.sqrt(40 * 390));
    expect(Math.abs((counts[1] as number) - 40 * 300)).toBeLessThan(4 * Math.sqrt(40 * 300));
    expect(Math.abs((counts[0] as number) - 40 * 30)).toBeLessThan(4 * Math.sqrt(40 * 30));
  });
});

describe('shopper population', () => {
  const store = corridorStore({ shoppers: { optInFraction: 0.3 } });
  const model = buildMovementModel(store.zones, store.entrance, store.movement);
  const N = 6000;
  const plans = planShoppers(
    Array.from({ length: N }, (_, i) => i * 1000),
    store.shoppers,
    model,
    new SeededRandomSource('population'),
  );
  const share = (pred: (p: ShopperPlan) => boolean, among: ShopperPlan[] = plans): number =>
    among.filter(pred).length / among.length;
  const within = (observed: number, p: number, n: number): void => {
    expect(Math.abs(observed - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
  };

  it('opts in the configured fraction, and only opted-in shoppers get keys and ids', () => {
    within(
      share((p) => p.kind !== 'not-opted-in'),
      0.3,
      N,
    );
    for (const p of plans) {
      expect(p.identityKey !== null).toBe(p.kind !== 'not-opted-in');
      expect(p.shopperId !== null).toBe(p.kind !== 'not-opted-in');
      if (p.identityKey !== null) expect(p.identityKey).toHaveLength(16);
    }
    const ids = plans.flatMap((p) => (p.shopperId === null ? [] : [p.shopperId]));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe('shopper-00001');
    const keys = plans.flatMap((p) => (p.identityKey === null ? [] : [Buffer.from(p.identityKey).toString('hex')]));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('splits the opted-in shoppers by kind and Android phones by advertise mode', () => {
    const optedIn = plans.filter((p) => p.kind !== 'not-opted-in');
    const o = store.shoppers.optedIn;
    within(
      share((p) => p.kind === 'android', optedIn),
      o.android,
      optedIn.length,
    );
    within(
      share((p) => p.kind === 'ios-foreground', optedIn),
      o.iosForeground,
      optedIn.length,
    );
    within(
      share((p) => p.kind === 'ios-background', optedIn),
      o.iosBackground,
      optedIn.length,
    );
    within(
      share((p) => p.kind === 'tag', optedIn),
      o.tag,
      optedIn.length,
    );
    const android = optedIn.filter((p) => p.kind === 'android');
    const intervals = android.map((p) => p.devices[0]?.advertisers[0]?.intervalMs);
    within(
      intervals.filter((i) => i === 100).length / android.length,
      store.shoppers.androidModes.lowLatency,
      android.length,
    );
    within(
      intervals.filter((i) => i === 1000).length / android.length,
      store.shoppers.androidModes.lowPower,
      android.length,
    );
    expect(isDetectable('ios-background')).toBe(false);
  });

  it('gives every opted-in kind its carrier and everyone the noise they carry', () => {
    for (const p of plans.slice(0, 2000)) {
      const kinds = p.devices.flatMap((d) => d.advertisers.map((a) => a.kind));
      if (p.kind === 'android') expect(kinds.slice(0, 2)).toEqual(['android-app', 'google-nearby']);
      if (p.kind === 'ios-foreground') expect(kinds.slice(0, 2)).toEqual(['ios-app-foreground', 'apple-nearby']);
      if (p.kind === 'ios-background') expect(kinds.slice(0, 2)).toEqual(['ios-app-background', 'apple-nearby']);
      if (p.kind === 'tag') expect(kinds).toContain('loyalty-tag');
      if (p.kind === 'not-opted-in')
        expect(
          kinds.some((k) => ['android-app', 'ios-app-foreground', 'ios-app-background', 'loyalty-tag'].includes(k)),
        ).toBe(false);
      if (p.kind !== 'tag') expect(p.clockSkewSeconds).toBe(0);
      else expect(Math.abs(p.clockSkewSeconds)).toBeLessThanOrEqual(store.shoppers.tagClockSkewSeconds);
    }
    within(
      share((p) => p.devices.some((d) => d.device === 'earbuds')),
      store.shoppers.earbudsShare,
      N,
    );
    within(
      share((p) => p.devices.some((d) => d.device === 'watch')),
      store.shoppers.watchShare,
      N,
    );
  });
});
