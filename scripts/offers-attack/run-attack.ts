import { ATTACKS, attackScores, expectedRecovery, type AttackName } from './attacks.ts';
import { offersConfig } from './offers-harness.ts';
import { runScenario, scenarios, type ScenarioName, type ScenarioRun } from './simulate.ts';

/**
 * `hushpoint audit offers-attack` (docs/shopper-api.md#the-attack): an observer of a daily
 * shopper's offers tries to recover their top k. Three scenarios run through the production
 * offers feature on the same simulated shoppers — the default config with unchanging data
 * (sticky draws), the default config with data that changes before every visit (only the budget
 * limits fresh draws), and the v1 behaviour (a fresh draw every visit) as the negative control.
 * Every attack is tried on every scenario; a scenario's recovery is its best attack's.
 *
 * recovery: the best attack's recovery against the default config and a shopper whose data does
 * not change (the scenario of the claim); worstCase: the same with data that changes before every
 * visit; chance: k / n; the claim checked is recovery ≤ chance + 0.10. Each recovery comes with
 * its 95% interval over the simulated shoppers.
 */

export const MARGIN = 0.1;
const CHECKPOINTS = [30, 90, 180, 365];

export type Interval = readonly [number, number];

export interface ScenarioReport {
  readonly description: string;
  /** The best attack's recovery after all the days, and its 95% interval over the shoppers. */
  readonly recovery: number;
  readonly interval95: Interval;
  readonly bestAttack: AttackName;
  readonly byAttack: Readonly<Record<AttackName, number>>;
  /** The best attack's recovery after 30, 90, 180, 365 days (those within the run) and the last day. */
  readonly curve: readonly { readonly day: number; readonly recovery: number }[];
  readonly offersSeenPerShopper: number;
  readonly freshDrawsPerShopper: number;
  readonly carriedDrawsPerShopper: number;
  readonly epsilonPerShopper: number;
}

export interface AttackReport {
  readonly days: number;
  readonly seed: string;
  readonly shoppers: number;
  readonly n: number;
  readonly k: number;
  readonly epsilonPerOffer: number;
  readonly periodEpsilon: number;
  readonly period: string;
  readonly holdoutShare: number;
  readonly chance: number;
  readonly bound: number;
  readonly recovery: number;
  readonly interval95: Interval;
  readonly passes: boolean;
  /** The default config against a shopper whose data changes before every visit. */
  readonly worstCase: { readonly scenario: 'churn'; readonly recovery: number; readonly interval95: Interval };
  readonly attacks: Readonly<Record<AttackName, string>>;
  readonly scenarios: Readonly<Record<ScenarioName, ScenarioReport>>;
}

export interface AttackOptions {
  readonly days: number;
  readonly seed: string;
  readonly shoppers: number;
  /** offers.budget.periodEpsilon for the default-config scenarios (the config default when omitted). */
  readonly periodEpsilon?: number;
  /** Only these scenarios (all when omitted). */
  readonly only?: readonly ScenarioName[];
  readonly progress?: (line: string) => void;
}

const round = (x: number): number => Number(x.toFixed(4));
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The mean ± 1.96 standard errors. */
function interval(xs: readonly number[]): Interval {
  const m = mean(xs);
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, xs.length - 1));
  const half = (1.96 * sd) / Math.sqrt(xs.length);
  return [round(m - half), round(m + half)];
}

/** Each shopper's recovery by the attack from what they were shown in the first `day` days. */
function recoveries(run: ScenarioRun, attack: AttackName, day: number): number[] {
  return run.shoppers.map((shopper) => {
    const seen = shopper.sightings.filter((s) => s.day < day);
    return expectedRecovery(attackScores(attack, seen, run.offers, run.policy), shopper.truth, run.k);
  });
}

