import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  intOption,
  numberOption,
  requireString,
  usageError,
  type Command,
  type CommandContext,
  type OptionValues,
} from '../../shared/cli/command.ts';
import { EXIT } from '../../shared/errors.ts';
import { createLogger } from '../../shared/ports/logger.ts';
import { existingOutputs, openOutputFiles } from '../../scripts/sim/adapters/output-files.ts';
import { scoreFiles, ScoreInputError, type FileScore } from '../../scripts/sim/adapters/score-files.ts';
import {
  DEFAULT_START_ISO,
  generate,
  shoppersFile,
  simulationFor,
  summarize,
  type GenerateOptions,
  type Summary,
} from '../../scripts/sim/generate.ts';
import { runLive } from '../../scripts/sim/live.ts';
import type { LiveGatewaySet } from '../../scripts/sim/live-gateways.ts';
import { fanOut, type ReportSink } from '../../scripts/sim/sinks.ts';
import { loadStore } from '../../scripts/sim/load-store.ts';
import { simPurchasesCommand } from './sim-purchases.ts';

/**
 * `hushpoint sim` — the store simulator (docs/simulator.md): `generate` writes one replay trace
 * per gateway plus ground truth, `run` plays the same stream live, `score` compares a system's
 * per-window zone assignments with the truth.
 */

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function startOption(values: OptionValues, fallback: () => number): number {
  const raw = values.start;
  if (raw === undefined) return fallback();
  if (typeof raw !== 'string' || !ISO_RE.test(raw))
    throw usageError(
      `--start is "${String(raw)}", expected an ISO 8601 date-time with a zone, e.g. ${DEFAULT_START_ISO}`,
    );
  const ms = Date.parse(raw);
  if (Number.isNaN(ms) || ms < 0 || ms / 1000 > 0xffff_ffff - 366 * 86_400)
    throw usageError(`--start is "${raw}", expected a date-time between 1970 and 2105`);
  return ms;
}

function seedOption(values: OptionValues): string {
  const seed = requireString(values, 'seed', 'any text or number; the same seed gives the same store');
  if (seed.length > 200) throw usageError(`--seed is ${seed.length} characters, expected at most 200`);
  return seed;
}

function commonOptions(values: OptionValues, defaultStart: () => number): GenerateOptions {
  const storeFile = requireString(
    values,
    'store',
    'a store description (YAML), e.g. scripts/stores/fashion-small.yaml',
  );
  const minutes = numberOption(values, 'minutes', { min: 0.05, max: 24 * 60 });
  const seed = seedOption(values);
  const startMs = startOption(values, defaultStart);
  const windowSeconds = intOption(values, 'window-seconds', { min: 1, max: 3600 }, 10);
  const store = loadStore(storeFile).config;
  return { store, seed, minutes, startMs, windowSeconds };
}

const STORE_OPTIONS = {
  store: { type: 'string', value: 'FILE', description: 'store description (YAML; see scripts/stores/)' },
  minutes: { type: 'string', value: 'M', description: 'simulated minutes (the opening day is compressed into them)' },
  seed: { type: 'string', value: 'S', description: 'random seed: the same seed gives byte-identical output' },
  start: { type: 'string', value: 'ISO8601', description: 'simulated start time (trace timestamps, EID counters)' },
  'window-seconds': {
    type: 'string',
    value: 'N',
    description: "ground-truth window length (the gateways' window)",
    default: '10',
  },
} as const;

function printSummary(io: CommandContext['io'], summary: Summary, outDir: string, verb: string): void {
  const k = summary.shoppers.byKind;
  io.out(`${verb} ${summary.gateways} traces, truth.jsonl, shoppers.json and summary.json in ${outDir}`);
  io.out(
    `shoppers ${summary.shoppers.total}: opted in ${summary.shoppers.optedIn} (android ${k.android}, ios-foreground ${k['ios-foreground']}, ios-background ${k['ios-background']} [not detectable], tag ${k.tag}), not opted in ${k['not-opted-in']}`,
  );
  io.out(
    `adverts written ${summary.advertsWritten} (${summary.advertsTransmitted} transmitted) in ${summary.seconds.toFixed(1)} s: ${summary.advertsPerSec} adverts/s; ${summary.truthRecords} truth records`,
  );
}

const generateCommand: Command = {
  name: 'generate',
  summary: 'write one replay trace per gateway, the enrolled shoppers and the ground truth',
  usage:
    'hushpoint sim generate --store FILE --minutes M --seed S --out DIR [--start ISO8601] [--window-seconds 10] [--force] [--json]',
  description: `Writes DIR/traces/{gatewayId}.jsonl (the gateway replay format), DIR/shoppers.json,
DIR/truth.jsonl and DIR/summary.json. The same options give byte-identical traces, truth and
shoppers. The default --start is ${DEFAULT_START_ISO}.`,
  options: {
    ...STORE_OPTIONS,
    out: { type: 'string', value: 'DIR', description: 'output folder (created)' },
    force: { type: 'boolean', description: 'replace earlier simulator output in DIR' },
    json: { type: 'boolean', description: 'print summary.json on stdout instead of the text summary' },
  },
  run({ values }, { io }) {
    const outDir = requireString(values, 'out', 'an output folder');
    const options = commonOptions(values, () => Date.parse(DEFAULT_START_ISO));
    const previous = existingOutputs(outDir);
    if (previous.length > 0 && !values.force)
      throw usageError(
        `--out ${outDir} already holds simulator output (${previous.join(', ')}); choose another folder or add --force to replace it`,
      );
    const summary = generate(options, outDir, { force: Boolean(values.force) });
    if (values.json) io.out(JSON.stringify(summary));
    else printSummary(io, summary, outDir, 'wrote');
    return EXIT.OK;
  },
};

