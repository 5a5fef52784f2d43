import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HubConfigSchema } from '../hub/config.schema.ts';
import type { PresenceParams } from '../hub/presence/core/presence-model.ts';
import { scoreFlapping, scorePairs, type ObservedPair, type Score, type TruthPair } from './sim/core/score.ts';
import { runZoneAccuracyPipeline, type SightingRow } from './zone-accuracy/pipeline.ts';
import { replayPresence } from './zone-accuracy/replay.ts';

/**
 * Zone accuracy of the hub on the simulator's small store over several seeds, per seed and overall
 * (pooled shopper-windows). Each seed runs the end-to-end pipeline of
 * test/integration/hub-sim-accuracy.test.ts (scripts/zone-accuracy/pipeline.ts).
 *
 *   npx tsx scripts/zone-accuracy.ts --seeds s1,s2,s3 [--minutes 60] [--save DIR] [--json]
 *   npx tsx scripts/zone-accuracy.ts --from DIR [--switch-penalty X] [--smoothing-windows N]
 *
 * `--save DIR` keeps each seed's hub sightings and truth in DIR/<seed>/; `--from DIR` re-runs only
 * the hub's presence model (scripts/zone-accuracy/replay.ts) on every seed saved there, with
 * the hub's default presence settings or the ones given — for trying a model change quickly.
 * Hold seeds out: choose settings on some seeds, report them on others.
 */

const USAGE =
  'usage: zone-accuracy.ts (--seeds A,B,… [--minutes N] [--near-dbm D --mid-dbm D] [--save DIR] | --from DIR) [--switch-penalty X] [--smoothing-windows N] [--json]';

function fail(message: string): never {
  process.stderr.write(`zone-accuracy: ${message}\n${USAGE}\n`);
  process.exit(64);
}

function numberOption(value: string | undefined, name: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)))
    fail(`--${name} is "${value}", expected a non-negative ${integer ? 'integer' : 'number'}`);
  return n;
}

function dbm(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < -127 || n > 20)
    fail(`--${name} is "${value}", expected an integer dBm from -127 to 20`);
  return n;
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    minutes: { type: 'string', default: '60' },
    save: { type: 'string' },
    from: { type: 'string' },
    'near-dbm': { type: 'string' },
    'mid-dbm': { type: 'string' },
    'switch-penalty': { type: 'string' },
    'smoothing-windows': { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if ((values.seeds === undefined) === (values.from === undefined)) fail('give exactly one of --seeds and --from');

const defaults = HubConfigSchema.properties.presence.properties;
const overrides = {
  switchPenalty: numberOption(values['switch-penalty'], 'switch-penalty', false),
  smoothingWindows: numberOption(values['smoothing-windows'], 'smoothing-windows', true),
};
const params: PresenceParams = {
  visitGapSeconds: defaults.visitGapSeconds.default,
  switchPenalty: overrides.switchPenalty ?? defaults.switchPenalty.default,
  smoothingWindows: overrides.smoothingWindows ?? defaults.smoothingWindows.default,
};

interface SeedResult {
  seed: string;
  windows: number;
  zoneCorrect: number;
  zoneAccuracy: number | null;
  precision: number | null;
  recall: number | null;
  /** Zone changes per shopper-minute the truth does not have. */
  flappingPerMinute: number | null;
}

const results: SeedResult[] = [];
const row = (seed: string, score: Score, truth: TruthPair[], observed: ObservedPair[]): SeedResult => ({
  seed,
  flappingPerMinute: scoreFlapping(truth, observed, 10).perMinute,
  windows: score.matched,
  zoneCorrect: score.zoneCorrect,
  zoneAccuracy: score.zoneAccuracy,
  precision: score.precision,
  recall: score.recall,
});

if (values.from !== undefined) {
  const dir = values.from;
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { seeds: string[] };
  for (const seed of index.seeds) {
    const sightings = readJsonl<SightingRow>(join(dir, seed, 'sightings.jsonl'));
    const truth = readJsonl<TruthPair>(join(dir, seed, 'truth.jsonl'));
    const observed = replayPresence(sightings, params);
    results.push(row(seed, scorePairs(truth, observed), truth, observed));
  }
} else {
  const seeds = (values.seeds as string)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (seeds.length === 0) fail('--seeds is empty');
  const minutes = numberOption(values.minutes, 'minutes', true) as number;
  if (values.save !== undefined) {
    mkdirSync(values.save, { recursive: true });
    writeFileSync(join(values.save, 'index.json'), JSON.stringify({ seeds, minutes }));
  }
  for (const seed of seeds) {
    const keepDir = values.save === undefined ? undefined : join(values.save, seed);
    if (keepDir !== undefined) mkdirSync(keepDir, { recursive: true });
    const run = await runZoneAccuracyPipeline({
      seed,
      minutes,
      nearDbm: dbm(values['near-dbm'], 'near-dbm'),
      midDbm: dbm(values['mid-dbm'], 'mid-dbm'),
      presence: { switchPenalty: params.switchPenalty, smoothingWindows: params.smoothingWindows },
      keepDir,
    });
    results.push(row(seed, run.score, run.truth, run.observed));
    if (!values.json) process.stderr.write(`seed ${seed}: done\n`);
  }
}

const windows = results.reduce((sum, r) => sum + r.windows, 0);
const correct = results.reduce((sum, r) => sum + r.zoneCorrect, 0);
const overall = windows === 0 ? null : correct / windows;
const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(1)} %`);
if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ params, seeds: results, overall: { windows, zoneCorrect: correct, zoneAccuracy: overall } })}\n`,
  );
} else {
  process.stdout.write(
    `presence: switchPenalty ${params.switchPenalty}, smoothingWindows ${params.smoothingWindows}\n`,
  );
  for (const r of results)
    process.stdout.write(
      `${r.seed.padEnd(20)} ${String(r.windows).padStart(6)} windows  zone accuracy ${pct(r.zoneAccuracy)}  flapping ${r.flappingPerMinute === null ? 'n/a' : r.flappingPerMinute.toFixed(3)}/min\n`,
    );
  process.stdout.write(
    `${'overall'.padEnd(20)} ${String(windows).padStart(6)} windows  zone accuracy ${pct(overall)}\n`,
  );
}
