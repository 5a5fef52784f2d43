import { uniformInt, type RandomSource } from '../../../shared/ports/random.ts';
import { budgetLeftMicro, budgetRefusal, type BudgetStanding } from './budget.ts';
import { eligibility, type CatalogIndex, type CatalogOffer, type Eligibility } from './catalog.ts';
import { checkGuards, type GuardConfig, type OfferActivity, type OfferConsent, type RefusalReason } from './guards.ts';
import type { LocalClock } from './local-time.ts';
import type { PolicyCache } from './policy-cache.ts';
import {
  compileProfile,
  memberAt,
  RankingScratch,
  scoreEligible,
  topKThreshold,
  type DataCategory,
  type OfferAffinity,
  type ShopperSignals,
} from './ranking.ts';
import { sampleUniformBelow } from '../../../shared/privacy/samplers/uniform.ts';
import { sampleRank } from './threshold-sampler.ts';

/**
 * One offer decision (docs/shopper-api.md#how-an-offer-is-chosen), a pure function of (shopper
 * data, their budget standing and earlier draws, catalog, now, rng, config):
 *
 * 1. eligible offers: the zone's offers valid now (public; n = their number);
 * 2. ε of the decision: the smallest ε of the sensitivity classes among them (µε);
 * 3. what a personalised offer would cost: nothing when the shopper already has a draw for this
 *    budget period, ranking version and eligible set (sticky), else ε — a new draw, or an earlier
 *    period's draw carried over because nothing changed — or nothing again when the budget is
 *    used up but the period's earlier offer here can be kept;
 * 4. guards (guards.ts): consent, pause, stale entry, quiet hours, caps, budget → refusal;
 * 5. arm: with probability holdoutShare (one exact uniform integer) the holdout arm gets a
 *    uniform offer — it reads no personal data, reveals nothing about preferences and costs 0 ε;
 * 6. otherwise the personalised arm: a sticky or carried draw's stored slot, or ONE fresh exact
 *    uniform integer below W = k·b + (n − k)·a (threshold-sampler.ts, charged ε), is mapped to an offer by
 *    the shopper's private ranking (ranking.ts) and the public policy for (n, ε); a kept draw
 *    shows the period's earlier offer again.
 *
 * The guards run before the arm is drawn, so both arms face exactly the same conditions and the
 * measured lift of personalisation is not biased by them. The result says which slot a fresh
 * draw took (for the shell to store) but never the offer's rank, the group it came from, k or
 * its probability: the audit trail shows none of them (docs/shopper-api.md#the-guarantee).
 */

export type Arm = 'personalised' | 'holdout';
export const ARMS: readonly Arm[] = ['personalised', 'holdout'];

/**
 * How the shown offer was found: a new draw (charged); an earlier period's draw carried into this
 * period because nothing changed (charged like a new one, but the same sample); the period's
 * stored draw (free); the period's earlier offer kept when the budget is used up (free); or the
 * holdout (free).
 */
export type DrawKind = 'fresh' | 'carried' | 'sticky' | 'kept' | 'holdout';
export const DRAW_KINDS: readonly DrawKind[] = ['fresh', 'carried', 'sticky', 'kept', 'holdout'];
/** The draws a decision charges (and the shell stores as the period's draw). */
export const CHARGED_DRAWS: readonly DrawKind[] = ['fresh', 'carried'];

export interface ShopperOfferState {
  readonly consent: OfferConsent;
  readonly signals: ShopperSignals;
  readonly activity: OfferActivity;
}

/** The shopper's earlier draws for this budget period and eligible set (read by the shell). */
export interface EarlierDraws {
  /** The draw of the current ranking version: the slot it took (1..n). */
  readonly sticky: { readonly slot: number } | null;
  /**
   * No draw yet in this period, and the newest draw of an earlier period for this eligible set has
   * the current ranking version: its slot, to be used (and charged) again rather than a new one.
   */
  readonly carried?: { readonly slot: number } | null;
  /** The newest draw of an earlier ranking version in the period: the offer it showed and the data it used. */
  readonly latest: { readonly offerId: string; readonly dataCategories: readonly DataCategory[] } | null;
}

export const NO_DRAWS: EarlierDraws = { sticky: null, latest: null };

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
  /** The shopper's offer budget in the budget period of nowMs. */
  readonly standing: BudgetStanding;
  readonly draws: EarlierDraws;
  /** The item model's affinity for this shopper (hub/recommend), or null. */
  readonly affinity?: OfferAffinity | null;
}

export interface ShownDecision {
  readonly kind: 'shown';
  readonly arm: Arm;
  readonly offer: CatalogOffer;
  readonly day: number;
  /** The budget period charged (or that would have been). */
  readonly period: string;
  /** Number of eligible offers (n). */
  readonly eligible: number;
  /** µε charged: the decision's ε for a fresh or carried draw, else 0. */
  readonly epsilonMicro: number;
  readonly draw: DrawKind;
  /** A fresh or carried draw's slot (1..n), for the shell to store as the period's draw; null otherwise. Never shown. */
  readonly slot: number | null;
  readonly dataCategories: readonly DataCategory[];
  /** µε left in the period after this decision's charge. */
  readonly budgetLeftMicro: number;
}

