import {
  intOption,
  numberOption,
  requireString,
  usageError,
  type CliIo,
  type Command,
  type OptionSpec,
  type OptionValues,
} from '../../shared/cli/command.ts';
import { EXIT, isAppError } from '../../shared/errors.ts';
import { KeyedRandomSource } from '../../shared/ports/keyed-random.ts';
import { CryptoRandomSource, type RandomSource } from '../../shared/ports/random.ts';
import { formatRational, rationalToNumberUp } from '../../shared/privacy/rational.ts';
import { adaptLabels } from '../../shared/synth/core/adapt.ts';
import { encodeRows, makeLayout } from '../../shared/synth/core/encode.ts';
import { fitSynthesizer, type SynthFit } from '../../shared/synth/core/fit.ts';
import { sampleRows } from '../../shared/synth/core/model.ts';
import { formatCsv } from '../../shared/synth/csv.ts';
import { evaluateSynthetic, type EvaluationReport } from '../../shared/synth/evaluate.ts';
import {
  deltaOption,
  epsilonOption,
  readCsvFile,
  rowsInSchemaOrder,
  schemaFor,
  writeFileAtomically,
} from './synth-io.ts';

/**
 * `hushpoint synth`: DP synthetic data (docs/synthetic-data.md). `fit` writes a synthetic CSV with
 * the input's columns; `evaluate` compares it with real rows (TSTR against train-on-real and
 * independent DP marginals, marginals, correlations, distance to the closest real row);
 * `retail-task` builds the retail customer task the targets are measured on.
 */

const DATA_CODES = new Set(['SYNTH_BAD_VALUE', 'SYNTH_MISSING_COLUMN', 'SYNTH_MISSING_FILE', 'SYNTH_TOO_FEW_ROWS']);

/** Runs `body`, mapping data errors to exit 65, schema errors to 78 and parameter errors to 64. */
async function withExitCodes(io: CliIo, path: string, body: () => Promise<number> | number): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (isAppError(error) && DATA_CODES.has(error.code)) {
      io.err(`${path}: ${error.code}: ${error.message}`);
      return EXIT.DATA;
    }
    if (isAppError(error, 'SYNTH_BAD_SCHEMA') || isAppError(error, 'CFG_UNREADABLE')) {
      io.err(`${path}: ${error.code}: ${error.message}`);
      return EXIT.CONFIG;
    }
    if (isAppError(error, 'DP_INVALID_PARAMETER')) throw usageError(error.message);
    throw error;
  }
}

const SCHEMA_OPTIONS: Record<string, OptionSpec> = {
  schema: {
    type: 'string',
    value: 'FILE',
    description: 'a JSON schema of public column bounds (see docs/synthetic-data.md §2)',
  },
  bounds: {
    type: 'string',
    multiple: true,
    value: 'NAME=LO:HI[:log]',
    description: 'public bounds of a numeric column (repeatable; ":log" maps it through ln(1 + x))',
  },
  categorical: {
    type: 'string',
    multiple: true,
    value: 'NAME=A|B|…',
    description: 'a categorical column and its public categories',
  },
  classes: { type: 'string', value: 'A|B', description: "the label's classes", default: '0|1' },
};

function randomSource(values: OptionValues, io: CliIo): { rng: RandomSource; kind: 'crypto' | 'keyed' } {
  if (values.seed === undefined) return { rng: new CryptoRandomSource(), kind: 'crypto' };
  const seed = String(values.seed);
  if (seed.trim() === '') throw usageError('--seed is empty, expected a number or a word');
  io.err(
    'warning: --seed makes the noise a function of the seed: the output is private only while the seed stays secret',
  );
  return { rng: new KeyedRandomSource(seed), kind: 'keyed' };
}

