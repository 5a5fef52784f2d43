import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../shared/ports/clock.ts';
import { toMicroRhoFloor } from '../../shared/privacy/accounting.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { uniformInt } from '../../shared/ports/random.ts';
import { openHubDatabase } from '../../hub/storage/sqlite-database.ts';
import {
  addPresence,
  addShoppers,
  addVisit,
  CRASH_PRIVACY,
  ledgerTotals,
  openTestDb,
  ZONES,
  type TestDb,
} from './releases-fixtures.ts';
import { startCollector, type TestCollector } from './upstream-fixtures.ts';

/**
 * Crash injection: a child process computes a week of releases and syncs them, and is killed
 * with SIGKILL between every two steps of a release (and of a send), then at random moments.
 * After every kill, and after a final clean run:
 * - no release key ever has two different bodies (on the hub, or between the hub and HQ);
 * - no shopper's spending in the budget period is above the period's cap;
 * - the ledger holds exactly the charges of the stored releases (charge and release committed together);
 * - every release ends up at the collector, byte for byte.
 */

const WORKER = fileURLToPath(new URL('./releases-crash-worker.ts', import.meta.url));
const H = 3_600_000;
const T0 = Date.parse('2026-11-23T00:00:00Z'); // a Monday
/** Releases start with the week, so every crash hits a release with contributors. */
const FIRST = T0;
const END = T0 + 7 * 24 * H + 2 * H; // 02:00 the next Monday: the week's days and the weekly kinds are due
const PERIOD_CAP = toMicroRhoFloor(String(CRASH_PRIVACY.budget.periodRho));
const STEPS = [
  'release-begin',
  'release-rows-read',
  'release-noised',
  'release-stored',
  'release-charged',
  'release-committed',
  'sync-before-send',
  'sync-after-send',
];

let t: TestDb;
let collector: TestCollector;
const seen = new Map<string, string>();

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runWorker(env: Record<string, string>, killAfterMs?: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WORKER, t.file, String(END), String(FIRST), collector.url, collector.keyHex],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The invariants, checked on a fresh connection after every run. */
async function checkInvariants(): Promise<{ releases: number; pending: number }> {
  const db = openHubDatabase(t.file);
  try {
    const rows = db.prepare('SELECT id, body FROM privacy_releases').all() as Array<{ id: string; body: Buffer }>;
    for (const row of rows) {
      const sha = createHash('sha256').update(row.body).digest('hex');
      const before = seen.get(row.id);
      if (before !== undefined) expect(sha, `release ${row.id} changed its noise`).toBe(before);
      seen.set(row.id, sha);
      const received = await collector.collector.store.getRelease('store-1', row.id);
      if (received !== null)
        expect(received.body.equals(row.body), `collector holds other bytes for ${row.id}`).toBe(true);
    }
    for (const id of seen.keys())
      expect(
        rows.some((r) => r.id === id),
        `release ${id} disappeared`,
      ).toBe(true);
    const totals = ledgerTotals(db);
    expect(totals.maxPeriod).toBeLessThanOrEqual(PERIOD_CAP);
    expect(totals.total).toBe(totals.charged);
    const values = db
      .prepare(
        'SELECT COUNT(*) FROM privacy_release_values v LEFT JOIN privacy_releases r ON r.id = v.release_id WHERE r.id IS NULL',
      )
      .pluck()
      .get();
    expect(values).toBe(0);
    const outbox = db
      .prepare(
        'SELECT COUNT(*) FROM privacy_releases r LEFT JOIN upstream_outbox o ON o.release_id = r.id WHERE o.release_id IS NULL',
      )
      .pluck()
      .get();
    expect(outbox).toBe(0);
    return {
      releases: rows.length,
      pending: db.prepare("SELECT COUNT(*) FROM upstream_outbox WHERE state = 'pending'").pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  collector = await startCollector({ clock: new FakeClock(END), tls: false });
  t = openTestDb();
  const pks = addShoppers(t.db, 30);
  for (let day = 0; day < 7; day++) {
    for (let hour = 9; hour < 19; hour += 3) {
      pks.forEach((pk, i) => {
        if ((i * 7 + hour + day) % 4 === 0) return;
        const start = (T0 + day * 24 * H + hour * H) / 1000 + (i % 10) * 120;
        const zone = ZONES[(i + hour) % 3] as string;
        const next = ZONES[(i + hour + 1) % 3] as string;
        addPresence(t.db, pk, zone, start, 12);
        addPresence(t.db, pk, next, start + 120, 12);
        if (hour % 3 === i % 3 || day % 2 === 0) addVisit(t.db, pk, start, start + 240, { [zone]: 120, [next]: 120 });
      });
    }
  }
  t.db.close();
});

afterAll(async () => {
  await collector.stop();
  t.close();
});

describe('crash injection during releases and sync', () => {
  it('survives SIGKILL between any two steps, at several releases', async () => {
    let crashed = 0;
    for (const step of STEPS) {
      // Each step at the first release, and the middle steps again a few releases later.
      for (const skip of ['release-noised', 'release-stored', 'release-charged', 'sync-after-send'].includes(step)
        ? ['0', '2']
        : ['0']) {
        const result = await runWorker({ HUSHPOINT_CRASH_AT: step, HUSHPOINT_CRASH_SKIP: skip });
        if (result.signal === 'SIGKILL') crashed++;
        else expect(result, `${step}/${skip}: ${result.stderr}`).toMatchObject({ code: 0 });
        await checkInvariants();
      }
    }
    expect(crashed).toBe(STEPS.length + 4);
  });

  it('survives SIGKILL at random moments, then finishes and delivers every release verbatim', async () => {
    const rng = new SeededRandomSource('kill-times');
    for (let i = 0; i < 6; i++) {
      await runWorker({}, 150 + uniformInt(rng, 1200));
      await checkInvariants();
    }
    const final = await runWorker({});
    expect(final, final.stderr).toMatchObject({ code: 0, stdout: 'done\n' });
    const { releases, pending } = await checkInvariants();
    // 7 days × (footfall, visits) + the week's dwell, repeat, transitions and synthetic visits.
    expect(releases).toBe(7 * 2 + 4);
    expect(pending).toBe(0);
    expect((await collector.collector.store.listReleases()).length).toBe(releases);
    expect(
      (await collector.collector.store.quarantined()).filter((r) => r.code === 'UPSTREAM_REPLAY_MISMATCH'),
    ).toEqual([]);
    // The cap bound: some shoppers were left out of the rest of the period.
    const db = openHubDatabase(t.file);
    try {
      expect(
        db.prepare('SELECT COUNT(*) FROM budget_ledger WHERE excluded_by IS NOT NULL').pluck().get(),
      ).toBeGreaterThan(0);
      expect(ledgerTotals(db).total).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});
