import { afterEach, describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { windowOfDay, localDay } from '../../shared/time/local-calendar.ts';
import { buildCatalog, fromReleaseMeasure, splitBudget, DEFAULT_FIT_PARAMETERS } from '../../shared/recommend/mod.ts';
import { calibrateNoise } from '../../shared/recommend/core/statistics.ts';
import { toMicroRhoCeil } from '../../shared/privacy/accounting.ts';
import { rationalFromDecimal } from '../../shared/privacy/rational.ts';
import { decodeAnyReleasePayload } from '../../shared/upstream/release-payload-v2.ts';
import { parseItemCatalog } from '../../hub/privacy/mod.ts';
import { addShoppers, makeService, openTestDb, type TestDb } from './releases-fixtures.ts';

/**
 * The recommender's store release (docs/recommender.md §3): item-supports and item-covariance
 * over a real, migrated hub database, computed and charged by the real release service.
 */

const CODES = Array.from({ length: 40 }, (_, i) => `P${String(i).padStart(3, '0')}`);
const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 9, 5); // inside 2026-Q4
const RHO = 4;

const window = windowOfDay(localDay(T0, 'UTC'), 'period', 'quarter', 'UTC');
const NOW = window.endMs + 2 * 3600_000;

let open: TestDb[] = [];
afterEach(() => {
  for (const t of open) t.close();
  open = [];
});

/** 300 shoppers; shopper i buys items i mod 20 and (i mod 20) + 20 (a planted pair), plus P000. */
function seed(t: TestDb, options: { withoutConsent?: number } = {}): number[] {
  const pks = addShoppers(t.db, 300, { analytics: (i) => i >= (options.withoutConsent ?? 0) });
  const insert = t.db.prepare(
    "INSERT INTO offer_purchases (id, shopper_pk, at_ms, sku, category, source) VALUES (?, ?, ?, ?, 'grocery', 'pos')",
  );
  t.db.transaction(() => {
    pks.forEach((pk, i) => {
      const a = i % 20;
      insert.run(`p-${i}-a`, pk, T0 + (i % 50) * DAY_MS, CODES[a]);
      insert.run(`p-${i}-b`, pk, T0 + (i % 50) * DAY_MS + 1000, CODES[a + 20]);
      insert.run(`p-${i}-c`, pk, T0 + 2000, 'P000');
      // Outside the catalog (counted nowhere) and outside the period (never read).
      insert.run(`p-${i}-d`, pk, T0 + 3000, 'NOT-IN-CATALOG');
      insert.run(`p-${i}-e`, pk, T0 - 200 * DAY_MS, CODES[5]);
    });
  })();
  return pks;
}

function service(t: TestDb, seedText: string, installed: readonly string[] | null = null) {
  return makeService(t.db, {
    random: new SeededRandomSource(seedText),
    firstWindowMs: window.startMs,
    privacy: {
      budget: { period: 'quarter', periodRho: 10 },
      releases: { itemStatistics: { enabled: true, rho: RHO } },
    },
    itemStatistics: { catalog: buildCatalog(CODES), installedItems: () => installed },
  });
}

function payload(svc: ReturnType<typeof service>, kind: string) {
  const record = svc.releases.get(`${kind}:${window.label}`);
  if (record === null) throw new Error(`no ${kind} release`);
  const decoded = decodeAnyReleasePayload(record.body);
  if (!decoded.ok || decoded.value.v !== 2) throw new Error('not a v2 release');
  return { payload: decoded.value, text: record.body.toString('utf8') };
}