function fitReport(fit: SynthFit, rows: number, out: string, randomness: string): Record<string, unknown> {
  const { plan } = fit;
  const step = (s: SynthFit['plan']['groups']) => ({
    sigma: s.sigma,
    sigmaSquared: formatRational(s.sigmaSquared),
    rho: formatRational(s.rho),
  });
  return {
    out,
    rows,
    components: fit.model.components.length,
    groups: fit.groups.length,
    groupSize: plan.groupSize,
    meanNoise: plan.meanNoise,
    minRows: plan.minRows,
    rho: formatRational(plan.rho),
    rhoUpper: rationalToNumberUp(plan.rho),
    epsilon: plan.cost.epsilon,
    epsilonBunSteinke: plan.cost.epsilonBunSteinke,
    delta: plan.delta,
    sensitivityL2Squared: String(plan.sensitivityL2Squared),
    scale: fit.model.layout.scale,
    clustering: { iterations: plan.iterations, clustersPerClass: plan.clustersPerClass, ...step(plan.clustering) },
    groupRelease: step(plan.groups),
    randomness,
  };
}

const fitCommand: Command = {
  name: 'fit',
  summary: 'fit the DP synthesizer to a CSV file and write synthetic rows with the same columns',
  usage:
    'hushpoint synth fit --input FILE.csv --label COLUMN --epsilon E --delta D (--schema FILE | --bounds NAME=LO:HI …) [--rows N] [--seed S] --out SYNTH.csv',
  description: `Numeric columns are written as numbers, categorical ones as one of their categories,
and the label as a class: every synthetic row comes from a group of records of one class
(docs/synthetic-data.md §3); with --adapt, as the probability of the second class instead.
The whole output is (ε, δ)-DP for adding or removing one input row.
Column bounds must be public (--schema or --bounds): bounds read from the data would not be private.`,
  options: {
    input: { type: 'string', value: 'FILE.csv', description: 'the real rows (CSV with a header)' },
    label: { type: 'string', value: 'COLUMN', description: 'the label column' },
    epsilon: { type: 'string', value: 'E', description: 'ε > 0 of the (ε, δ) guarantee' },
    delta: { type: 'string', value: 'D', description: 'δ in (0, 1), e.g. 1e-6' },
    out: { type: 'string', value: 'SYNTH.csv', description: 'where to write the synthetic rows' },
    rows: { type: 'string', value: 'N', description: 'rows to write (default: the noisy record count)' },
    seed: {
      type: 'string',
      value: 'S',
      description: 'reproducible noise from a seed (private only while S stays secret)',
    },
    ...SCHEMA_OPTIONS,
    iterations: { type: 'string', value: 'T', description: 'DP Lloyd iterations', default: '2' },
    clusters: {
      type: 'string',
      value: 'K',
      description: 'clusters per label class (default: 2 below ρ = 0.05, else 4)',
    },
    'cluster-share': { type: 'string', value: 'S', description: 'share of ρ for the clustering', default: '0.3' },
    'mean-noise': {
      type: 'string',
      value: 'TAU',
      description: 'noise sd of a group-mean coordinate in [0, 1] units (sets m)',
      default: '0.15',
    },
    'group-size': { type: 'string', value: 'M', description: 'records per group (overrides --mean-noise)' },
    adapt: {
      type: 'boolean',
      description:
        'soft labels by kernel ridge regression on the released group means (free post-processing; the label is then a probability)',
    },
    jitter: {
      type: 'string',
      value: 'H',
      description: 'public jitter of numeric columns in [0, 1] units (post-processing)',
      default: '0.05',
    },
    json: { type: 'boolean', description: 'print the report as JSON' },
  },
  run({ values }, { io, path }) {
    return withExitCodes(io, path, () => {
      const input = requireString(values, 'input', 'the CSV file of real rows');
      const label = requireString(values, 'label', 'the name of the label column');
      const out = requireString(values, 'out', 'the CSV file to write');
      const epsilon = epsilonOption(values);
      const delta = deltaOption(values);
      const rows = values.rows === undefined ? undefined : intOption(values, 'rows', { min: 1, max: 10_000_000 });
      const tuning = {
        iterations: intOption(values, 'iterations', { min: 1, max: 20 }),
        ...(values.clusters === undefined
          ? {}
          : { clustersPerClass: intOption(values, 'clusters', { min: 1, max: 64 }) }),
        clusterShare: numberOption(values, 'cluster-share', { min: 0.01, max: 0.99 }),
        meanNoise: numberOption(values, 'mean-noise', { min: 0.001, max: 1 }),
        ...(values['group-size'] === undefined
          ? {}
          : { groupSize: intOption(values, 'group-size', { min: 1, max: 1_000_000 }) }),
      };
      const { rng, kind } = randomSource(values, io);
      const table = readCsvFile(input, 'the input file');
      const schema = schemaFor(table.header, label, values);
      const encoded = encodeRows(makeLayout(schema), rowsInSchemaOrder(table, schema, input));
      const fit = fitSynthesizer(encoded, { epsilon, delta }, tuning, rng);
      const model = values.adapt ? adaptLabels(fit.model) : fit.model;
      const synthetic = sampleRows(model, rng, rows, numberOption(values, 'jitter', { min: 0, max: 1 }));
      writeFileAtomically(out, formatCsv(table.header, synthetic));
      const report = fitReport(fit, synthetic.length, out, kind);
      if (values.json) io.out(JSON.stringify(report));
      else {
        io.out(
          `wrote ${synthetic.length} synthetic rows to ${out} (${fit.model.components.length} group means, m = ${fit.plan.groupSize})`,
        );
        io.out(
          `privacy: ρ = ${rationalToNumberUp(fit.plan.rho).toPrecision(4)} zCDP (exactly ${report.rho}), (ε = ${fit.plan.cost.epsilon.toPrecision(4)}, δ = ${delta})-DP for adding or removing one row; noise per group-mean coordinate ${fit.plan.meanNoise.toPrecision(3)}`,
        );
      }
      return EXIT.OK;
    });
  },
};

