import { intOption, numberOption, type Command } from '../../shared/cli/command.ts';
import { EXIT } from '../../shared/errors.ts';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { chooseK, makeThresholdPolicy, rankProbability, sampleRank } from '../../hub/core/offers/threshold-sampler.ts';

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

export const auditCommand: Command = {
  name: 'audit',
  summary: 'privacy audit tools: sample the production mechanisms, read the budget ledger',
  subcommands: () => [offersCommand],
};