export interface RefusedDecision {
  readonly kind: 'refused';
  readonly reason: RefusalReason;
  readonly message: string;
  readonly day: number;
  readonly period: string;
  readonly eligible: number;
  /** µε a new offer would have cost (nothing was charged). */
  readonly epsilonMicro: number;
  readonly budgetLeftMicro: number;
}

export interface NoDecision {
  readonly kind: 'none';
  readonly reason: 'no-eligible-offers';
}

export type OfferDecision = ShownDecision | RefusedDecision | NoDecision;

export const PPM = 1_000_000;

/** Position (in `zone.eligible`) of the period's earlier offer, if it may be kept: still eligible, neither redeemed nor dismissed. */
function keptPosition(input: DecisionInput, zone: Eligibility): number {
  const latest = input.draws.latest;
  if (latest === null) return -1;
  const { signals } = input.shopper;
  if (signals.dismissedOfferIds.includes(latest.offerId) || signals.redeemedOfferIds.includes(latest.offerId))
    return -1;
  const index = input.catalog.indexOf.get(latest.offerId);
  return index === undefined ? -1 : zone.eligible.indexOf(index);
}

export function decideOffer(input: DecisionInput, rng: RandomSource, config: DecisionConfig): OfferDecision {
  const { catalog, shopper, nowMs, standing } = input;
  const zone = eligibility(catalog, input.zone, nowMs);
  const { eligible, epsilonMicro } = zone;
  const n = eligible.length;
  if (n === 0) return { kind: 'none', reason: 'no-eligible-offers' };
  const local = config.localClock(nowMs);
  const sticky = input.draws.sticky;
  const carried = sticky === null ? (input.draws.carried ?? null) : null;
  const fits = budgetRefusal(standing, epsilonMicro, config.budget) === null;
  const kept = sticky === null && !fits ? keptPosition(input, zone) : -1;
  const serves: DrawKind = sticky !== null ? 'sticky' : kept >= 0 ? 'kept' : carried !== null ? 'carried' : 'fresh';
  const costMicro = serves === 'fresh' || serves === 'carried' ? epsilonMicro : 0;
  const refusal = checkGuards(
    {
      nowMs,
      local,
      entryAtMs: input.entryAtMs,
      consent: shopper.consent,
      activity: shopper.activity,
      standing,
      costMicro,
    },
    config,
  );
  const base = { day: local.day, period: standing.period, eligible: n };
  if (refusal !== null)
    return {
      kind: 'refused',
      ...refusal,
      ...base,
      epsilonMicro,
      budgetLeftMicro: budgetLeftMicro(standing, config.budget),
    };

  if (config.holdoutPpm > 0 && uniformInt(rng, PPM) < config.holdoutPpm) {
    const j = sampleUniformBelow(rng, n);
    return {
      kind: 'shown',
      arm: 'holdout',
      offer: catalog.offers[eligible[j] as number] as CatalogOffer,
      ...base,
      epsilonMicro: 0,
      draw: 'holdout',
      slot: null,
      dataCategories: ['presence'],
      budgetLeftMicro: budgetLeftMicro(standing, config.budget),
    };
  }
  if (serves === 'kept') {
    return {
      kind: 'shown',
      arm: 'personalised',
      offer: catalog.offers[eligible[kept] as number] as CatalogOffer,
      ...base,
      epsilonMicro: 0,
      draw: 'kept',
      slot: null,
      dataCategories: input.draws.latest?.dataCategories ?? ['presence'],
      budgetLeftMicro: budgetLeftMicro(standing, config.budget),
    };
  }

  const policy = config.policies.get(n, epsilonMicro);
  const scratch = config.scratch ?? new RankingScratch();
  const profile = compileProfile(shopper.signals, catalog, scratch, input.affinity ?? null);
  const buffers = scratch.forOffers(n);
  const scores = scoreEligible(profile, catalog, zone, buffers.scores);
  // The draw depends on the public W only; the ranking only maps the slot to an offer: slot ≤ k →
  // the slot-th of the shopper's top k, else the (slot − k)-th of the others (each group in
  // catalog order; the group, not the order inside it, is what the guarantee needs).
  const slot = sticky !== null ? sticky.slot : carried !== null ? carried.slot : sampleRank(policy, rng);
  if (!Number.isInteger(slot) || slot < 1 || slot > n)
    throw new RangeError(`stored slot ${slot} is outside 1..${n} for this eligible set`);
  const split = topKThreshold(scores, n, policy.k, buffers);
  const inTop = slot <= policy.k;
  const chosen = memberAt(buffers.keys, n, split, inTop ? slot : slot - policy.k, inTop);
  const charged = sticky !== null ? 0 : epsilonMicro;
  return {
    kind: 'shown',
    arm: 'personalised',
    offer: catalog.offers[eligible[chosen] as number] as CatalogOffer,
    ...base,
    epsilonMicro: charged,
    draw: sticky !== null ? 'sticky' : carried !== null ? 'carried' : 'fresh',
    slot: sticky !== null ? null : slot,
    dataCategories: profile.dataCategories,
    budgetLeftMicro: budgetLeftMicro({ ...standing, spentMicro: standing.spentMicro + charged }, config.budget),
  };
}