function printEvaluation(io: CliIo, r: EvaluationReport): void {
  const f = (x: number): string => x.toFixed(4);
  io.out(`rows: real ${r.rows.real}, synthetic ${r.rows.synthetic}, holdout ${r.rows.holdout}`);
  io.out(
    `TSTR AUC on the holdout: synthetic ${f(r.tstrAuc.synthetic)}  real ${f(r.tstrAuc.real)}  independent DP marginals ${f(r.tstrAuc.independentMarginals)} (ε = ${r.baseline.epsilon}, δ = ${r.baseline.delta})`,
  );
  io.out(
    `marginal error (TV, mean/max): synthetic ${f(r.marginalError.synthetic.mean)}/${f(r.marginalError.synthetic.max)}  independent ${f(r.marginalError.independentMarginals.mean)}/${f(r.marginalError.independentMarginals.max)}`,
  );
  io.out(
    `correlation error (mean/max |Δρ|): synthetic ${f(r.correlationError.synthetic.mean)}/${f(r.correlationError.synthetic.max)}  independent ${f(r.correlationError.independentMarginals.mean)}/${f(r.correlationError.independentMarginals.max)}`,
  );
  const s = r.distanceToClosestReal.synthetic;
  const h = r.distanceToClosestReal.holdout;
  io.out(
    `distance to the closest real row: synthetic median ${f(s.median)} p5 ${f(s.p05)} min ${f(s.min)}, exact copies ${s.exactMatches}/${s.rows}; real holdout median ${f(h.median)} p5 ${f(h.p05)}`,
  );
}

