import { intOption, numberOption, requireString, usageError, type Command } from '../../shared/cli/command.ts';
import { EXIT, isAppError } from '../../shared/errors.ts';
import { loadConfig } from '../../shared/config/load-config.ts';
import { makeDiscreteGaussian } from '../../shared/privacy/mechanisms/discrete-gaussian.ts';
import { makeDiscreteLaplace } from '../../shared/privacy/mechanisms/discrete-laplace.ts';
import { formatRational } from '../../shared/privacy/rational.ts';
import { openHubDatabase } from '../../hub/storage/sqlite-database.ts';
import { hubRole } from '../../hub/config.schema.ts';
import { formatLedgerReport, ledgerReport } from '../../hub/privacy/mod.ts';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { chooseK, makeThresholdPolicy, rankProbability, sampleRank } from '../../hub/offers/core/threshold-sampler.ts';

/**
 * `hushpoint audit ...`: tools for privacy officers to check the DP claims against the
 * production samplers (always the crypto RandomSource, never a seeded one).
 */
const offersCommand: Command = {
  name: 'offers',
  summary: 'draw offer decisions from the production threshold sampler and print the chosen ranks',
  usage: 'hushpoint audit offers --items N --epsilon E --count C [--k K]',
  description: `Uses a fixed synthetic ranking of N eligible offers (rank 1 = the shopper's best) and prints
one line per decision on stdout: the rank of the chosen offer. On stderr it prints k, a, b
(e^ε is approximated by the integer ratio b/a ≤ e^ε) and the exact probability of each group.`,
  options: {
    items: { type: 'string', value: 'N', description: 'number of eligible offers, 1..1000000' },
    epsilon: { type: 'string', value: 'E', description: 'privacy parameter per shown offer, (0, 20]' },
    count: { type: 'string', value: 'C', description: 'number of decisions to draw, 1..100000000' },
    k: { type: 'string', value: 'K', description: 'override the computed public threshold k' },
  },
  run({ values }, { io }) {
    const n = intOption(values, 'items', { min: 1, max: 1_000_000 });
    const epsilon = numberOption(values, 'epsilon', { min: Number.MIN_VALUE, max: 20 });
    const count = intOption(values, 'count', { min: 1, max: 100_000_000 });
    const k = values.k === undefined ? chooseK(n, epsilon) : intOption(values, 'k', { min: 1, max: n });
    const policy = makeThresholdPolicy(n, epsilon, k);
    const top = rankProbability(policy, 1);
    const rest = rankProbability(policy, n);
    io.err(`k=${policy.k} a=${policy.a} b=${policy.b} W=${policy.total} realEpsilon=${policy.realEpsilon}`);
    io.err(`P(each top-${policy.k} offer)=${top.num}/${top.den}=${top.num / top.den}`);
    if (policy.k < n) io.err(`P(each other offer)=${rest.num}/${rest.den}=${rest.num / rest.den}`);
    const rng = new CryptoRandomSource();
    const chunk: string[] = [];
    for (let i = 0; i < count; i++) {
      chunk.push(String(sampleRank(policy, rng)));
      if (chunk.length === 10_000) {
        io.out(chunk.join('\n'));
        chunk.length = 0;
      }
    }
    if (chunk.length > 0) io.out(chunk.join('\n'));
    return EXIT.OK;
  },
};

const offersAttackCommand: Command = {
  name: 'offers-attack',
  summary: "simulate an observer of a daily shopper's offers and measure how much of their top k they recover",
  usage: 'hushpoint audit offers-attack [--days D] [--seed S] [--shoppers N] [--period-epsilon E] [--json]',
  description: `Runs the hub's own offers feature (decisions, sticky draws, guards, the budget ledger) on
simulated shoppers, each with a fixed random ranking of the 20 offers of one zone (k = 8 at ε 1),
entering that zone once a day for D days, and an observer who records every offer shown. The
observer guesses each shopper's top k with the best of several attacks; recovery is the share
of the true top k guessed, averaged over the shoppers, and chance is k/n. Three scenarios: the
default config (the claim: recovery ≤ chance + 0.10), the default config with shopper data that
changes before every visit (the worst case), and a fresh draw every visit (the v1 behaviour).
Exits 1 when the claim fails. The simulation uses a seeded generator, so a seed gives the same
figures; the hub itself draws from node:crypto.`,
  options: {
    days: { type: 'string', value: 'D', description: 'days observed, 1..3650', default: '365' },
    seed: { type: 'string', value: 'S', description: 'seed of the simulation', default: 'hushpoint' },
    shoppers: { type: 'string', value: 'N', description: 'simulated shoppers, 10..5000', default: '100' },
    'period-epsilon': {
      type: 'string',
      value: 'E',
      description: 'offers.budget.periodEpsilon to test instead of the default',
    },
    json: { type: 'boolean', description: 'print the report as one JSON object (progress on stderr)' },
  },
  async run({ values }, { io }) {
    const days = intOption(values, 'days', { min: 1, max: 3650 });
    const shoppers = intOption(values, 'shoppers', { min: 10, max: 5000 });
    const seed = requireString(values, 'seed', 'any text');
    const periodEpsilon =
      values['period-epsilon'] === undefined
        ? undefined
        : numberOption(values, 'period-epsilon', { min: 1e-6, max: 1000 });
    const { runOffersAttack, formatAttackReport } = await import('../../scripts/offers-attack/run-attack.ts');
    let report;
    try {
      report = runOffersAttack({
        days,
        seed,
        shoppers,
        ...(periodEpsilon !== undefined ? { periodEpsilon } : {}),
        progress: (line) => io.err(line),
      });
    } catch (error) {
      if (periodEpsilon !== undefined && isAppError(error, 'CFG_INVALID'))
        throw usageError(`--period-epsilon is ${periodEpsilon}, which the offers config refuses: ${error.message}`);
      throw error;
    }
    if (values.json) io.out(JSON.stringify(report));
    else for (const line of formatAttackReport(report)) io.out(line);
    return report.passes ? EXIT.OK : EXIT.FAILURE;
  },
};

