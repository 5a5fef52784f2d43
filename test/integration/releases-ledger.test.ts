import { afterEach, describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { hourPeriod } from '../../shared/time/local-calendar.ts';
import {
  addPresence,
  addShoppers,
  addVisit,
  bodyOf,
  ledgerTotals,
  makeService,
  openTestDb,
  ZONES,
  type TestDb,
} from './releases-fixtures.ts';

/**
 * The release service on a real migrated SQLite database: consent, bounding, the ledger's caps
 * and privacy filter, all cells released, never computing a key twice.
 */

const H = 3_600_000;
const T0 = Date.parse('2026-11-28T08:00:00Z');
const S0 = T0 / 1000;
const HUGE_BUDGET = { dailyRho: 10, thirtyDayRho: 300 };

let t: TestDb | null = null;
afterEach(() => {
  t?.close();
  t = null;
});

describe('DP releases from the presence tables', () => {
  it('counts only consenting shoppers, releases every zone (zeros included) and charges what each contributed', async () => {
    t = openTestDb();
    const [a, b, c, noConsent] = addShoppers(t.db, 4, { analytics: (i) => i !== 3 }) as [
      number,
      number,
      number,
      number,
    ];
    addPresence(t.db, a, 'bakery', S0, 3);
    addPresence(t.db, a, 'produce', S0 + 600, 2);
    addPresence(t.db, b, 'bakery', S0 + 100, 1);
    addPresence(t.db, c, 'produce', S0 + 1200, 200); // 2000 s: clamped to 1800
    addPresence(t.db, noConsent, 'dairy', S0, 5);
    addVisit(t.db, a, S0, S0 + 700);
    addVisit(t.db, b, S0 + 100, S0 + 110);
    addVisit(t.db, noConsent, S0, S0 + 50);
    const service = makeService(t.db, { random: new SeededRandomSource(1), exact: true, firstPeriodMs: T0 });
    const report = await service.runDue(T0 + H + 5 * 60_000);
    expect(report.computed).toEqual([
      'footfall:2026-11-28T08:00+00:00',
      'visits:2026-11-28T08:00+00:00',
      'dwell:2026-11-28T08:00+00:00',
    ]);

    const footfall = bodyOf(service, 'footfall:2026-11-28T08:00+00:00');
    expect(footfall.cells).toEqual(ZONES);
    expect(footfall.measures[0]?.values).toEqual([2, 0, 2]);
    expect(footfall).toMatchObject({
      privacyUnit: 'shopper-day',
      period: { unit: 'hour', startUnix: S0, endUnix: S0 + 3600 },
    });
    expect(bodyOf(service, 'visits:2026-11-28T08:00+00:00').measures[0]?.values).toEqual([2]);
    const dwell = bodyOf(service, 'dwell:2026-11-28T08:00+00:00');
    expect(dwell.measures.map((m) => m.metric)).toEqual(['dwellSeconds', 'shoppers']);
    expect(dwell.measures[1]?.values).toEqual([2, 0, 2]);
    // The sum's σ² = 3·1800²/1000 ≈ 9720 (σ ≈ 99): within 6σ of the clamped truth (20 s + 1800 s).
    expect(Math.abs((dwell.measures[0]?.values[2] as number) - (20 + 1800))).toBeLessThan(6 * 99);

    const ledger = t.db
      .prepare('SELECT shopper_pk AS pk, kind, cells FROM privacy_ledger ORDER BY shopper_pk, kind')
      .all();
    expect(ledger).toEqual([
      { pk: a, kind: 'dwell', cells: 2 },
      { pk: a, kind: 'footfall', cells: 2 },
      { pk: a, kind: 'visits', cells: 1 },
      { pk: b, kind: 'dwell', cells: 1 },
      { pk: b, kind: 'footfall', cells: 1 },
      { pk: b, kind: 'visits', cells: 1 },
      { pk: c, kind: 'dwell', cells: 1 },
      { pk: c, kind: 'footfall', cells: 1 },
    ]);
    const totals = ledgerTotals(t.db);
    expect(totals.total).toBe(totals.charged);
    expect(service.releases.get('footfall:2026-11-28T08:00+00:00')).toMatchObject({
      contributors: 3,
      rho: '1000',
      mechanism: 'discrete-gaussian',
      privacyUnit: 'shopper-day',
    });
    expect(service.releases.values('footfall:2026-11-28T08:00+00:00')).toEqual(
      ZONES.map((cell, i) => ({ metric: 'shoppers', cell, value: footfall.measures[0]?.values[i] })),
    );
  });

  it('never computes a release key twice: the stored noise stays, a rerun finds the key', async () => {
    t = openTestDb();
    const [a] = addShoppers(t.db, 1) as [number];
    addPresence(t.db, a, 'dairy', S0, 1);
    const service = makeService(t.db, { random: new SeededRandomSource(2), firstPeriodMs: T0 });
    await service.runDue(T0 + H + 60_001);
    const id = 'footfall:2026-11-28T08:00+00:00';
    const first = service.releases.get(id)?.body;
    const again = await service.runDue(T0 + 2 * H + 60_001);
    expect(again.computed).not.toContain(id);
    expect(service.computeRelease('footfall', hourPeriod(T0, 'UTC'), T0 + 3 * H)).toEqual({ status: 'exists', id });
    expect(service.releases.get(id)?.body.equals(first as Buffer)).toBe(true);
    expect(() =>
      t?.db.prepare('INSERT INTO privacy_releases SELECT * FROM privacy_releases WHERE id = ?').run(id),
    ).toThrow(/UNIQUE|PRIMARY KEY/);
  });

  it('keeps each shopper within the daily cap and leaves them out of the rest of the day once it would be passed', async () => {
    t = openTestDb();
    const [a, b] = addShoppers(t.db, 2) as [number, number];
    // footfall ρ 0.05 with K = 3 (3 zones): 1 zone costs 16,667 µρ; visits 0.02 per hour.
    const service = makeService(t.db, {
      random: new SeededRandomSource(3),
      firstPeriodMs: T0,
      privacy: {
        budget: { dailyRho: 0.1, thirtyDayRho: 1 },
        releases: {
          footfall: { rho: 0.05 },
          visits: { rho: 0.02 },
          dwell: { enabled: false },
          transitions: { enabled: false },
        },
      },
    });
    for (let h = 0; h < 6; h++) {
      addPresence(t.db, a, ZONES[h % 3] as string, S0 + h * 3600, 1);
      addPresence(t.db, a, ZONES[(h + 1) % 3] as string, S0 + h * 3600 + 60, 1);
      if (h === 5) {
        addVisit(t.db, a, S0 + h * 3600, S0 + h * 3600 + 100);
        addVisit(t.db, b, S0 + h * 3600, S0 + h * 3600 + 100);
      }
    }
    await service.runDue(T0 + 6 * H + 5 * 60_000);
    const spentA = service.shopperBudget(a, T0 + 6 * H);
    expect(spentA.spent.dayRho).toBeLessThanOrEqual(0.1);
    expect(spentA.filteredDays).toEqual(['2026-11-28']);
    // Shopper a's last visit hour came after they were filtered: only b is in it.
    expect(service.releases.get('visits:2026-11-28T13:00+00:00')).toMatchObject({
      contributors: 1,
      excludedFiltered: 1,
    });
    expect(ledgerTotals(t.db).maxDay).toBeLessThanOrEqual(100_000);
    expect(spentA.entries.map((e) => e.kind)).toEqual(['footfall']);
    expect(spentA.epsilonToday).toBeGreaterThan(0);
  });

  it('bounds footfall to K zones per shopper-day across hours', async () => {
    t = openTestDb();
    const [a] = addShoppers(t.db, 1) as [number];
    for (let h = 0; h < 4; h++)
      for (const zone of ZONES) addPresence(t.db, a, zone, S0 + h * 3600 + ZONES.indexOf(zone) * 600, 1);
    const service = makeService(t.db, {
      random: new SeededRandomSource(4),
      firstPeriodMs: T0,
      privacy: { releases: { footfall: { maxZonesPerDay: 5 } }, budget: HUGE_BUDGET },
    });
    await service.runDue(T0 + 4 * H + 5 * 60_000);
    const cells = t.db.prepare("SELECT cells FROM privacy_ledger WHERE kind = 'footfall'").pluck().get();
    expect(cells).toBe(5);
    expect(service.releases.list({ kind: 'footfall' }).map((r) => r.excludedCellCap)).toEqual([0, 0, 1, 1]);
  });

  it('releases zone transitions per day over all ordered pairs, once per pair per shopper', async () => {
    t = openTestDb();
    const [a, b] = addShoppers(t.db, 2) as [number, number];
    addPresence(t.db, a, 'bakery', S0, 2);
    addPresence(t.db, a, 'dairy', S0 + 20, 2);
    addPresence(t.db, a, 'bakery', S0 + 40, 2);
    addPresence(t.db, a, 'dairy', S0 + 60, 1);
    addPresence(t.db, b, 'produce', S0, 1);
    addPresence(t.db, b, 'bakery', S0 + 4000, 1); // after a 3990 s gap: a new visit, no transition
    const service = makeService(t.db, { random: new SeededRandomSource(5), firstPeriodMs: T0, exact: true });
    await service.runDaily(Date.parse('2026-11-29T00:15:00Z'));
    const body = bodyOf(service, 'transitions:2026-11-28');
    expect(body.cells).toEqual([
      'bakery>dairy',
      'bakery>produce',
      'dairy>bakery',
      'dairy>produce',
      'produce>bakery',
      'produce>dairy',
    ]);
    expect(body.measures[0]?.values).toEqual([1, 0, 1, 0, 0, 0]);
    expect(t.db.prepare("SELECT shopper_pk, cells FROM privacy_ledger WHERE kind = 'transitions'").all()).toEqual([
      { shopper_pk: a, cells: 2 },
    ]);
  });

  it("forgets a deleted shopper's ledger with them", async () => {
    t = openTestDb();
    const [a] = addShoppers(t.db, 1) as [number];
    addPresence(t.db, a, 'bakery', S0, 1);
    const service = makeService(t.db, { random: new SeededRandomSource(6), firstPeriodMs: T0 });
    await service.runHourly(T0 + H + 60_001);
    expect(service.shopperBudget(a, T0).spent.dayRho).toBeGreaterThan(0);
    t.db.prepare('DELETE FROM shoppers WHERE pk = ?').run(a);
    expect(t.db.prepare('SELECT COUNT(*) FROM privacy_ledger').pluck().get()).toBe(0);
  });

  it('accepts an extra daily release kind registered by another feature', async () => {
    t = openTestDb();
    const [a, b] = addShoppers(t.db, 2) as [number, number];
    const service = makeService(t.db, { random: new SeededRandomSource(7), firstPeriodMs: T0, exact: true });
    service.registerDailyRelease({
      kind: 'offer-response',
      cells: () => ['personalised:shown', 'holdout:shown'],
      rows: () => [
        { shopperPk: a, cell: 'personalised:shown', value: 3 },
        { shopperPk: b, cell: 'holdout:shown', value: 9 },
      ],
      measures: [{ metric: 'offers', query: 'sum', clamp: { lo: 0, hi: 5 }, share: { num: 1n, den: 1n } }],
      maxCellsPerDay: 2,
      rho: 1000,
    });
    expect(() =>
      service.registerDailyRelease({
        kind: 'offer-response',
        cells: () => [],
        rows: () => [],
        measures: [],
        maxCellsPerDay: 1,
        rho: 1,
      }),
    ).toThrow(/already registered/);
    await service.runDaily(Date.parse('2026-11-29T00:15:00Z'));
    expect(bodyOf(service, 'offer-response:2026-11-28').measures[0]?.values).toEqual([3, 5]);
    expect(service.kinds().map((k) => k.kind)).toContain('offer-response');
  });

  it('prunes ledger rows and exact release counts once no window or catch-up can need them', async () => {
    t = openTestDb();
    const [a] = addShoppers(t.db, 1) as [number];
    addPresence(t.db, a, 'bakery', S0, 1);
    const service = makeService(t.db, { random: new SeededRandomSource(8), firstPeriodMs: T0 });
    await service.runHourly(T0 + H + 60_001);
    await service.runDaily(T0 + 36 * 86_400_000);
    expect(t.db.prepare('SELECT COUNT(*) FROM privacy_ledger').pluck().get()).toBe(2); // footfall and dwell
    await service.runDaily(T0 + 38 * 86_400_000);
    expect(t.db.prepare('SELECT COUNT(*) FROM privacy_ledger').pluck().get()).toBe(0);
    expect(service.releases.get('footfall:2026-11-28T08:00+00:00')).toMatchObject({ contributors: 0, chargedMicro: 0 });
    expect(ledgerTotals(t.db).total).toBe(ledgerTotals(t.db).charged);
  });
});
