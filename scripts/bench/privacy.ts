/**
 * Privacy utility benchmark (targets: docs/privacy.md §8): `npm run bench -- privacy [--json] [--runs N]`.
 *
 * A presence-level simulated store (scripts/sim/presence/visit-model.ts) of 2,000 visits a day
 * over two weeks is written into a real hub database; the real release service computes every
 * day and week with the DEFAULT privacy config (one shopper over a quarter, ρ 1), and each
 * released value is compared with the simulator's ground truth:
 *   footfallMedianRelErr     zone × day: median |released − true| / true over all zone-days (target ≤ 5%)
 *   dwellTvMax / dwellTvMedian  zone × week: total-variation distance between the released dwell-bucket
 *                            distribution (negative counts clipped, normalised) and the true distribution
 *                            of all visits' dwell in the zone (target ≤ 0.05 per zone)
 *   visitsPeakMedianRelErr   store visits per hour at the three busiest hours of each day (target ≤ 10%)
 * Each figure is the median of `runs` seeds, for 8 zones and again for 3 zones. The baseline in
 * the same run is the same statistics without noise (ρ 1000 per release), which isolates what
 * the contribution bounds alone cost (dwell samples one visit per shopper-week).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { compileValidator } from '../../shared/validation.ts';
import { openHubDatabase, type Database } from '../../hub/storage/mod.ts';
import {
  createReleaseService,
  DWELL_BUCKETS,
  PrivacySection,
  UpstreamSection,
  type PrivacyConfig,
  type UpstreamConfig,
} from '../../hub/privacy/mod.ts';
import { simulateVisits, type SimVisit } from '../sim/presence/visit-model.ts';
import { median } from './stats.ts';

const DAYS = 14;
const START = Date.parse('2026-10-05T00:00:00Z'); // a Monday in a quarter's middle
const VISITS_PER_DAY = 2000;

function configs(zones: readonly string[], exact: boolean): { privacy: PrivacyConfig; upstream: UpstreamConfig } {
  const privacy = compileValidator<PrivacyConfig>(PrivacySection, { useDefaults: true })({ zones: [...zones] });
  const upstream = compileValidator<UpstreamConfig>(UpstreamSection, { useDefaults: true })({});
  if (!privacy.ok || !upstream.ok) throw new Error('bench config invalid');
  if (!exact) return { privacy: privacy.value, upstream: upstream.value };
  const r = privacy.value.releases;
  const huge = <T extends { rho: number }>(x: T): T => ({ ...x, rho: 1000 });
  return {
    privacy: {
      ...privacy.value,
      budget: { ...privacy.value.budget, periodRho: 1e7 },
      releases: {
        footfall: huge(r.footfall),
        visits: huge(r.visits),
        dwell: huge(r.dwell),
        repeat: huge(r.repeat),
        transitions: huge(r.transitions),
        conversion: huge(r.conversion),
        syntheticVisits: { ...r.syntheticVisits, enabled: false },
        itemStatistics: r.itemStatistics,
      },
    },
    upstream: upstream.value,
  };
}

function writePresence(db: Database, visits: readonly SimVisit[], shoppers: number): Map<number, number> {
  const pks = new Map<number, number>();
  const shopper = db.prepare(
    'INSERT INTO shoppers (id, identity_key, exponent, presence_for_offers, analytics, created_ms) VALUES (?, randomblob(16), 9, 1, 1, 0)',
  );
  const visit = db.prepare('INSERT INTO visits (shopper_pk, started_at, last_seen_at, ended_at) VALUES (?, ?, ?, ?)');
  const zone = db.prepare(
    'INSERT INTO visit_zones (visit_pk, zone, dwell_seconds, first_at, last_at) VALUES (?, ?, ?, ?, ?)',
  );
  const window = db.prepare(
    'INSERT OR IGNORE INTO zone_windows (shopper_pk, window_start, window_seconds, zone) VALUES (?, ?, 10, ?)',
  );
  db.transaction(() => {
    for (let s = 0; s < shoppers; s++) pks.set(s, Number(shopper.run(`sim-${s}`).lastInsertRowid));
    for (const v of visits) {
      const pk = pks.get(v.shopper) as number;
      const id = Number(visit.run(pk, v.startedAt, v.endedAt, v.endedAt).lastInsertRowid);
      for (const z of v.zones) zone.run(id, z.zone, z.dwellSeconds, z.firstAt, z.lastAt);
      for (const w of v.path) window.run(pk, w.at, w.zone);
    }
  })();
  return pks;
}

interface Truth {
  footfall: Map<string, number>;
  hourly: Map<string, number>;
  dwell: Map<string, number[]>;
}

function truthOf(visits: readonly SimVisit[]): Truth {
  const footfall = new Map<string, Set<number>>();
  const hourly = new Map<string, Set<number>>();
  const dwell = new Map<string, number[]>();
  for (const v of visits) {
    const day = new Date(v.startedAt * 1000).toISOString().slice(0, 10);
    const hour = new Date(v.startedAt * 1000).toISOString().slice(11, 13);
    const h = `${day}|${hour}`;
    hourly.set(h, (hourly.get(h) ?? new Set()).add(v.shopper));
    const week = Math.floor((v.startedAt * 1000 - START) / (7 * 86_400_000));
    for (const z of v.zones) {
      const f = `${day}|${z.zone}`;
      footfall.set(f, (footfall.get(f) ?? new Set()).add(v.shopper));
      const key = `${week}|${z.zone}`;
      const hist = dwell.get(key) ?? new Array<number>(DWELL_BUCKETS.length).fill(0);
      let b = 0;
      DWELL_BUCKETS.forEach((bucket, i) => {
        if (z.dwellSeconds >= bucket.fromSeconds) b = i;
      });
      hist[b] = (hist[b] as number) + 1;
      dwell.set(key, hist);
    }
  }
  const sizes = (m: Map<string, Set<number>>): Map<string, number> => new Map([...m].map(([k, s]) => [k, s.size]));
  return { footfall: sizes(footfall), hourly: sizes(hourly), dwell };
}

interface Figures {
  footfallMedianRelErr: number;
  dwellTvMedian: number;
  dwellTvMax: number;
  visitsPeakMedianRelErr: number;
  computeMs: number;
}

function released(db: Database): Array<{
  kind: string;
  body: { cells: string[]; window: { label: string; startUnix: number }; measures: Array<{ values: number[] }> };
}> {
  return (
    db.prepare('SELECT kind, body FROM privacy_releases WHERE version = 2').all() as Array<{
      kind: string;
      body: Buffer;
    }>
  ).map((r) => ({ kind: r.kind, body: JSON.parse(r.body.toString()) as never }));
}

async function measure(zoneCount: number, seed: number, exact: boolean): Promise<Figures> {
  const { visits, shoppers, zones } = simulateVisits({
    zones: zoneCount,
    visitsPerDay: VISITS_PER_DAY,
    days: DAYS,
    startMs: START,
    rng: new SeededRandomSource(`privacy-bench-${seed}`),
  });
  const dir = mkdtempSync(join(tmpdir(), 'hp-privacy-bench-'));
  const db = openHubDatabase(join(dir, 'hub.db'));
  try {
    writePresence(db, visits, shoppers);
    const end = START + DAYS * 86_400_000 + 2 * 3_600_000;
    const service = createReleaseService({
      db,
      store: 'bench',
      ...configs(zones, exact),
      visitGapSeconds: 300,
      clock: new FakeClock(end),
      random: new CryptoRandomSource(),
      logger: silentLogger(),
      sender: null,
      firstWindowMs: START,
    });
    const started = performance.now();
    const report = await service.runDue(end);
    const computeMs = performance.now() - started;
    if (report.failed.length > 0) throw new Error(`releases failed: ${JSON.stringify(report.failed)}`);
    const truth = truthOf(visits);
    const footfall: number[] = [];
    const peak: number[] = [];
    const tv: number[] = [];
    for (const { kind, body } of released(db)) {
      const values = body.measures[0]?.values ?? [];
      if (kind === 'footfall') {
        body.cells.forEach((zone, i) => {
          const t = truth.footfall.get(`${body.window.label}|${zone}`) ?? 0;
          if (t > 0) footfall.push(Math.abs((values[i] as number) - t) / t);
        });
      } else if (kind === 'visits') {
        const cells = body.cells.map((hour, i) => ({
          t: truth.hourly.get(`${body.window.label}|${hour}`) ?? 0,
          v: values[i] as number,
        }));
        for (const c of [...cells].sort((a, b) => b.t - a.t).slice(0, 3))
          if (c.t > 0) peak.push(Math.abs(c.v - c.t) / c.t);
      } else if (kind === 'dwell') {
        const week = Math.floor((body.window.startUnix * 1000 - START) / (7 * 86_400_000));
        for (const zone of zones) {
          const trueHist = truth.dwell.get(`${week}|${zone}`);
          if (trueHist === undefined) continue;
          const dp = DWELL_BUCKETS.map((b) => Math.max(0, values[body.cells.indexOf(`${zone}|${b.label}`)] as number));
          const dpTotal = dp.reduce((a, b) => a + b, 0);
          const trueTotal = trueHist.reduce((a, b) => a + b, 0);
          if (dpTotal <= 0 || trueTotal <= 0) continue;
          tv.push(dp.reduce((sum, x, i) => sum + Math.abs(x / dpTotal - (trueHist[i] as number) / trueTotal), 0) / 2);
        }
      }
    }
    return {
      footfallMedianRelErr: median(footfall),
      dwellTvMedian: median(tv),
      dwellTvMax: Math.max(...tv),
      visitsPeakMedianRelErr: median(peak),
      computeMs,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runBench(options: {
  runs: number;
  progress: (line: string) => void;
}): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const runs = Math.max(1, Math.min(options.runs, 3));
  for (const zones of [8, 3]) {
    const dp: Figures[] = [];
    const bounded: Figures[] = [];
    for (let seed = 1; seed <= runs; seed++) {
      dp.push(await measure(zones, seed, false));
      // The noiseless baseline once per store: it shows what the bounds alone cost.
      if (seed === 1) bounded.push(await measure(zones, seed, true));
      const last = dp.at(-1) as Figures;
      options.progress(
        `${zones} zones, seed ${seed}: footfall ${(100 * last.footfallMedianRelErr).toFixed(2)}%, dwell TV median ${last.dwellTvMedian.toFixed(3)} max ${last.dwellTvMax.toFixed(3)}, peak visits ${(100 * last.visitsPeakMedianRelErr).toFixed(2)}% (releases computed in ${last.computeMs.toFixed(0)} ms)`,
      );
    }
    const m = (list: Figures[], key: keyof Figures): number => median(list.map((f) => f[key]));
    const prefix = `z${zones}`;
    out[`${prefix}FootfallMedianRelErr`] = m(dp, 'footfallMedianRelErr');
    out[`${prefix}DwellTvMedian`] = m(dp, 'dwellTvMedian');
    out[`${prefix}DwellTvMax`] = m(dp, 'dwellTvMax');
    out[`${prefix}VisitsPeakMedianRelErr`] = m(dp, 'visitsPeakMedianRelErr');
    out[`${prefix}ReleaseJobMs`] = m(dp, 'computeMs');
    out[`${prefix}NoiselessDwellTvMax`] = m(bounded, 'dwellTvMax');
    out[`${prefix}NoiselessFootfallMedianRelErr`] = m(bounded, 'footfallMedianRelErr');
  }
  return out;
}