function report(run: ScenarioRun, description: string, days: number): ScenarioReport {
  const names = Object.keys(ATTACKS) as AttackName[];
  const final = Object.fromEntries(names.map((a) => [a, recoveries(run, a, days)])) as Record<AttackName, number[]>;
  const byAttack = Object.fromEntries(names.map((a) => [a, round(mean(final[a]))])) as Record<AttackName, number>;
  const bestAttack = names.reduce((best, a) => (byAttack[a] > byAttack[best] ? a : best), names[0] as AttackName);
  const checkpoints = [...new Set([...CHECKPOINTS.filter((d) => d < days), days])];
  const perShopper = (f: (s: ScenarioRun['shoppers'][number]) => number): number => round(mean(run.shoppers.map(f)));
  return {
    description,
    recovery: byAttack[bestAttack],
    interval95: interval(final[bestAttack]),
    bestAttack,
    byAttack,
    curve: checkpoints.map((day) => ({
      day,
      recovery: round(Math.max(...names.map((a) => mean(recoveries(run, a, day))))),
    })),
    offersSeenPerShopper: perShopper((s) => s.sightings.length),
    freshDrawsPerShopper: perShopper((s) => s.freshDraws),
    carriedDrawsPerShopper: perShopper((s) => s.carriedDraws),
    epsilonPerShopper: perShopper((s) => s.epsilonMicro / 1e6),
  };
}

export function runOffersAttack(options: AttackOptions): AttackReport {
  const defaults = offersConfig(
    options.periodEpsilon === undefined ? {} : { budget: { periodEpsilon: options.periodEpsilon } },
  );
  const all = scenarios(options.periodEpsilon);
  const names = (Object.keys(all) as ScenarioName[]).filter((n) => options.only?.includes(n) ?? true);
  const reports: Partial<Record<ScenarioName, ScenarioReport>> = {};
  let shape = { n: 1, k: 0 };
  for (const name of names) {
    const scenario = all[name];
    options.progress?.(`scenario ${name}: ${options.shoppers} shoppers × ${options.days} days`);
    const run = runScenario(scenario, options);
    shape = { n: run.n, k: run.k };
    reports[name] = report(run, scenario.description, options.days);
  }
  const chance = shape.k / shape.n;
  const sticky = reports.sticky;
  const churn = reports.churn;
  const none: Interval = [Number.NaN, Number.NaN];
  return {
    days: options.days,
    seed: options.seed,
    shoppers: options.shoppers,
    n: shape.n,
    k: shape.k,
    epsilonPerOffer: defaults.epsilon.standard ?? 1,
    periodEpsilon: defaults.budget.periodEpsilon,
    period: 'quarter',
    holdoutShare: defaults.holdoutShare,
    chance: round(chance),
    bound: round(chance + MARGIN),
    recovery: sticky?.recovery ?? Number.NaN,
    interval95: sticky?.interval95 ?? none,
    passes: sticky !== undefined && sticky.recovery <= chance + MARGIN,
    worstCase: { scenario: 'churn', recovery: churn?.recovery ?? Number.NaN, interval95: churn?.interval95 ?? none },
    attacks: ATTACKS,
    scenarios: reports as Record<ScenarioName, ScenarioReport>,
  };
}

export function formatAttackReport(r: AttackReport): string[] {
  const lines = [
    `offers attack: ${r.shoppers} simulated shoppers, each entering one zone of n = ${r.n} offers once a day for ${r.days} days`,
    `policy: ε ${r.epsilonPerOffer} per offer (k = ${r.k}), offer budget ε ${r.periodEpsilon} per ${r.period}, holdout ${r.holdoutShare}`,
    `chance ${r.chance}; claim: the best attack recovers at most chance + ${MARGIN} = ${r.bound} of the top ${r.k}`,
    '',
  ];
  for (const [name, s] of Object.entries(r.scenarios)) {
    lines.push(`${name}: ${s.description}`);
    lines.push(
      `  recovery ${s.recovery} (95% interval ${s.interval95[0]}–${s.interval95[1]}, best attack: ${s.bestAttack}); by day: ${s.curve.map((c) => `${c.day} → ${c.recovery}`).join(', ')}`,
    );
    lines.push(
      `  per shopper: ${s.offersSeenPerShopper} offers seen, ${s.freshDrawsPerShopper} fresh draws, ${s.carriedDrawsPerShopper} carried into a new period, ε ${s.epsilonPerShopper} spent`,
    );
  }
  lines.push(
    '',
    `recovery (default config, unchanging data) ${r.recovery}: ${r.passes ? 'within' : 'OVER'} the bound ${r.bound}`,
    `worst case (default config, data changing before every visit) ${r.worstCase.recovery} (95% interval ${r.worstCase.interval95[0]}–${r.worstCase.interval95[1]})`,
  );
  return lines;
}
