import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import { randomHex, type RandomSource } from '../../shared/ports/random.ts';
import { getShopperByPk } from '../shoppers/mod.ts';
import type { ZoneEnterEvent } from '../events.ts';
import {
  CHARGED_DRAWS,
  decideOffer,
  type DecisionConfig,
  type EarlierDraws,
  type OfferDecision,
} from './core/decide.ts';
import { eligibility, publicOffer } from './core/catalog.ts';
import type { OfferAffinitySource, ShopperSignals } from './core/ranking.ts';
import type { DecisionRecord, NewDecision, OfferStore, StoredDraw } from './adapters/sqlite-offer-store.ts';
import type { CatalogService } from './catalog-service.ts';
import type { OfferBudgetLedger } from './offer-budget.ts';
import { eligibleSetDigest, rankingVersion } from './ranking-version.ts';

/**
 * One offer decision and everything it writes, in ONE SQLite transaction (BEGIN IMMEDIATE;
 * docs/shopper-api.md#how-an-offer-is-chosen): read the shopper's data, their standing in the
 * offer budget of the decision's period and their draws for this eligible set; decide (the pure
 * core); record the decision in the audit trail; charge a fresh or carried draw to the ledger
 * (which re-checks the cap in SQL) and store it as the period's draw. A crash or a throw anywhere
 * before COMMIT leaves nothing of the decision; nothing is shown before the commit.
 */

/** The steps of a decision's transaction (a test may crash the decision after any of them). */
export type OfferStep = 'offer-decided' | 'offer-recorded' | 'offer-charged';

export interface DecisionRecorderDeps {
  readonly db: Database;
  readonly store: OfferStore;
  readonly catalog: CatalogService;
  readonly budget: OfferBudgetLedger;
  readonly decisionConfig: DecisionConfig;
  readonly random: RandomSource;
  readonly checkpoint: (step: OfferStep, shopperPk: number) => void;
  /** The item model's affinity per shopper (hub/recommend), when a model is installed. */
  readonly affinity?: OfferAffinitySource;
}

/** The shopper's own data the ranking may use (exclusions are applied by the ranking). */
export function signalsOf(store: OfferStore, pk: number, preferences: ShopperSignals['preferences']): ShopperSignals {
  const feedback = store.feedback(pk);
  return {
    preferences,
    purchases: store.purchases(pk),
    exclusions: store.exclusions(pk),
    dismissedOfferIds: feedback.dismissed,
    redeemedOfferIds: feedback.redeemed,
  };
}

function entryOf(
  base: Omit<
    NewDecision,
    | 'outcome'
    | 'arm'
    | 'offerId'
    | 'offer'
    | 'draw'
    | 'epsilonMicro'
    | 'dataCategories'
    | 'reason'
    | 'message'
    | 'state'
  >,
  decision: Exclude<OfferDecision, { kind: 'none' }>,
): NewDecision {
  return decision.kind === 'shown'
    ? {
        ...base,
        outcome: 'shown',
        arm: decision.arm,
        offerId: decision.offer.id,
        offer: publicOffer(decision.offer),
        draw: decision.draw,
        epsilonMicro: decision.epsilonMicro,
        dataCategories: decision.dataCategories,
        reason: null,
        message: null,
        state: 'active',
      }
    : {
        ...base,
        outcome: 'refused',
        arm: null,
        offerId: null,
        offer: null,
        draw: null,
        epsilonMicro: 0,
        dataCategories: ['presence'],
        reason: decision.reason,
        message: decision.message,
        state: null,
      };
}

/** The draws a decision builds on: the period's draw of this ranking version, one carried from an earlier period, the latest. */
function earlierDraws(draws: readonly StoredDraw[], before: StoredDraw | null, version: string): EarlierDraws {
  const same = draws.find((d) => d.rankingVersion === version);
  const latest = draws[0];
  return {
    sticky: same === undefined ? null : { slot: same.slot },
    carried: before !== null && before.rankingVersion === version ? { slot: before.slot } : null,
    latest:
      same !== undefined || latest === undefined
        ? null
        : { offerId: latest.offerId, dataCategories: latest.dataCategories },
  };
}

