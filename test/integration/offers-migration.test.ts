import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { loadMigrations, migrate } from '../../hub/storage/mod.ts';
import { openOffersHarness } from '../../scripts/offers-attack/offers-harness.ts';

/**
 * Migration 021 on a v1 database: what the sampler hides (rank, k, the weights, the exact
 * probability) leaves every existing row — the bytes are gone from the file, not just the
 * columns from the schema — and on the first start the v1 spending of the current budget
 * period is carried into the one ledger, so the period's cap counts it.
 */

const NOW = Date.parse('2026-11-16T12:00:00Z'); // in 2026-Q4
const DAY = 86_400_000;
/** A value no other column holds, stored as an 8-byte big-endian integer. */
const MARK = 0x11223344556677;
const MARK_BYTES = Buffer.from([0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]);

describe('migration 021 (offers under the privacy contract v2)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function v1Database(): { file: string; pk: number } {
    const dir = mkdtempSync(join(tmpdir(), 'hp-offers-021-'));
    dirs.push(dir);
    const file = join(dir, 'hub.db');
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.pragma('secure_delete = ON');
    migrate(
      db,
      loadMigrations().filter((m) => m.version <= 20),
    );
    const pk = Number(
      db
        .prepare(
          "INSERT INTO shoppers (id, identity_key, exponent, presence_for_offers, analytics, created_ms) VALUES ('shp-old', randomblob(16), 9, 1, 1, ?)",
        )
        .run(NOW - 400 * DAY).lastInsertRowid,
    );
    const insert =
      db.prepare(`INSERT INTO offer_decisions (id, shopper_pk, at_ms, day, zone, entry_ms, visit_started_at,
      outcome, arm, offer_id, offer, eligible, rank, k, weight_a, weight_b, total_weight, real_epsilon, epsilon_micro,
      data_categories, reason, message, budget_day_left_micro, budget_window_left_micro, state)
      VALUES (?, ?, ?, ?, 'denim', ?, 0, 'shown', 'personalised', 'o-1', '{}', 20, 3, 8, 4096, ?, ?, 0.9999, ?, '[]', NULL, NULL, 1, 1, 'active')`);
    // Three shown offers in 2026-Q4 (ε 0.5 each) and one in 2026-Q3 (not carried).
    for (const [i, at] of [NOW - DAY, NOW - 2 * DAY, NOW - 3 * DAY, NOW - 60 * DAY].entries())
      insert.run(`dec-${i}`, pk, at, Math.floor(at / DAY), at, MARK, MARK, 500_000);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return { file, pk };
  }

  it('drops rank, k, weights and probability from every row, bytes included', () => {
    const { file } = v1Database();
    expect(readFileSync(file).indexOf(MARK_BYTES)).toBeGreaterThan(-1); // the scan finds them before
    const db = new BetterSqlite3(file);
    db.pragma('secure_delete = ON');
    expect(migrate(db)).toContain(21);
    const columns = db.prepare("SELECT name FROM pragma_table_info('offer_decisions')").pluck().all() as string[];
    for (const gone of [
      'rank',
      'k',
      'weight_a',
      'weight_b',
      'total_weight',
      'real_epsilon',
      'budget_day_left_micro',
      'budget_window_left_micro',
    ])
      expect(columns).not.toContain(gone);
    expect(columns).toEqual(expect.arrayContaining(['budget_period', 'budget_left_micro', 'draw']));
    expect(db.prepare('SELECT COUNT(*) FROM offer_decisions WHERE draw IS NULL').pluck().get()).toBe(4);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = Buffer.concat([readFileSync(file)]);
    expect(bytes.indexOf(MARK_BYTES)).toBe(-1);
  });

  it("carries the current period's v1 spending into the ledger once, at the first start", () => {
    const { file, pk } = v1Database();
    const first = openOffersHarness({ file, startMs: NOW, random: new SeededRandomSource('021'), offers: {} });
    try {
      expect(first.ledger.state(pk, 'offers', '2026-Q4')).toEqual({ spentMicro: 1_500_000, excluded: true });
      expect(first.ledger.state(pk, 'offers', '2026-Q3')).toEqual({ spentMicro: 0, excluded: false });
      // At the default cap (ε 1) the v1 spending already passed it: the rest of the period is closed.
      first.offers.catalog.apply(
        {
          offers: [
            {
              id: 'o-1',
              title: 'o-1',
              category: 'denim',
              zones: ['denim'],
              validFrom: '2026-11-01T00:00:00Z',
              validTo: '2026-12-31T00:00:00Z',
            },
          ],
        },
        { replace: true, nowMs: NOW },
      );
      const decision = first.enter(pk, 'denim');
      expect(decision).toMatchObject({ outcome: 'refused', reason: 'period-budget-exhausted' });
      expect(decision?.message).toMatch(/before this version of hushpoint/);
    } finally {
      first.close();
    }
    const again = openOffersHarness({ file, startMs: NOW + DAY, random: new SeededRandomSource('021b') });
    try {
      expect(again.ledger.state(pk, 'offers', '2026-Q4').spentMicro).toBe(1_500_000); // not carried twice
    } finally {
      again.close();
    }
  });
});