const noiseCommand: Command = {
  name: 'noise',
  summary: 'print samples of the production DP noise (exact sampler, CryptoRandomSource), one integer per line',
  usage: 'hushpoint audit noise --mechanism discrete-laplace|discrete-gaussian (--scale S | --sigma S) --count N',
  description: `The same mechanisms the hub's releases use, applied to zeros: each line is one noise draw.
S is read as an exact decimal (6.3 means 63/10). stderr names the exact distribution.`,
  options: {
    mechanism: { type: 'string', value: 'NAME', description: 'discrete-laplace or discrete-gaussian' },
    scale: { type: 'string', value: 'S', description: 'discrete Laplace scale t: P(x) ∝ exp(−|x|/t)' },
    sigma: { type: 'string', value: 'S', description: 'discrete Gaussian σ: P(x) ∝ exp(−x²/(2σ²))' },
    count: { type: 'string', value: 'N', description: 'number of samples, 1..100000000' },
  },
  run({ values }, { io }) {
    const name = requireString(values, 'mechanism', 'discrete-laplace or discrete-gaussian');
    const count = intOption(values, 'count', { min: 1, max: 100_000_000 });
    const [wanted, unwanted] =
      name === 'discrete-laplace'
        ? ['scale', 'sigma']
        : name === 'discrete-gaussian'
          ? ['sigma', 'scale']
          : [null, null];
    if (wanted === null || unwanted === null)
      throw usageError(`--mechanism is "${name}", expected discrete-laplace or discrete-gaussian`);
    if (values[unwanted] !== undefined)
      throw usageError(`--${unwanted} does not apply to ${name}, expected --${wanted}`);
    const parameter = requireString(
      values,
      wanted,
      `the ${wanted === 'scale' ? 'scale t' : 'σ'} of the ${name}, e.g. 6`,
    );
    const rng = new CryptoRandomSource();
    let release: (zeros: number[]) => number[];
    try {
      if (name === 'discrete-laplace') {
        const m = makeDiscreteLaplace({ scale: parameter });
        io.err(`discrete Laplace, scale t = ${formatRational(m.scale)}: P(x) ∝ exp(−|x|/t), x ∈ ℤ`);
        release = (zeros) => m.release(zeros, rng);
      } else {
        const m = makeDiscreteGaussian({ sigma: parameter });
        io.err(`discrete Gaussian, σ² = ${formatRational(m.sigmaSquared)}: P(x) ∝ exp(−x²/(2σ²)), x ∈ ℤ`);
        release = (zeros) => m.release(zeros, rng);
      }
    } catch (error) {
      if (isAppError(error, 'DP_INVALID_PARAMETER'))
        throw usageError(`--${error.message.replace(/^sigma /, 'sigma: ').replace(/^scale /, 'scale: ')}`);
      throw error;
    }
    for (let done = 0; done < count;) {
      const n = Math.min(10_000, count - done);
      io.out(release(new Array<number>(n).fill(0)).join('\n'));
      done += n;
    }
    return EXIT.OK;
  },
};

const ledgerCommand: Command = {
  name: 'ledger',
  summary: "print how one budget period's analytics budget is used, as distributions (no shopper identities)",
  options: {
    config: { type: 'string', value: 'FILE', description: 'the hub config file (hub.yaml)' },
    period: {
      type: 'string',
      value: 'PERIOD',
      description:
        'the budget period to report: 2026-11, 2026-Q4 or 2026, as the config says (default: the current one)',
    },
    json: { type: 'boolean', description: 'print one JSON object' },
  },
  run({ values }, { io }) {
    const loaded = loadConfig(hubRole, requireString(values, 'config', 'the hub config file (hub.yaml)'));
    const period = typeof values.period === 'string' ? values.period : undefined;
    const db = openHubDatabase(loaded.resolvePath(loaded.config.database), { readonly: true });
    try {
      const report = ledgerReport(db, loaded.config.privacy, {
        nowMs: Date.now(),
        ...(period !== undefined ? { period } : {}),
      });
      if (values.json) io.out(JSON.stringify(report));
      else for (const line of formatLedgerReport(report)) io.out(line);
    } finally {
      db.close();
    }
    return EXIT.OK;
  },
};

export const auditCommand: Command = {
  name: 'audit',
  summary: 'privacy audit tools: sample the production mechanisms, read the budget ledger, attack the offers',
  subcommands: () => [offersCommand, offersAttackCommand, noiseCommand, ledgerCommand],
};
