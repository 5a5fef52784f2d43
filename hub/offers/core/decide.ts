import { uniformInt, type RandomSource } from '../../../shared/ports/random.ts';
import { budgetLeft, type BudgetLeftMicro } from './budget.ts';
import { eligibility, type CatalogIndex, type CatalogOffer } from './catalog.ts';
import { checkGuards, type GuardConfig, type OfferActivity, type OfferConsent, type RefusalReason } from './guards.ts';
import type { LocalClock } from './local-time.ts';
import type { PolicyCache } from './policy-cache.ts';
import {
  compileProfile,
  memberAt,
  rankOfPosition,
  RankingScratch,
  scoreEligible,
  topKThreshold,
  type DataCategory,
  type ShopperSignals,
} from './ranking.ts';
import { sampleUniformBelow } from '../../../shared/privacy/samplers/uniform.ts';
import { sampleRank } from './threshold-sampler.ts';

/**
 * One offer decision (docs/shopper-api.md), a pure function of (shopper data, catalog, now, rng, config):
 *
 * 1. eligible offers: the zone's offers valid now (public; n = their number);
 * 2. ε of the decision: the smallest ε of the sensitivity classes among them (µε);
 * 3. guards (guards.ts): consent, pause, stale entry, quiet hours, caps, budget → refusal;
 * 4. arm: with probability holdoutShare (one exact uniform integer) the holdout arm gets a
 *    uniform offer — it reads no personal data, reveals nothing about preferences and costs 0 ε;
 * 5. otherwise the personalised arm: the shopper's private ranking (ranking.ts), the public
 *    threshold policy for (n, ε) (policy-cache.ts) and ONE exact uniform integer below
 *    W = k·b + (n − k)·a (threshold-sampler.ts) pick the offer; it costs ε.
 *
 * The guards run before the arm is drawn, so both arms face exactly the same conditions and the
 * measured lift of personalisation is not biased by them.
 */

export type Arm = 'personalised' | 'holdout';
export const ARMS: readonly Arm[] = ['personalised', 'holdout'];

export interface ShopperOfferState {
  readonly consent: OfferConsent;
  readonly signals: ShopperSignals;
  readonly activity: OfferActivity;
}

export interface DecisionConfig extends GuardConfig {
  readonly localClock: LocalClock;
  readonly policies: PolicyCache;
  /** Holdout share in parts per million (0 = no holdout). */
  readonly holdoutPpm: number;
  /** Reused buffers (one per thread); fresh ones per decision when omitted. */
  readonly scratch?: RankingScratch;
}

export interface DecisionInput {
  readonly nowMs: number;
  readonly zone: string;
  /** When the shopper entered the zone (Unix ms). */
  readonly entryAtMs: number;
  readonly shopper: ShopperOfferState;
  readonly catalog: CatalogIndex;
}

export interface ShownDecision {
  readonly kind: 'shown';
  readonly arm: Arm;
  readonly offer: CatalogOffer;
  readonly day: number;
  /** Number of eligible offers (n). */
  readonly eligible: number;
  /** µε charged: the decision's ε (personalised) or 0 (holdout). */
  readonly epsilonMicro: number;
  /** Personalised only: the public policy, the offer's rank in the shopper's ranking and its exact probability. */
  readonly policy: {
    readonly k: number;
    readonly a: number;
    readonly b: number;
    readonly total: number;
    readonly realEpsilon: number;
  } | null;
  readonly rank: number | null;
  readonly probability: { readonly num: number; readonly den: number };
  readonly dataCategories: readonly DataCategory[];
  /** Budget left after this decision's charge. */
  readonly budgetLeft: BudgetLeftMicro;
}

export interface RefusedDecision {
  readonly kind: 'refused';
  readonly reason: RefusalReason;
  readonly message: string;
  readonly day: number;
  readonly eligible: number;
  /** µε an offer would have cost (nothing was charged). */
  readonly epsilonMicro: number;
  readonly budgetLeft: BudgetLeftMicro;
}

export interface NoDecision {
  readonly kind: 'none';
  readonly reason: 'no-eligible-offers';
}

export type OfferDecision = ShownDecision | RefusedDecision | NoDecision;

export const PPM = 1_000_000;

export function decideOffer(input: DecisionInput, rng: RandomSource, config: DecisionConfig): OfferDecision {
  const { catalog, shopper, nowMs } = input;
  const zone = eligibility(catalog, input.zone, nowMs);
  const { eligible, epsilonMicro } = zone;
  const n = eligible.length;
  if (n === 0) return { kind: 'none', reason: 'no-eligible-offers' };
  const local = config.localClock(nowMs);
  const refusal = checkGuards(
    { nowMs, local, entryAtMs: input.entryAtMs, consent: shopper.consent, activity: shopper.activity, epsilonMicro },
    config,
  );
  const spent = shopper.activity.spent;
  if (refusal !== null) {
    return {
      kind: 'refused',
      ...refusal,
      day: local.day,
      eligible: n,
      epsilonMicro,
      budgetLeft: budgetLeft(config.budget, spent),
    };
  }

  if (config.holdoutPpm > 0 && uniformInt(rng, PPM) < config.holdoutPpm) {
    const j = sampleUniformBelow(rng, n);
    return {
      kind: 'shown',
      arm: 'holdout',
      offer: catalog.offers[eligible[j] as number] as CatalogOffer,
      day: local.day,
      eligible: n,
      epsilonMicro: 0,
      policy: null,
      rank: null,
      probability: { num: 1, den: n },
      dataCategories: ['presence'],
      budgetLeft: budgetLeft(config.budget, spent),
    };
  }

  const policy = config.policies.get(n, epsilonMicro);
  const scratch = config.scratch ?? new RankingScratch();
  const profile = compileProfile(shopper.signals, catalog, scratch);
  const buffers = scratch.forOffers(n);
  const scores = scoreEligible(profile, catalog, zone, buffers.scores);
  // The draw depends on the public W only; the ranking only maps the drawn slot to an offer:
  // slot ≤ k → the slot-th of the shopper's top k, else the (slot − k)-th of the others (each
  // group in catalog order; the group, not the order inside it, is what the guarantee needs).
  const slot = sampleRank(policy, rng);
  const split = topKThreshold(scores, n, policy.k, buffers);
  const inTop = slot <= policy.k;
  const chosen = memberAt(buffers.keys, n, split, inTop ? slot : slot - policy.k, inTop);
  const rank = rankOfPosition(buffers.keys, chosen, n);
  return {
    kind: 'shown',
    arm: 'personalised',
    offer: catalog.offers[eligible[chosen] as number] as CatalogOffer,
    day: local.day,
    eligible: n,
    epsilonMicro,
    policy: { k: policy.k, a: policy.a, b: policy.b, total: policy.total, realEpsilon: policy.realEpsilon },
    rank,
    probability: { num: rank <= policy.k ? policy.b : policy.a, den: policy.total },
    dataCategories: profile.dataCategories,
    budgetLeft: budgetLeft(config.budget, {
      todayMicro: spent.todayMicro + epsilonMicro,
      windowMicro: spent.windowMicro + epsilonMicro,
    }),
  };
}
