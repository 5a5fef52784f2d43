import { describe, expect, it } from 'vitest';
import { isAppError } from '../../errors.ts';
import { uniformUnit, type RandomSource } from '../../ports/random.ts';
import { addRational, compareRational, rational } from '../../privacy/rational.ts';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import {
  decodeAnyReleasePayload,
  encodeReleasePayloadV2,
  validateReleasePayloadV2,
  type ReleasePayloadV2,
} from '../../upstream/release-payload-v2.ts';
import { cellSums, dpLloyd } from '../core/cluster.ts';
import { planSynthesis } from '../core/calibrate.ts';
import { encodeRows, makeLayout } from '../core/encode.ts';
import { assignGroups } from '../core/groups.ts';
import {
  boundVisits,
  decodeSyntheticVisits,
  dwellBucket,
  synthesizeVisits,
  visitRow,
  visitSchema,
  type ShopperVisit,
} from './mod.ts';

const ZONES = ['bakery', 'produce', 'dairy', 'toys'];

/** Simulated week: bakery is visited by ~80% of visits, toys by ~20%; morning-heavy hours. */
function simulateVisits(rng: RandomSource, shoppers: number): ShopperVisit[] {
  const visits: ShopperVisit[] = [];
  for (let s = 0; s < shoppers; s++) {
    const count = 1 + Math.floor(uniformUnit(rng) * 4);
    for (let v = 0; v < count; v++) {
      const dwellSeconds: Record<string, number> = {};
      if (uniformUnit(rng) < 0.8) dwellSeconds.bakery = 60 + uniformUnit(rng) * 600;
      if (uniformUnit(rng) < 0.5) dwellSeconds.produce = 300 + uniformUnit(rng) * 1200;
      if (uniformUnit(rng) < 0.4) dwellSeconds.dairy = 30 + uniformUnit(rng) * 300;
      if (uniformUnit(rng) < 0.2) dwellSeconds.toys = 1200 + uniformUnit(rng) * 3600;
      visits.push({
        shopper: `s${s}`,
        visit: `v${v}`,
        dwellSeconds,
        startHour: 8 + Math.floor(uniformUnit(rng) * 4),
        weekday: Math.floor(uniformUnit(rng) * 7),
        repeat: count > 1,
      });
    }
  }
  return visits;
}

function wrap(release: ReturnType<typeof synthesizeVisits>): ReleasePayloadV2 {
  return {
    v: 2,
    store: 'store-1',
    release: 'synthetic-visits:2026-W48',
    kind: release.kind,
    budgetPeriod: {
      unit: 'quarter',
      label: '2026-Q4',
      startUnix: 1790805600,
      endUnix: 1798758000,
      timeZone: 'Europe/Berlin',
    },
    window: {
      unit: 'week',
      label: '2026-W48',
      start: '2026-11-23T00:00:00+01:00',
      end: '2026-11-30T00:00:00+01:00',
      startUnix: 1795388400,
      endUnix: 1795993200,
    },
    computedAt: '2026-11-30T01:00:00.000Z',
    privacyUnit: 'shopper-period',
    bounds: { ...release.bounds },
    cost: release.cost,
    cells: [...release.cells],
    measures: [...release.measures],
  };
}

describe('visit records', () => {
  it('buckets dwell at 5, 15, 30 and 60 minutes (0 = not visited)', () => {
    expect([0, 1, 299, 300, 899, 900, 1799, 1800, 3599, 3600, 99999].map(dwellBucket)).toEqual([
      0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5,
    ]);
    const row = visitRow(
      { shopper: 's', visit: 'v', dwellSeconds: { toys: 1000 }, startHour: 9, weekday: 2, repeat: true },
      ['bakery', 'toys'],
    );
    expect(row).toEqual(['0', 0, '1', 3, 9, 2, '1']);
    expect(visitSchema(['bakery', 'toys']).columns.map((c) => c.name)).toEqual([
      'visited:bakery',
      'dwell:bakery',
      'visited:toys',
      'dwell:toys',
      'hour',
      'weekday',
      'repeat',
    ]);
  });

  it('keeps at most K visits per shopper, chosen from their own visits only', () => {
    const seed = 4;
    const visits = simulateVisits(new SeededRandomSource(seed), 200);
    const kept = boundVisits(visits, ZONES, 2, new SeededRandomSource(seed + 1));
    const perShopper = new Map<string, number>();
    for (const v of kept) perShopper.set(v.shopper, (perShopper.get(v.shopper) ?? 0) + 1);
    expect(Math.max(...perShopper.values()), `seed ${seed}`).toBe(2);
    expect(perShopper.size).toBe(200);
    // Removing another shopper does not change which visits s7 keeps (same key).
    const without = boundVisits(
      visits.filter((v) => v.shopper !== 's3'),
      ZONES,
      2,
      new SeededRandomSource(seed + 1),
    );
    const of = (list: ShopperVisit[]) => list.filter((v) => v.shopper === 's7').map((v) => v.visit);
    expect(of(without)).toEqual(of(kept));
  });

  it('rejects a visit outside the public zones or with a bad hour, naming it', () => {
    const visit: ShopperVisit = {
      shopper: 's',
      visit: 'v',
      dwellSeconds: { attic: 10 },
      startHour: 9,
      weekday: 0,
      repeat: false,
    };
    expect(() => boundVisits([visit], ZONES, 2, new SeededRandomSource(1))).toThrow(
      'visits[0] names zone "attic", expected one of: bakery, produce, dairy, toys',
    );
    expect(() =>
      boundVisits([{ ...visit, dwellSeconds: {}, startHour: 24 }], ZONES, 2, new SeededRandomSource(1)),
    ).toThrow('visits[0].startHour is 24, expected an integer 0..23');
  });
});