describe('item statistics releases (hub)', () => {
  it('parses the catalog file and names a bad line', () => {
    expect(parseItemCatalog('# codes\nA1\n\nB2\nA1\n', 'cat.txt')).toEqual(['A1', 'B2']);
    expect(() => parseItemCatalog('A1\nhas space\n', 'cat.txt')).toThrow(/cat\.txt:2: .*not an item code/);
    expect(() => parseItemCatalog('# nothing\n', 'cat.txt')).toThrow(/lists no item codes/);
  });

  it('releases supports then covariance for the period, charges each consenting buyer 0.3ρ + 0.7ρ', async () => {
    const t = openTestDb();
    open.push(t);
    const pks = seed(t, { withoutConsent: 10 });
    const svc = service(t, 'reco-a');
    const report = await svc.runDue(NOW);
    expect(report.failed).toEqual([]);
    const supportsId = `item-supports:${window.label}`;
    const covarianceId = `item-covariance:${window.label}`;
    expect(svc.releases.has(supportsId) && svc.releases.has(covarianceId)).toBe(true);

    const supports = payload(svc, 'item-supports').payload;
    expect(supports.cells).toEqual(CODES);
    expect(supports.window.unit).toBe('period');
    const stat = fromReleaseMeasure(supports.measures[0]!, supports.cells);
    // P000 is bought by all 290 consenting shoppers, each with weight ⌊G/√3⌋: far above the noise.
    const g = 65536;
    const p000 = stat.values[0]! / g;
    expect(Math.abs(p000 - (290 * Math.floor(g / Math.sqrt(3))) / g)).toBeLessThan(6 * stat.halfWidth95);

    const covariance = payload(svc, 'item-covariance').payload;
    expect(covariance.measures[0]!.metric).toBe('itemCovariance');
    expect(covariance.measures[0]!.layout).toBe('upper-triangle');
    expect(covariance.measures[0]!.values.length).toBe((covariance.cells.length * (covariance.cells.length + 1)) / 2);
    expect(covariance.cells).toContain('P000');

    // The ledger: every consenting buyer paid exactly the two calibrated costs; the others nothing.
    const split = splitBudget(rationalFromDecimal(String(RHO), 'rho'), DEFAULT_FIT_PARAMETERS.supportsShare);
    const micro = toMicroRhoCeil(split.first) + toMicroRhoCeil(split.second);
    const spent = t.db
      .prepare("SELECT shopper_pk AS unit, spent_micro AS spent FROM budget_ledger WHERE budget = 'analytics'")
      .all() as Array<{ unit: number; spent: number }>;
    expect(spent.length).toBe(290);
    for (const row of spent) expect(row.spent).toBe(micro);
    expect(spent.some((r) => pks.slice(0, 10).includes(r.unit))).toBe(false);
    expect(calibrateNoise(split.first).rho.num > 0n).toBe(true);
  });

  it('uses the installed model list for the covariance, else a second supports release when too few qualify', async () => {
    const t = openTestDb();
    open.push(t);
    seed(t);
    const installed = CODES.slice(0, 25);
    const svc = service(t, 'reco-b', installed);
    await svc.runDue(NOW);
    expect(payload(svc, 'item-covariance').payload.cells).toEqual(installed);

    const weak = openTestDb();
    open.push(weak);
    // Three shoppers: nothing clears the minimum support, round 2 is a supports release.
    addShoppers(weak.db, 3);
    weak.db
      .prepare(
        "INSERT INTO offer_purchases (id, shopper_pk, at_ms, sku, category, source) VALUES ('x', 1, ?, 'P001', 'grocery', 'pos')",
      )
      .run(T0);
    const svc2 = makeService(weak.db, {
      random: new SeededRandomSource('reco-c'),
      firstWindowMs: window.startMs,
      privacy: { budget: { periodRho: 1 }, releases: { itemStatistics: { enabled: true, rho: 0.05 } } },
      itemStatistics: { catalog: buildCatalog(CODES), installedItems: () => null },
    });
    await svc2.runDue(NOW);
    const second = payload(svc2, 'item-covariance').payload;
    expect(second.measures[0]!.metric).toBe('itemSupport');
    expect(second.cells).toEqual(CODES);
  });

  it('releases noisy values only: two seeds differ, and no shopper id or purchase id is in the payload', async () => {
    const texts: string[] = [];
    const values: number[][] = [];
    for (const s of ['reco-d', 'reco-e']) {
      const t = openTestDb();
      open.push(t);
      seed(t);
      const svc = service(t, s);
      await svc.runDue(NOW);
      const { payload: p, text } = payload(svc, 'item-supports');
      texts.push(text, payload(svc, 'item-covariance').text);
      values.push(p.measures[0]!.values);
    }
    expect(values[0]).not.toEqual(values[1]);
    // The exact sums would be multiples of the shoppers' weights; the released ones are not all.
    for (const text of texts) {
      expect(text).not.toMatch(/"s-\d+"|p-\d+-[a-e]|NOT-IN-CATALOG/);
      expect(text).not.toMatch(/shopperPk|shopperId|shopper_pk|customer/i);
    }
  });
});