/**
 * The default start of a live run: the simulated span ends when the run ends, so simulated time
 * never runs ahead of the wall clock (a hub refuses presence windows from the future).
 */
function liveDefaultStart(minutes: number, speed: number): number {
  const lead = speed > 1 ? minutes * 60_000 * (1 - 1 / speed) : 0;
  return Math.floor((Date.now() - lead) / 1000) * 1000;
}

const runCommand: Command = {
  name: 'run',
  summary: 'play the simulated store live, in compressed real time, into gateways and/or files',
  usage:
    'hushpoint sim run --store FILE --minutes M --seed S [--speed X] (--gateways DIR | --out DIR | both) [--start ISO8601] [--window-seconds 10] [--force]',
  description: `The same event stream as "generate", paced so that X simulated seconds pass per wall
second. With --gateways, every store gateway that has a config in DIR ({id}.yaml, or a
provisioning bundle {id}/gateway.yaml) runs here as a real gateway (noble's parser, filter,
windows, outbox, MQTT to its hub) fed live on simulated time. With --out, the traces, truth and
shoppers are written live. The default --start ends the simulated span when the run ends, so
simulated time is never ahead of the hub's clock.`,
  options: {
    ...STORE_OPTIONS,
    speed: { type: 'string', value: 'X', description: 'simulated seconds per wall second', default: '1' },
    gateways: { type: 'string', value: 'DIR', description: 'run real gateways from the configs in DIR, fed live' },
    out: { type: 'string', value: 'DIR', description: 'write the traces, truth and shoppers live to this folder' },
    force: { type: 'boolean', description: 'replace earlier simulator output in DIR' },
    'log-level': {
      type: 'string',
      value: 'LEVEL',
      description: 'gateway log level (JSON lines on stderr)',
      default: 'warn',
    },
  },
  async run({ values }, { io }) {
    const outDir = typeof values.out === 'string' && values.out !== '' ? values.out : undefined;
    const gatewaysDir = typeof values.gateways === 'string' && values.gateways !== '' ? values.gateways : undefined;
    if (outDir === undefined && gatewaysDir === undefined)
      throw usageError('give --gateways DIR (gateway configs to feed live), --out DIR (live trace files), or both');
    const speed = numberOption(values, 'speed', { min: 0.01, max: 100_000 });
    const minutes = numberOption(values, 'minutes', { min: 0.05, max: 24 * 60 });
    const logLevel = String(values['log-level']);
    if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel))
      throw usageError(`--log-level is "${logLevel}", expected one of fatal, error, warn, info, debug, trace, silent`);
    const options = commonOptions(values, () => liveDefaultStart(minutes, speed));
    if (outDir !== undefined) {
      const previous = existingOutputs(outDir);
      if (previous.length > 0 && !values.force)
        throw usageError(
          `--out ${outDir} already holds simulator output (${previous.join(', ')}); choose another folder or add --force to replace it`,
        );
    }
    const sim = simulationFor(options);
    const began = process.hrtime.bigint();
    const files =
      outDir !== undefined
        ? openOutputFiles(outDir, sim.gateways, sim.startMs, { force: Boolean(values.force) })
        : undefined;
    files?.writeJson('shoppers.json', shoppersFile(sim, options.seed));
    let gatewaySet: LiveGatewaySet | undefined;
    // Loaded only when asked for: the gateway stack (SQLite, mqtt.js, noble) is not needed otherwise.
    const { createLiveGateways, findGatewayConfigs, simulatedClock } =
      await import('../../scripts/sim/live-gateways.ts');
    const clock = simulatedClock(sim.startMs);
    if (gatewaysDir !== undefined) {
      try {
        const stateDir =
          outDir !== undefined ? join(outDir, 'gateway-state') : mkdtempSync(join(tmpdir(), 'hushpoint-sim-gw-'));
        mkdirSync(stateDir, { recursive: true });
        const { setups, missing } = findGatewayConfigs(
          gatewaysDir,
          sim.gateways.map((g) => g.id),
          stateDir,
        );
        if (setups.length === 0)
          throw usageError(
            `--gateways ${gatewaysDir} has no config for any of the store's gateways (looked for {id}.yaml and {id}/gateway.yaml, e.g. ${sim.gateways[0]?.id}.yaml)`,
          );
        if (missing.length > 0)
          io.err(
            `hushpoint sim run: no config for ${missing.length} of ${sim.gateways.length} gateways (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}); their reports are dropped`,
          );
        const logger = createLogger({
          level: logLevel,
          destination: { write: (line: string) => void process.stderr.write(line) },
        });
        gatewaySet = createLiveGateways(setups, { clock, logger });
      } catch (error) {
        files?.close();
        throw error;
      }
    }
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await gatewaySet?.start();
      const targets = [
        gatewaySet ? `${gatewaySet.gateways.length} live gateways` : '',
        outDir !== undefined ? `live output in ${outDir}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      io.out(
        `running ${sim.store.store}: ${options.minutes} simulated minutes at ${speed}× from ${new Date(sim.startMs).toISOString()} into ${targets} (Ctrl-C stops)`,
      );
      const sinks = [gatewaySet?.sink, files?.report].filter((s): s is ReportSink => s !== undefined);
      const live = runLive(
        sim,
        { report: fanOut(...sinks), ...(files ? { truth: files.truth } : {}) },
        { speed, signal: abort.signal, ...(files ? { onIdle: () => files.flush() } : {}) },
      );
      clock.follow(() => live.simulatedNow());
      const stats = await live.done;
      files?.close();
      const summary = summarize(sim, options, stats, Number(process.hrtime.bigint() - began) / 1e9);
      files?.writeJson('summary.json', summary);
      if (outDir !== undefined)
        printSummary(io, summary, outDir, abort.signal.aborted ? 'stopped early; wrote' : 'wrote');
      else
        io.out(
          `${abort.signal.aborted ? 'stopped early; ' : ''}${summary.advertsWritten} adverts played (${summary.advertsTransmitted} transmitted), ${summary.truthRecords} shopper-windows of truth`,
        );
      if (gatewaySet !== undefined) {
        const drained = await gatewaySet.drain();
        const c = gatewaySet.counts();
        io.out(
          `gateways: ${c.injected} reports through noble, ${c.refused} refused (not scanning), ${c.unrouted} for gateways not running; ${drained ? 'every closed window delivered' : 'some windows still wait in the outboxes'}`,
        );
      }
      return EXIT.OK;
    } finally {
      files?.close();
      await gatewaySet?.stop();
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
  },
};

function fmt(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(3);
}

const scoreCommand: Command = {
  name: 'score',
  summary: 'score observed per-window zone assignments against the ground truth',
  usage: 'hushpoint sim score --truth DIR/truth.jsonl --observed FILE [--json]',
  description: `FILE is JSON Lines, one line per shopper per window the system placed:
  {"windowStart":1795856440,"shopperId":"shopper-00001","zone":"toys"}
Prints precision, recall and zone accuracy (docs/simulator.md defines them).`,
  options: {
    truth: { type: 'string', value: 'FILE', description: 'truth.jsonl from hushpoint sim generate' },
    observed: { type: 'string', value: 'FILE', description: 'observed assignments (JSON Lines)' },
    'window-seconds': {
      type: 'string',
      value: 'N',
      description: "the windows' length, for flapping per shopper-minute (default 10, the simulator's)",
    },
    json: { type: 'boolean', description: 'print the figures as one JSON object' },
  },
  async run({ values }, { io }) {
    const truth = requireString(values, 'truth', 'the truth.jsonl written by hushpoint sim generate');
    const observed = requireString(values, 'observed', 'a JSON Lines file of {windowStart, shopperId, zone}');
    const windowSeconds = intOption(values, 'window-seconds', { min: 1, max: 3600 }, 10);
    let score: FileScore;
    try {
      score = await scoreFiles(truth, observed, windowSeconds);
    } catch (error) {
      if (error instanceof ScoreInputError) {
        io.err(`hushpoint sim score: ${error.message}`);
        return EXIT.DATA;
      }
      throw error;
    }
    if (values.json) {
      io.out(JSON.stringify(score));
      return EXIT.OK;
    }
    io.out(
      `truth pairs ${score.truthPairs} (heard ${score.truthPairsHeard}), observed pairs ${score.observedPairs}, matched ${score.matched}, zone correct ${score.zoneCorrect}`,
    );
    io.out(
      `precision ${fmt(score.precision)}  recall ${fmt(score.recall)}  recall (heard) ${fmt(score.recallHeard)}  f1 ${fmt(score.f1)}  zone accuracy ${fmt(score.zoneAccuracy)}`,
    );
    io.out(
      `room flapping ${fmt(score.flapping.perMinute)} zone changes per shopper-minute the truth does not have (${score.flapping.spuriousChanges} in ${score.flapping.minutes.toFixed(1)} shopper-minutes; ${score.flapping.truthChanges} real moves)`,
    );
    return EXIT.OK;
  },
};

export const simCommand: Command = {
  name: 'sim',
  summary: "simulate a store: BLE traces for the gateways, ground truth, scoring; a chain's releases; POS purchases",
  subcommands: () => [
    generateCommand,
    runCommand,
    scoreCommand,
    simPurchasesCommand,
    {
      name: 'chain',
      summary: "simulate a chain's stores and send their DP releases through the broker to HQ (or to files)",
      load: async () => (await import('../../scripts/sim/chain/command.ts')).chainCommand,
    },
  ],
};