describe('the weekly synthetic-visits release', () => {
  it('adding a shopper with many visits moves the exact group sums by at most K·R in L2', () => {
    const seed = 9;
    const rng = new SeededRandomSource(seed);
    const layout = makeLayout(visitSchema(ZONES));
    const plan = planSynthesis(layout, { rho: rational(1n, 2n), delta: 1e-6 }, { maxRecordsPerUnit: 2, groupSize: 30 });
    const visits = simulateVisits(rng, 400);
    const extra = simulateVisits(rng, 1).map((v) => ({ ...v, shopper: 'new' }));
    extra.push(...extra.map((v) => ({ ...v, visit: `${v.visit}b` })));
    const sums = (list: ShopperVisit[]) => {
      const kept = boundVisits(list, ZONES, 2, new SeededRandomSource(seed + 1));
      const table = encodeRows(
        layout,
        kept.map((v) => visitRow(v, ZONES)),
      );
      const clustering = dpLloyd(
        encodeRows(
          layout,
          visits.map((v) => visitRow(v, ZONES)),
        ),
        plan,
        1,
        new SeededRandomSource(seed + 2),
      );
      const key = new Uint8Array(32).fill(7);
      const { cells, cellOf } = assignGroups(
        table,
        clustering,
        plan.groupSize,
        key,
        kept.map((v) => `${v.shopper}\u0000${v.visit}`),
      );
      return cellSums(table, (r) => cellOf[r] as number, cells.length);
    };
    const before = sums(visits);
    const after = sums([...visits, ...extra]);
    expect(after.length).toBe(before.length);
    let squared = 0n;
    before.forEach((v, i) => {
      const d = BigInt((after[i] as number) - v);
      squared += d * d;
    });
    expect(squared > 0n).toBe(true);
    expect(squared <= plan.sensitivityL2Squared, `seed ${seed}`).toBe(true);
    expect(plan.sensitivityL2Squared).toBe(4n * layout.featureNormSquared);
  });

  it('returns a valid payload-v2 body within the ρ budget that HQ decodes back to the week', () => {
    const seed = 17;
    const rng = new SeededRandomSource(seed);
    const visits = simulateVisits(rng, 3000);
    const budget = rational(1n, 10n);
    const release = synthesizeVisits(visits, { zones: ZONES, rho: budget, delta: 1e-6, maxVisitsPerShopper: 2 }, rng);
    const payload = wrap(release);
    const checked = validateReleasePayloadV2(JSON.parse(JSON.stringify(payload)));
    expect(checked.ok ? [] : checked.problems).toEqual([]);
    expect(compareRational(release.rho, budget)).toBeLessThanOrEqual(0);
    const sum = release.measures.reduce((s, m) => {
      const [num, den = '1'] = m.rho.split('/');
      return addRational(s, rational(BigInt(num as string), BigInt(den)));
    }, rational(0n));
    expect(sum).toEqual(release.rho);
    const groups = release.measures.find((m) => m.metric === 'centredSum');
    expect(groups?.rows, `seed ${seed}`).toBeGreaterThan(10);

    // The bytes HQ receives decode as v2 and back into the same release.
    const received = decodeAnyReleasePayload(encodeReleasePayloadV2(payload));
    expect(received.ok).toBe(true);
    const decoded = decodeSyntheticVisits(received.ok ? (received.value as ReleasePayloadV2) : payload);
    const total = decoded.groups.reduce((s, g) => s + g.weight, 0);
    const share = (zone: string) =>
      decoded.groups.reduce((s, g) => s + g.weight * (g.zones.find((z) => z.zone === zone)?.visitedShare ?? 0), 0) /
      total;
    expect(share('bakery'), `seed ${seed}`).toBeGreaterThan(0.65);
    expect(share('toys'), `seed ${seed}`).toBeLessThan(0.35);
    const hour = decoded.groups.reduce((s, g) => s + g.weight * g.hour, 0) / total;
    expect(hour, `seed ${seed}`).toBeGreaterThan(8);
    expect(hour, `seed ${seed}`).toBeLessThan(11.5);
    // Kept visits: 3000 shoppers × at most 2 ≈ 5,000; the noisy total is close.
    expect(total / 5000, `seed ${seed}`).toBeGreaterThan(0.85);
    expect(total / 5000, `seed ${seed}`).toBeLessThan(1.15);
    for (const record of decoded.records) {
      expect(record.hour).toBeGreaterThanOrEqual(0);
      expect(record.hour).toBeLessThanOrEqual(23);
      for (const z of record.zones) expect(['<5', '5-15', '15-30', '30-60', '>=60']).toContain(z.dwell);
    }
  });

  it('releases something (fewer or no groups) for a thin week, never an exact-count refusal', () => {
    const rng = new SeededRandomSource(2);
    const release = synthesizeVisits(
      simulateVisits(rng, 5),
      { zones: ZONES, rho: rational(1n, 100n), delta: 1e-6 },
      rng,
    );
    expect(release.measures.find((m) => m.metric === 'centredSum')?.rows).toBe(0);
    expect(decodeSyntheticVisits(wrap(release)).groups).toEqual([]);
  });

  it('refuses a release whose cells are not a synthetic-visits layout', () => {
    try {
      decodeSyntheticVisits({ cells: ['a', 'b'], measures: [] });
      throw new Error('expected SYNTH_BAD_RELEASE');
    } catch (error) {
      expect(isAppError(error, 'SYNTH_BAD_RELEASE')).toBe(true);
      expect((error as Error).message).toMatch(/^cells are \[a, b\], expected visited:Z/);
    }
  });
});
