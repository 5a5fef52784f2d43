import { afterEach, describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { parseDayLabel, windowOfDay } from '../../shared/time/local-calendar.ts';
import { decodeSyntheticVisits } from '../../shared/synth/visits/mod.ts';
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
 * The release service (privacy contract v2) on a real migrated SQLite database: consent, the
 * kinds' cells and bounds, every cell released, the one budget ledger keyed by the period of the
 * data, the individual filter, the lifetime cap, never computing a key twice, and the carry-over
 * of v1 charges on upgrade.
 */

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.parse('2026-09-21T00:00:00Z'); // a Monday in 2026-Q3 (UTC store)
const S0 = T0 / 1000;
const day = (label: string): number => parseDayLabel(label) as number;
const spent = (t: TestDb, pk: number, period: string): { spent: number; excluded: boolean } => {
  const row = t.db
    .prepare(
      "SELECT spent_micro AS spent, excluded_by IS NOT NULL AS excluded FROM budget_ledger WHERE shopper_pk = ? AND budget = 'analytics' AND period = ?",
    )
    .get(pk, period) as { spent: number; excluded: number } | undefined;
  return { spent: row?.spent ?? 0, excluded: row?.excluded === 1 };
};

let t: TestDb | null = null;
afterEach(() => {
  t?.close();
  t = null;
});

describe('DP releases v2 from the presence tables', () => {
  it('counts only consenting shoppers, releases every cell (zeros included) and charges what each contributed', async () => {
    t = openTestDb();
    const [a, b, noConsent] = addShoppers(t.db, 3, { analytics: (i) => i !== 2 }) as [number, number, number];
    addPresence(t.db, a, 'bakery', S0 + 10 * 3600, 3);
    addPresence(t.db, a, 'produce', S0 + 10 * 3600 + 600, 2);
    addPresence(t.db, b, 'bakery', S0 + 14 * 3600, 1);
    addPresence(t.db, noConsent, 'dairy', S0 + 9 * 3600, 5);
    addVisit(t.db, a, S0 + 10 * 3600, S0 + 10 * 3600 + 700, { bakery: 30, produce: 20 });
    addVisit(t.db, b, S0 + 14 * 3600, S0 + 14 * 3600 + 10, { bakery: 10 });
    addVisit(t.db, noConsent, S0 + 9 * 3600, S0 + 9 * 3600 + 50, { dairy: 50 });
    const service = makeService(t.db, { random: new SeededRandomSource(1), exact: true, firstWindowMs: T0 });
    const report = await service.runDue(T0 + D + 2 * H);
    expect(report.computed).toEqual(['footfall:2026-09-21', 'visits:2026-09-21']);

    const footfall = bodyOf(service, 'footfall:2026-09-21');
    expect(footfall.cells).toEqual(ZONES);
    expect(footfall.measures[0]?.values).toEqual([2, 0, 1]);
    expect(footfall).toMatchObject({
      v: 2,
      privacyUnit: 'shopper-period',
      budgetPeriod: { unit: 'quarter', label: '2026-Q3' },
      window: { unit: 'day', label: '2026-09-21', startUnix: S0, endUnix: S0 + 86_400 },
    });
    const visits = bodyOf(service, 'visits:2026-09-21');
    expect(visits.cells).toHaveLength(24);
    expect(visits.measures[0]?.values[10]).toBe(1);
    expect(visits.measures[0]?.values[14]).toBe(1);
    expect(visits.measures[0]?.values.reduce((x, y) => x + y, 0)).toBe(2);

    const items = t.db
      .prepare(
        "SELECT shopper_pk AS pk, item, charges FROM budget_charges WHERE budget = 'analytics' ORDER BY pk, item",
      )
      .all();
    expect(items).toEqual([
      { pk: a, item: 'footfall', charges: 1 },
      { pk: a, item: 'visits', charges: 1 },
      { pk: b, item: 'footfall', charges: 1 },
      { pk: b, item: 'visits', charges: 1 },
    ]);
    // a reached 2 of 3 zones, b 1: each is charged their own share of the release's ρ.
    const record = service.releases.get('footfall:2026-09-21');
    expect(record).toMatchObject({
      version: 2,
      budgetPeriod: '2026-Q3',
      contributors: 2,
      privacyUnit: 'shopper-period',
    });
    const totals = ledgerTotals(t.db);
    expect(totals.total).toBe(totals.charged);
    expect(spent(t, noConsent, '2026-Q3').spent).toBe(0);
  });

  it('releases the weekly kinds: dwell buckets of one visit per shopper-week, repeat visitors, transitions', async () => {
    t = openTestDb();
    const [a, b] = addShoppers(t.db, 2) as [number, number];
    // a: two visits on two days; b: one visit.
    addVisit(t.db, a, S0 + 10 * 3600, S0 + 11 * 3600, { bakery: 200, dairy: 1000 });
    addVisit(t.db, a, S0 + D / 1000 + 10 * 3600, S0 + D / 1000 + 11 * 3600, { bakery: 200, dairy: 1000 });
    addVisit(t.db, b, S0 + 2 * 86_400, S0 + 2 * 86_400 + 4000, { produce: 4000 });
    addPresence(t.db, a, 'bakery', S0 + 10 * 3600, 2);
    addPresence(t.db, a, 'dairy', S0 + 10 * 3600 + 20, 2);
    addPresence(t.db, a, 'bakery', S0 + 10 * 3600 + 40, 1);
    addPresence(t.db, b, 'produce', S0 + 2 * 86_400, 1);
    addPresence(t.db, b, 'bakery', S0 + 2 * 86_400 + 4000, 1); // after a 3990 s gap: no transition
    const service = makeService(t.db, { random: new SeededRandomSource(5), firstWindowMs: T0, exact: true });
    await service.runDue(T0 + 7 * D + 2 * H);

    const dwell = bodyOf(service, 'dwell:2026-W39');
    const at = (cell: string): number => dwell.measures[0]?.values[dwell.cells.indexOf(cell)] as number;
    expect(dwell.cells).toHaveLength(3 * 5);
    expect(at('bakery|<5')).toBe(1); // 200 s
    expect(at('dairy|15-30')).toBe(1); // 1000 s
    expect(at('produce|>=60')).toBe(1); // 4000 s
    expect(dwell.measures[0]?.values.reduce((x, y) => x + y, 0)).toBe(3); // one visit of a, one of b
    const repeat = bodyOf(service, 'repeat:2026-W39');
    expect(repeat.cells).toEqual(['visitors', 'repeatVisitors']);
    expect(repeat.measures[0]?.values).toEqual([2, 1]);
    const transitions = bodyOf(service, 'transitions:2026-W39');
    expect(transitions.cells).toHaveLength(6);
    const move = (cell: string): number => transitions.measures[0]?.values[transitions.cells.indexOf(cell)] as number;
    expect(move('bakery>dairy')).toBe(1);
    expect(move('dairy>bakery')).toBe(1);
    expect(move('produce>bakery')).toBe(0);
  });

  it('releases the week as synthetic visit records: each shopper whose visits it read is charged its ρ', async () => {
    t = openTestDb();
    const pks = addShoppers(t.db, 400, { analytics: (i) => i !== 0 });
    pks.forEach((pk, i) => {
      for (let d = 0; d < 1 + (i % 3); d++) {
        const s = S0 + d * 86_400 + 36_000 + i * 20;
        addVisit(t?.db as never, pk, s, s + 1500, { bakery: 300 + 30 * i, produce: 900 });
      }
    });
    const service = makeService(t.db, {
      random: new SeededRandomSource(9),
      firstWindowMs: T0,
      privacy: { releases: { syntheticVisits: { rho: 0.05 } } },
    });
    await service.runDue(T0 + 7 * D + 2 * H);
    const record = service.releases.get('synthetic-visits:2026-W39');
    expect(record).toMatchObject({ version: 2, budgetPeriod: '2026-Q3', contributors: 399 });
    const body = bodyOf(service, 'synthetic-visits:2026-W39') as unknown as {
      cells: string[];
      measures: Array<{ metric: string; layout: string; rows: number; values: number[] }>;
    };
    expect(body.cells).toEqual(
      expect.arrayContaining(['visited:bakery', 'dwell:bakery', 'hour', 'weekday', 'repeat', 'count']),
    );
    const groups = body.measures.find((m) => m.metric === 'centredSum');
    expect(groups?.layout).toBe('rows');
    expect(groups?.values).toHaveLength((groups?.rows ?? 0) * body.cells.length);
    const decoded = decodeSyntheticVisits(JSON.parse((record?.body as Buffer).toString()) as never);
    expect(decoded.records.length).toBeGreaterThan(0);
    const charged = t.db
      .prepare(
        "SELECT COUNT(*) AS n, MIN(spent_micro) AS lo, MAX(spent_micro) AS hi FROM budget_charges WHERE item = 'synthetic-visits'",
      )
      .get() as { n: number; lo: number; hi: number };
    expect(charged.n).toBe(399);
    expect(charged.lo).toBe(charged.hi);
    expect(charged.hi).toBeLessThanOrEqual(50_000);
  });

  it('never computes a release key twice: the stored noise stays, a rerun finds the key', async () => {
    t = openTestDb();
    const [a] = addShoppers(t.db, 1) as [number];
    addPresence(t.db, a, 'dairy', S0, 1);
    const service = makeService(t.db, { random: new SeededRandomSource(2), firstWindowMs: T0 });
    await service.runDue(T0 + D + 2 * H);
    const id = 'footfall:2026-09-21';
    const first = service.releases.get(id)?.body;
    const again = await service.runDue(T0 + 2 * D + 2 * H);
    expect(again.computed).not.toContain(id);
    const window = windowOfDay(day('2026-09-21'), 'day', 'quarter', 'UTC');
    expect(service.computeRelease('footfall', window, T0 + 3 * D)).toEqual({ status: 'exists', id });
    expect(service.releases.get(id)?.body.equals(first as Buffer)).toBe(true);
    expect(() =>
      t?.db.prepare('INSERT INTO privacy_releases SELECT * FROM privacy_releases WHERE id = ?').run(id),
    ).toThrow(/UNIQUE|PRIMARY KEY/);
  });

  it("keeps each shopper within the period's cap, leaves them out of the rest of that period, and starts afresh in the next", async () => {
    t = openTestDb();
    const [a, b] = addShoppers(t.db, 2) as [number, number];
    const from = Date.parse('2026-09-27T00:00:00Z');
    // Every day, a visits all three zones and b one; footfall costs a ρ 0.004 a day, b a third of it.
    for (let d = 0; d < 6; d++) {
      const s = from / 1000 + d * 86_400 + 36_000;
      ZONES.forEach((zone, i) => addPresence(t?.db as never, a, zone, s + i * 600, 1));
      addPresence(t.db, b, 'bakery', s, 1);
    }
    const service = makeService(t.db, {
      random: new SeededRandomSource(3),
      firstWindowMs: from,
      privacy: {
        budget: { periodRho: 0.01 },
        releases: {
          footfall: { rho: 0.004 },
          visits: { enabled: false },
          dwell: { enabled: false },
          repeat: { enabled: false },
          transitions: { enabled: false },
        },
      },
    });
    await service.runDue(from + 6 * D + 2 * H);
    // Q3: 27 and 28 Sep (0.008); 29 Sep would pass 0.01 → out for 29 and 30 Sep.
    expect(spent(t, a, '2026-Q3')).toEqual({ spent: 8000, excluded: true });
    expect(service.releases.get('footfall:2026-09-29')).toMatchObject({ excludedBudget: 1 });
    expect(service.releases.get('footfall:2026-09-30')).toMatchObject({ excludedBudget: 0, excludedFiltered: 1 });
    // Q4 is a new period: 1 and 2 Oct are charged again.
    expect(spent(t, a, '2026-Q4')).toEqual({ spent: 8000, excluded: false });
    expect(spent(t, b, '2026-Q3').spent).toBeLessThanOrEqual(10_000);
    expect(ledgerTotals(t.db).maxPeriod).toBeLessThanOrEqual(10_000);
    const budget = service.shopperBudget(a, Date.parse('2026-10-03T12:00:00Z'));
    expect(budget).toMatchObject({ period: '2026-Q4', spent: { periodRho: 0.008 }, left: { periodRho: 0.002 } });
    expect(budget.history).toEqual([{ period: '2026-Q3', rho: 0.008 }]);
    expect(budget.byKind).toEqual([{ kind: 'footfall', rho: 0.008, releases: 2 }]);
  });

  it('charges a catch-up to the periods of its windows, and a clock jump backwards cannot add to a cap', async () => {
    t = openTestDb();
    const [a] = addShoppers(t.db, 1) as [number];
    const from = Date.parse('2026-09-28T00:00:00Z');
    for (let d = 0; d < 5; d++) addPresence(t.db, a, 'bakery', from / 1000 + d * 86_400 + 36_000, 1);
    const service = makeService(t.db, {
      random: new SeededRandomSource(6),
      firstWindowMs: from,
      privacy: { budget: { periodRho: 0.005 }, releases: { footfall: { rho: 0.003 }, visits: { enabled: false } } },
    });
    // The hub was down from the 28th; it comes back on 3 Oct: the catch-up charges Q3 days to Q3.
    await service.runDue(Date.parse('2026-10-03T02:00:00Z'));
    const q3 = spent(t, a, '2026-Q3');
    const q4 = spent(t, a, '2026-Q4');
    expect(q3.spent).toBeLessThanOrEqual(5000);
    expect(q4.spent).toBeLessThanOrEqual(5000);
    expect(q3.spent).toBeGreaterThan(0);
    expect(q4.spent).toBeGreaterThan(0);
    // The clock jumps back a week: nothing is computed again and no cap moves.
    const back = await service.runDue(Date.parse('2026-09-26T02:00:00Z'));
    expect(back.computed).toEqual([]);
    expect(spent(t, a, '2026-Q3')).toEqual(q3);
    expect(spent(t, a, '2026-Q4')).toEqual(q4);
  });

  it('a clock that runs years ahead prunes the ledger; when it comes back, the pruned period stays closed', async () => {
    t = openTestDb();
    const [a] = addShoppers(t.db, 1) as [number];
    const from = Date.parse('2026-09-28T00:00:00Z');
    for (let d = 0; d < 9; d++) addPresence(t.db, a, 'bakery', from / 1000 + d * 86_400 + 36_000, 1);
    const service = makeService(t.db, {
      random: new SeededRandomSource(8),
      firstWindowMs: from,
      privacy: { budget: { periodRho: 0.005 }, releases: { footfall: { rho: 0.003 }, visits: { enabled: false } } },
    });
    await service.runDue(Date.parse('2026-10-03T02:00:00Z'));
    const q4 = spent(t, a, '2026-Q4');
    expect(q4.spent).toBeGreaterThan(0);
    // The clock jumps two years ahead: the release run prunes every period older than a year,
    // 2026-Q4 with it (the ledger is personal data).
    await service.runDue(Date.parse('2028-10-01T02:00:00Z'));
    expect(spent(t, a, '2026-Q4').spent).toBe(0);
    expect(
      service.ledger.isOpen('analytics', windowOfDay(day('2026-10-02'), 'day', 'quarter', 'UTC').period.index),
    ).toBe(false);
    // It comes back: the Q4 days not yet released would find an empty ledger. They are skipped,
    // nothing is charged there again, also after a restart (the closed period is stored).
    const back = await service.runDue(Date.parse('2026-10-05T02:00:00Z'));
    expect(back.computed).toEqual([]);
    expect(spent(t, a, '2026-Q4').spent).toBe(0);
    const restarted = makeService(t.db, {
      random: new SeededRandomSource(9),
      firstWindowMs: from,
      privacy: { budget: { periodRho: 0.005 }, releases: { footfall: { rho: 0.003 }, visits: { enabled: false } } },
    });
    expect((await restarted.runDue(Date.parse('2026-10-06T02:00:00Z'))).computed).toEqual([]);
    expect(spent(t, a, '2026-Q4').spent).toBe(0);
  });

  it('ends participation after the lifetime cap, counted in periods from enrolment', async () => {
    t = openTestDb();
    const [a] = addShoppers(t.db, 1) as [number];
    t.db.prepare('UPDATE shoppers SET created_ms = ? WHERE pk = ?').run(Date.parse('2026-08-01T00:00:00Z'), a);
    const from = Date.parse('2026-09-29T00:00:00Z');
    for (let d = 0; d < 4; d++) addPresence(t.db, a, 'bakery', from / 1000 + d * 86_400 + 36_000, 1);
    const service = makeService(t.db, {
      random: new SeededRandomSource(7),
      firstWindowMs: from,
      privacy: { budget: { periodRho: 1, lifetimeRho: 1.5 }, releases: { visits: { enabled: false } } },
    });
    await service.runDue(from + 4 * D + 2 * H);
    expect(spent(t, a, '2026-Q3').spent).toBeGreaterThan(0);
    expect(spent(t, a, '2026-Q4').spent).toBe(0);
    expect(service.releases.get('footfall:2026-10-01')).toMatchObject({ contributors: 0, excludedFiltered: 1 });
  });

  it('carries the v1 charges of the current period into the v2 ledger once, on upgrade', async () => {
    t = openTestDb();
    const [a, b] = addShoppers(t.db, 2) as [number, number];
    const insert = t.db.prepare(
      "INSERT INTO privacy_ledger (shopper_pk, day, kind, rho_micro, cells, releases) VALUES (?, ?, 'footfall', ?, 1, 1)",
    );
    insert.run(a, day('2026-09-10'), 400_000);
    insert.run(a, day('2026-09-11'), 700_000);
    insert.run(a, day('2026-06-20'), 900_000); // Q2: not this period
    insert.run(b, day('2026-09-15'), 100_000);
    const service = makeService(t.db, { random: new SeededRandomSource(8), firstWindowMs: T0 });
    await service.runDue(T0 + 2 * H);
    expect(spent(t, a, '2026-Q3')).toEqual({ spent: 1_100_000, excluded: true });
    expect(spent(t, b, '2026-Q3')).toEqual({ spent: 100_000, excluded: false });
    await service.runDue(T0 + 3 * H);
    expect(spent(t, b, '2026-Q3').spent).toBe(100_000);
  });
});