export function createDecisionRecorder(
  deps: DecisionRecorderDeps,
): (event: ZoneEnterEvent, nowMs: number) => DecisionRecord | null {
  const { db, store, budget, decisionConfig, checkpoint } = deps;

  function decideAndRecord(event: ZoneEnterEvent, nowMs: number): DecisionRecord | null {
    const index = deps.catalog.index();
    const shopper = getShopperByPk(db, event.shopperPk);
    if (shopper === null) return null;
    const zone = eligibility(index, event.zone, nowMs);
    if (zone.eligible.length === 0) return null;
    const period = budget.periodAt(nowMs);
    const profile = store.profile(shopper.pk);
    const signals = signalsOf(store, shopper.pk, profile.preferences);
    const policy = decisionConfig.policies.get(zone.eligible.length, zone.epsilonMicro);
    const affinity = deps.affinity?.(shopper.pk, signals, index) ?? null;
    const keys = {
      rankingVersion: rankingVersion(signals, index, zone, affinity),
      eligibleSet: eligibleSetDigest(index, zone, policy),
    };
    const draws = store.drawsFor(shopper.pk, period.label, keys.eligibleSet);
    // The period's first draw here may carry the last period's draw over, if nothing changed since.
    const before = draws.length === 0 ? store.drawBefore(shopper.pk, keys.eligibleSet, period.index) : null;
    const decision = decideOffer(
      {
        nowMs,
        zone: event.zone,
        entryAtMs: event.at * 1000,
        catalog: index,
        standing: budget.standing(shopper, period),
        draws: earlierDraws(draws, before, keys.rankingVersion),
        affinity,
        shopper: {
          consent: {
            presenceForOffers: shopper.consent.presenceForOffers,
            pausedUntilMs: shopper.consent.pausedUntilMs,
            quietHours: profile.quietHours,
          },
          signals,
          activity: store.activity(shopper.pk, decisionConfig.localClock(nowMs).day, event.visitStartedAt),
        },
      },
      deps.random,
      decisionConfig,
    );
    checkpoint('offer-decided', shopper.pk);
    if (decision.kind === 'none') return null;
    const same = draws.find((d) => d.rankingVersion === keys.rankingVersion);
    if (decision.kind === 'shown' && decision.draw === 'sticky' && decision.offer.id !== same?.offerId) {
      // Equal keys mean an equal ranking; anything else is a ranking input the version misses.
      throw new AppError(
        'INTERNAL',
        `sticky draw of ${same?.decisionId} mapped to "${decision.offer.id}", expected "${same?.offerId}": the ranking version misses an input`,
      );
    }
    const entry = entryOf(
      {
        id: `dec-${randomHex(deps.random, 8)}`,
        shopperPk: shopper.pk,
        atMs: nowMs,
        day: decision.day,
        zone: event.zone,
        entryMs: event.at * 1000,
        visitStartedAt: event.visitStartedAt,
        eligible: decision.eligible,
        period: decision.period,
        budgetLeftMicro: decision.budgetLeftMicro,
      },
      decision,
    );
    const stored: DecisionRecord = { ...entry, pk: store.addDecision(entry), stateMs: null };
    checkpoint('offer-recorded', shopper.pk);
    if (decision.kind === 'shown' && CHARGED_DRAWS.includes(decision.draw)) {
      budget.charge(shopper.pk, period, decision.epsilonMicro);
      store.addDraw(shopper.pk, {
        period: period.label,
        periodIndex: period.index,
        ...keys,
        slot: decision.slot as number,
        offerId: decision.offer.id,
        decisionId: stored.id,
        epsilonMicro: decision.epsilonMicro,
        dataCategories: decision.dataCategories,
        atMs: nowMs,
      });
      checkpoint('offer-charged', shopper.pk);
    }
    return stored;
  }

  const transaction = db.transaction(decideAndRecord);
  return (event, nowMs) => transaction.immediate(event, nowMs);
}