const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'compare synthetic rows with real ones: TSTR AUC, marginals, correlations, distance to real rows',
  usage:
    'hushpoint synth evaluate --real FILE --synthetic FILE --holdout FILE --label COLUMN (--schema FILE | --bounds …) [--epsilon E --delta D] [--seed S] [--json]',
  description: `TSTR: logistic regression trained on the synthetic rows, on the real rows and on the
independent-DP-marginals baseline (fitted here to the real rows at --epsilon/--delta), each scored by
ROC AUC on the holdout rows (docs/synthetic-data.md §7). The label of the synthetic file may be a
class or a probability of the second class.`,
  options: {
    real: { type: 'string', value: 'FILE', description: 'the real rows the synthetic ones were fitted to' },
    synthetic: { type: 'string', value: 'FILE', description: 'the synthetic rows' },
    holdout: { type: 'string', value: 'FILE', description: 'real rows not used in the fit' },
    label: { type: 'string', value: 'COLUMN', description: 'the label column' },
    epsilon: { type: 'string', value: 'E', description: "ε of the baseline's (ε, δ)", default: '1' },
    delta: { type: 'string', value: 'D', description: "δ of the baseline's (ε, δ)", default: '1e-6' },
    seed: { type: 'string', value: 'S', description: 'reproducible baseline noise (the baseline is evaluation-only)' },
    ...SCHEMA_OPTIONS,
    json: { type: 'boolean', description: 'print the report as JSON' },
  },
  run({ values }, { io, path }) {
    return withExitCodes(io, path, () => {
      const realFile = requireString(values, 'real', 'the CSV file of real rows');
      const syntheticFile = requireString(values, 'synthetic', 'the CSV file of synthetic rows');
      const holdoutFile = requireString(values, 'holdout', 'the CSV file of held-out real rows');
      const label = requireString(values, 'label', 'the name of the label column');
      const epsilon = epsilonOption(values);
      const delta = deltaOption(values);
      const rng = values.seed === undefined ? new CryptoRandomSource() : new KeyedRandomSource(String(values.seed));
      const real = readCsvFile(realFile, 'the real file');
      const schema = schemaFor(real.header, label, values);
      const report = evaluateSynthetic(
        schema,
        {
          real: rowsInSchemaOrder(real, schema, realFile),
          synthetic: rowsInSchemaOrder(readCsvFile(syntheticFile, 'the synthetic file'), schema, syntheticFile),
          holdout: rowsInSchemaOrder(readCsvFile(holdoutFile, 'the holdout file'), schema, holdoutFile),
        },
        { epsilon, delta },
        rng,
      );
      if (values.json) io.out(JSON.stringify(report));
      else printEvaluation(io, report);
      return EXIT.OK;
    });
  },
};

const retailTaskCommand: Command = {
  name: 'retail-task',
  summary: 'build the retail customer task (train.csv, holdout.csv, schema.json) from the invoice lines',
  usage: 'hushpoint synth retail-task --out DIR [--input FILE.csv.gz] [--split-seed S] [--json]',
  description: `One row per customer with features from Dec 2010 – Jun 2011 and the label "buys again in
Jul – Sep 2011", split 70/30 by a hash of the customer id (docs/synthetic-data.md §6). The input
defaults to the UCI Online Retail training file (Chen, Sain, Guo 2012; CC BY 4.0).`,
  options: {
    out: { type: 'string', value: 'DIR', description: 'the folder to write' },
    input: { type: 'string', value: 'FILE', description: 'invoice lines (CSV, or gzip CSV ending .gz)' },
    'split-seed': {
      type: 'string',
      value: 'S',
      description: 'the public seed of the 70/30 split',
      default: 'hushpoint',
    },
    json: { type: 'boolean', description: 'print the summary as JSON' },
  },
  async run({ values }, { io, path }) {
    const { DEFAULT_RETAIL_FILE, writeRetailTask } = await import('../../scripts/synth/retail-task.ts');
    return withExitCodes(io, path, () => {
      const out = requireString(values, 'out', 'the folder for train.csv, holdout.csv and schema.json');
      const input = typeof values.input === 'string' ? values.input : DEFAULT_RETAIL_FILE;
      const task = writeRetailTask(input, out, String(values['split-seed']));
      const summary = {
        out,
        train: task.train.length,
        holdout: task.holdout.length,
        linesRead: task.linesRead,
        linesUsed: task.linesUsed,
        rejected: task.rejected,
      };
      if (values.json) io.out(JSON.stringify(summary));
      else {
        io.out(
          `wrote ${task.train.length} train and ${task.holdout.length} holdout customers to ${out} (train.csv, holdout.csv, schema.json)`,
        );
        io.out(
          `${task.linesUsed} of ${task.linesRead} lines used; rejected: ${Object.entries(task.rejected)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
        );
      }
      return EXIT.OK;
    });
  },
};

export const synthCommand: Command = {
  name: 'synth',
  summary: 'DP synthetic data: fit a synthesizer to a CSV, evaluate synthetic rows, build the retail task',
  subcommands: () => [fitCommand, evaluateCommand, retailTaskCommand],
};
