/**
 * DP benchmark (targets and figures: docs/privacy.md): `npm run bench -- dp --json` prints
 *   discreteGaussianSamplesPerSec  exact discrete Gaussian at σ = 6 on CryptoRandomSource (target ≥ 500,000/s)
 *   naiveLaplaceSamplesPerSec      an insecure Math.random float Laplace in the same run, FOR REFERENCE ONLY
 *   dailyReleaseMs                 the release job of one day — footfall (zone × day) and store visits by
 *                                  hour, each with contribution bounding, the per-shopper period ledger
 *                                  filter, noise and one SQLite transaction — for 40 zones and 10,000
 *                                  shoppers present that day (target ≤ 1,000 ms)
 *
 * Release data: 10,000 consenting shoppers each in the store for 5–25 minutes of one busy hour
 * (10 s windows, so ≈ 900,000 zone-window rows — a day's worth) across 1–4 of 40 zones, a visit
 * for a third of them, and spending from earlier in the budget period for each shopper (the filter
 * reads and updates it). The database is built once; each run copies it and times the release job
 * (runDue) only. Median of runs.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { CryptoRandomSource, uniformInt } from '../../shared/ports/random.ts';
import { compileValidator } from '../../shared/validation.ts';
import { openHubDatabase } from '../../hub/storage/sqlite-database.ts';
import {
  PrivacySection,
  UpstreamSection,
  type PrivacyConfig,
  type UpstreamConfig,
} from '../../hub/privacy/config.schema.ts';
import { createReleaseService } from '../../hub/privacy/release-service.ts';
import { measureSamplers } from './dp-samplers.ts';
import { median } from './stats.ts';

const ZONES = Array.from({ length: 40 }, (_, i) => `zone-${String(i).padStart(2, '0')}`);
const SHOPPERS = 10_000;
const WINDOW = 10;
const HOUR_START = Date.parse('2026-11-28T10:00:00Z');
/** 2026-Q4's index (months since 1970-01 ÷ 3). */
const QUARTER_INDEX = (2026 * 12 + 9) / 3;

export function buildDatabase(file: string): { rows: number } {
  const db = openHubDatabase(file);
  const rng = new CryptoRandomSource();
  const start = HOUR_START / 1000;
  let rows = 0;
  db.transaction(() => {
    const shopper = db.prepare(
      'INSERT INTO shoppers (id, identity_key, exponent, presence_for_offers, analytics, created_ms) VALUES (?, randomblob(16), 9, 1, 1, 0)',
    );
    const window = db.prepare(
      'INSERT OR IGNORE INTO zone_windows (shopper_pk, window_start, window_seconds, zone) VALUES (?, ?, ?, ?)',
    );
    const visit = db.prepare('INSERT INTO visits (shopper_pk, started_at, last_seen_at, ended_at) VALUES (?, ?, ?, ?)');
    const ledger = db.prepare(
      "INSERT OR IGNORE INTO budget_ledger (shopper_pk, budget, period, period_index, spent_micro, charges) VALUES (?, 'analytics', '2026-Q4', ?, ?, ?)",
    );
    for (let i = 0; i < SHOPPERS; i++) {
      const pk = Number(shopper.run(`bench-${i}`).lastInsertRowid);
      const windows = 30 + uniformInt(rng, 121); // 5–25 minutes
      const zones = 1 + uniformInt(rng, 4);
      const first = start + WINDOW * uniformInt(rng, 360 - windows);
      let zone = uniformInt(rng, ZONES.length);
      for (let w = 0; w < windows; w++) {
        if (w > 0 && w % Math.ceil(windows / zones) === 0) zone = (zone + 1 + uniformInt(rng, 5)) % ZONES.length;
        window.run(pk, first + w * WINDOW, WINDOW, ZONES[zone]);
        rows++;
      }
      if (i % 3 === 0) visit.run(pk, first, first + windows * WINDOW, first + windows * WINDOW);
      // Spending from earlier in the period, so the filter reads and updates real rows.
      ledger.run(pk, QUARTER_INDEX, 10_000 + uniformInt(rng, 200_000), 30);
    }
  })();
  db.close();
  return { rows };
}

function configs(): { privacy: PrivacyConfig; upstream: UpstreamConfig } {
  const privacy = compileValidator<PrivacyConfig>(PrivacySection, { useDefaults: true })({
    zones: ZONES,
    timeZone: 'UTC',
  });
  const upstream = compileValidator<UpstreamConfig>(UpstreamSection, { useDefaults: true })({});
  if (!privacy.ok || !upstream.ok) throw new Error('bench config invalid');
  return { privacy: privacy.value, upstream: upstream.value };
}

async function timeDailyRelease(template: string, file: string): Promise<number> {
  copyFileSync(template, file);
  const db = openHubDatabase(file);
  try {
    // The next day at 01:20: the day's footfall and store visits are due.
    const now = Date.parse('2026-11-29T01:20:00Z');
    const service = createReleaseService({
      db,
      store: 'bench',
      ...configs(),
      visitGapSeconds: 300,
      clock: new FakeClock(now),
      random: new CryptoRandomSource(),
      logger: silentLogger(),
      sender: null,
      firstWindowMs: HOUR_START,
    });
    const started = performance.now();
    const report = await service.runDue(now);
    const ms = performance.now() - started;
    if (report.computed.length !== 2 || report.failed.length > 0)
      throw new Error(`the daily release job did not compute 2 releases: ${JSON.stringify(report)}`);
    return ms;
  } finally {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  }
}

export async function runBench(options: {
  runs: number;
  progress: (line: string) => void;
}): Promise<Record<string, number>> {
  const samplers = await measureSamplers();
  options.progress(
    `discrete Gaussian σ=6: ${samplers.discreteGaussianSamplesPerSec} samples/s; naive float Laplace (reference only): ${samplers.naiveLaplaceSamplesPerSec}/s`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'hp-bench-dp-'));
  try {
    const template = join(dir, 'template.db');
    const { rows } = buildDatabase(template);
    options.progress(`release data: ${SHOPPERS} shoppers, ${ZONES.length} zones, ${rows} zone-window rows in the hour`);
    const times: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      const ms = await timeDailyRelease(template, join(dir, `run-${run}.db`));
      times.push(ms);
      options.progress(`daily release job run ${run + 1}/${options.runs}: ${ms.toFixed(0)} ms`);
    }
    return {
      discreteGaussianSamplesPerSec: samplers.discreteGaussianSamplesPerSec,
      naiveLaplaceSamplesPerSec: samplers.naiveLaplaceSamplesPerSec,
      dailyReleaseMs: Math.round(median(times)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
