import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { randomHex, type RandomSource } from '../../shared/ports/random.ts';
import { participates, type PeriodCaps } from '../../shared/privacy/accounting.ts';
import {
  budgetPeriodOfDay,
  periodsPerYear,
  type BudgetPeriod,
  type BudgetPeriodUnit,
} from '../../shared/time/local-calendar.ts';
import { getShopperByPk, type EnrolledShopper } from '../shoppers/mod.ts';
import type { BudgetLedger } from '../privacy/mod.ts';
import type { ZoneEnterEvent } from '../events.ts';
import { budgetLeftMicro, toMicroEpsilon, type BudgetStanding, type OfferBudget } from './core/budget.ts';

export type { OfferBudget } from './core/budget.ts';
import {
  CHARGED_DRAWS,
  decideOffer,
  PPM,
  type DecisionConfig,
  type EarlierDraws,
  type OfferDecision,
  type ShownDecision,
} from './core/decide.ts';
import { eligibility, eligibleOffers, publicOffer, type CatalogOffer } from './core/catalog.ts';
import { compileProfile, rankEligible, RankingScratch, type ShopperSignals } from './core/ranking.ts';
import { makeLocalClock, type LocalClock } from './core/local-time.ts';
import { payoffCurve, PolicyCache } from './core/policy-cache.ts';
import {
  createOfferStore,
  type DecisionRecord,
  type NewDecision,
  type OfferStore,
} from './adapters/sqlite-offer-store.ts';
import { createSseChannels, type SseChannels, type SseEvent } from './adapters/sse-channels.ts';
import { createCatalogService, type CatalogService } from './catalog-service.ts';
import type { OffersConfig } from './config.schema.ts';
import { eligibleSetDigest, rankingVersion } from './ranking-version.ts';
import { releasedResponses, type ReleasedResponse } from './released-responses.ts';
import { offerView } from './views.ts';

/**
 * The offers engine's shell (docs/shopper-api.md#how-an-offer-is-chosen): on each zone entry of
 * an enrolled shopper (the presence service's event) it reads the shopper's data, their offer
 * budget in the one ledger (budget "offers", the period of the decision's time) and their sticky
 * draws, makes ONE decision with the pure core (offers/core/decide.ts) and, in ONE SQLite
 * transaction, records it in the audit trail, charges a fresh draw's ε to the ledger (which
 * re-checks the cap in SQL) and stores the draw. A shown offer is then delivered on the shopper's
 * event streams. Randomness is the hub's RandomSource (node:crypto in production), for the
 * holdout draw and the sampler.
 */

/** The steps of a decision's transaction (a test may crash the decision after any of them). */
export type OfferStep = 'offer-decided' | 'offer-recorded' | 'offer-charged';

export interface OfferServiceDeps {
  readonly db: Database;
  readonly config: OffersConfig;
  /** The store's IANA time zone (privacy.timeZone): local days, quiet hours and budget periods. */
  readonly timeZone: string;
  /** The budget period (privacy.budget.period): the offer budget is per shopper and period. */
  readonly budgetPeriod: BudgetPeriodUnit;
  /** The hub's one budget ledger (hub/privacy): the offer budget is its budget "offers". */
  readonly ledger: BudgetLedger;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly resolvePath: (path: string) => string;
  /** Called inside a decision's transaction after each step; a throw rolls the whole decision back (tests). */
  readonly checkpoint?: (step: OfferStep, shopperPk: number) => void;
}

export interface OfferStats {
  /** The released (DP) weekly offer response per arm, with 95% intervals: the only shopper figures. */
  readonly responses: readonly ReleasedResponse[];
  /** System figures. */
  readonly catalog: { readonly offers: number; readonly rejected: number };
  readonly streams: number;
}

export interface OfferService {
  readonly enabled: boolean;
  readonly store: OfferStore;
  readonly catalog: CatalogService;
  readonly streams: SseChannels;
  readonly localClock: LocalClock;
  readonly epsilonMicroByClass: Readonly<Record<string, number>>;
  readonly caps: PeriodCaps;
  readonly budgetPeriod: BudgetPeriodUnit;
  start(): void;
  stop(): void;
  /** 'crypto' in production (the hub's CryptoRandomSource draws the holdout and the sampler). */
  readonly randomKind: string;
  /** One decision for a zone entry; the stored record, or null when nothing was decided (no eligible offer, unknown shopper). */
  onZoneEnter(event: ZoneEnterEvent): DecisionRecord | null;
  budget(shopperPk: number, nowMs: number): OfferBudget;
  /** The shopper's private ranking of the offers eligible in `zone` now, best first (offer ids; for audits and tests). */
  ranking(shopperPk: number, zone: string, nowMs: number): string[];
  /** Released offer-response figures whose week overlaps the range, and system figures; never an exact shopper count. */
  stats(range: { fromMs: number; toMs: number }): OfferStats;
  /** Fixes the period's popularity prior from released DP footfall before the period (if any was released). */
  refreshPrior(nowMs: number): boolean;
  /** Ends the shopper's streams (after erasure). */
  forget(shopperPk: number): void;
  /** Deletes audit entries older than auditRetentionDays and the ledger periods (with their draws) older than a year. */
  runRetention(nowMs: number): { decisions: number; ledger: number; draws: number };
}

const DAY_MS = 86_400_000;
const FIRST_OPEN_KEY = 'offers.ledger.firstOpenIndex';
const CARRY_OVER_KEY = 'offers.v2.carryOver';

function micro(value: number, what: string): number {
  const m = toMicroEpsilon(value);
  if (m === null) throw new RangeError(`${what} is ${value}, expected at most 6 decimals`);
  return m;
}

/** The offer budget's caps from the config (µε; the config check allows at most 6 decimals). */
export function offerCaps(config: OffersConfig): PeriodCaps {
  return {
    periodMicro: micro(config.budget.periodEpsilon, 'offers.budget.periodEpsilon'),
    lifetimeMicro:
      config.budget.lifetimeEpsilon === undefined
        ? null
        : micro(config.budget.lifetimeEpsilon, 'offers.budget.lifetimeEpsilon'),
  };
}

export function createOfferService(deps: OfferServiceDeps): OfferService {
  const { db, config, clock, random, logger, ledger, timeZone } = deps;
  const store = createOfferStore(db);
  const epsilonMicroByClass: Record<string, number> = {};
  for (const [name, epsilon] of Object.entries(config.epsilon))
    epsilonMicroByClass[name] = micro(epsilon, `offers.epsilon.${name}`);
  const localClock = makeLocalClock(timeZone);
  const caps = offerCaps(config);
  const decisionConfig: DecisionConfig = {
    budget: caps,
    caps: { perVisit: config.caps.perVisit, perDay: config.caps.perDay, minGapMs: config.caps.minGapSeconds * 1000 },
    quietHours: config.quietHours,
    maxEntryAgeMs: config.maxEntryAgeSeconds * 1000,
    localClock,
    policies: new PolicyCache(payoffCurve(config.payoffCurve)),
    scratch: new RankingScratch(),
    holdoutPpm: Math.round(config.holdoutShare * PPM),
  };
  const catalog = createCatalogService({
    store,
    file: config.catalogFile === undefined ? null : deps.resolvePath(config.catalogFile),
    classes: Object.keys(epsilonMicroByClass),
    epsilonMicroByClass,
    logger,
  });
  const streams = createSseChannels({ keepAliveMs: config.streamKeepAliveSeconds * 1000 });
  const footfall =
    db.prepare(`SELECT v.cell AS zone, SUM(v.value) AS total FROM privacy_release_values v JOIN privacy_releases r ON r.id = v.release_id
    WHERE r.kind = 'footfall' AND v.metric = 'shoppers' AND r.period_start_ms >= ? AND r.period_end_ms <= ? GROUP BY v.cell`);
  const metaGet = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
  const metaSet = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  const checkpoint = deps.checkpoint ?? (() => undefined);
  let priorTimer: NodeJS.Timeout | null = null;
  /** Periods before this index have been pruned from the ledger: nothing may be charged there again. */
  let firstOpenIndex = Number(metaGet.get(FIRST_OPEN_KEY) ?? Number.NEGATIVE_INFINITY);
  const enrolmentPeriods = new Map<number, number>();

  // The budget period of an instant, through the fast local clock (a period is a run of whole local days).
  const periodsByDay = new Map<number, BudgetPeriod>();
  const periodAt = (ms: number): BudgetPeriod => {
    const day = localClock(ms).day;
    let period = periodsByDay.get(day);
    if (period === undefined) {
      period = budgetPeriodOfDay(day, deps.budgetPeriod, timeZone);
      if (periodsByDay.size > 4096) periodsByDay.clear();
      periodsByDay.set(day, period);
    }
    return period;
  };

  /** The shopper's own data the ranking may use (exclusions are applied by the ranking). */
  function signalsOf(pk: number, preferences: ShopperSignals['preferences']): ShopperSignals {
    const feedback = store.feedback(pk);
    return {
      preferences,
      purchases: store.purchases(pk),
      exclusions: store.exclusions(pk),
      dismissedOfferIds: feedback.dismissed,
      redeemedOfferIds: feedback.redeemed,
    };
  }

  function standingOf(shopper: EnrolledShopper, period: BudgetPeriod): BudgetStanding {
    const state = ledger.state(shopper.pk, 'offers', period.label);
    let enrolled = enrolmentPeriods.get(shopper.createdMs);
    if (enrolled === undefined) {
      enrolled = periodAt(shopper.createdMs).index;
      enrolmentPeriods.set(shopper.createdMs, enrolled);
    }
    return {
      period: period.label,
      spentMicro: state.spentMicro,
      excluded: state.excluded,
      participates: caps.lifetimeMicro === null || participates(enrolled, period.index, caps),
      open: period.index >= firstOpenIndex,
    };
  }

  function record(
    event: ZoneEnterEvent,
    nowMs: number,
    decision: Exclude<OfferDecision, { kind: 'none' }>,
  ): DecisionRecord {
    const base = {
      id: `dec-${randomHex(random, 8)}`,
      shopperPk: event.shopperPk,
      atMs: nowMs,
      day: decision.day,
      zone: event.zone,
      entryMs: event.at * 1000,
      visitStartedAt: event.visitStartedAt,
      eligible: decision.eligible,
      period: decision.period,
      budgetLeftMicro: decision.budgetLeftMicro,
    };
    const entry: NewDecision =
      decision.kind === 'shown'
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
    const pk = store.addDecision(entry);
    return { ...entry, pk, stateMs: null };
  }

  /** Charges a fresh or carried draw to the ledger (re-checked against the cap in SQL) and stores it as the period's draw. */
  function charge(
    shopper: EnrolledShopper,
    period: BudgetPeriod,
    decision: ShownDecision,
    stored: DecisionRecord,
    keys: { rankingVersion: string; eligibleSet: string },
  ): void {
    ledger.charge('offers', period, 'offer', [{ unit: shopper.pk, micro: decision.epsilonMicro }], caps);
    store.addDraw(shopper.pk, {
      period: period.label,
      periodIndex: period.index,
      ...keys,
      slot: decision.slot as number,
      offerId: decision.offer.id,
      decisionId: stored.id,
      epsilonMicro: decision.epsilonMicro,
      dataCategories: decision.dataCategories,
      atMs: stored.atMs,
    });
  }

  /** The decision and everything it writes, in one transaction: all of it commits, or none. */
  function decideAndRecord(event: ZoneEnterEvent, nowMs: number): DecisionRecord | null {
    const index = catalog.index();
    const shopper = getShopperByPk(db, event.shopperPk);
    if (shopper === null) return null;
    const zone = eligibility(index, event.zone, nowMs);
    if (zone.eligible.length === 0) return null;
    const period = periodAt(nowMs);
    const profile = store.profile(shopper.pk);
    const signals = signalsOf(shopper.pk, profile.preferences);
    const activity = store.activity(shopper.pk, localClock(nowMs).day, event.visitStartedAt);
    const policy = decisionConfig.policies.get(zone.eligible.length, zone.epsilonMicro);
    const keys = {
      rankingVersion: rankingVersion(signals, index, zone),
      eligibleSet: eligibleSetDigest(index, zone, policy),
    };
    const draws = store.drawsFor(shopper.pk, period.label, keys.eligibleSet);
    const same = draws.find((d) => d.rankingVersion === keys.rankingVersion);
    const latest = draws[0];
    // The period's first draw here: the last period's draw again if nothing changed since.
    const before = latest === undefined ? store.drawBefore(shopper.pk, keys.eligibleSet, period.index) : null;
    const earlier: EarlierDraws = {
      sticky: same === undefined ? null : { slot: same.slot },
      carried: before !== null && before.rankingVersion === keys.rankingVersion ? { slot: before.slot } : null,
      latest:
        same !== undefined || latest === undefined
          ? null
          : { offerId: latest.offerId, dataCategories: latest.dataCategories },
    };
    const decision = decideOffer(
      {
        nowMs,
        zone: event.zone,
        entryAtMs: event.at * 1000,
        catalog: index,
        standing: standingOf(shopper, period),
        draws: earlier,
        shopper: {
          consent: {
            presenceForOffers: shopper.consent.presenceForOffers,
            pausedUntilMs: shopper.consent.pausedUntilMs,
            quietHours: profile.quietHours,
          },
          signals,
          activity,
        },
      },
      random,
      decisionConfig,
    );
    checkpoint('offer-decided', shopper.pk);
    if (decision.kind === 'none') return null;
    if (decision.kind === 'shown' && decision.draw === 'sticky' && decision.offer.id !== same?.offerId) {
      // Equal keys mean an equal ranking; anything else is a ranking input the version misses.
      throw new AppError(
        'INTERNAL',
        `sticky draw of ${same?.decisionId} mapped to "${decision.offer.id}", expected "${same?.offerId}": the ranking version misses an input`,
      );
    }
    const stored = record(event, nowMs, decision);
    checkpoint('offer-recorded', shopper.pk);
    if (decision.kind === 'shown' && CHARGED_DRAWS.includes(decision.draw)) {
      charge(shopper, period, decision, stored, keys);
      checkpoint('offer-charged', shopper.pk);
    }
    return stored;
  }

  const decideTransaction = db.transaction(decideAndRecord);

  /**
   * The upgrade from v1 (per day and 30 days): once, before the first v2 charge, each shopper's
   * v1 spending on days of the current period is carried into the ledger, so the period's cap
   * counts it; a shopper already at the cap is left out of the rest of the period.
   */
  function carryOverV1(nowMs: number): number {
    if (metaGet.get(CARRY_OVER_KEY) !== undefined) return 0;
    const period = periodAt(nowMs);
    return db.transaction(() => {
      let carried = 0;
      if (ledger.isEmpty('offers')) {
        const rows = db
          .prepare(
            `SELECT shopper_pk AS unit, SUM(epsilon_micro) AS micro FROM offer_decisions
             WHERE outcome = 'shown' AND draw IS NULL AND day >= ? AND day < ? GROUP BY shopper_pk`,
          )
          .all(period.firstDay, period.endDay) as Array<{ unit: number; micro: number }>;
        for (const row of rows) {
          if (row.micro <= 0) continue;
          ledger.carryOver('offers', period, row.unit, row.micro, caps);
          carried++;
        }
      }
      metaSet.run(CARRY_OVER_KEY, period.label);
      return carried;
    })();
  }

  const service: OfferService = {
    enabled: config.enabled,
    store,
    catalog,
    streams,
    localClock,
    epsilonMicroByClass,
    caps,
    budgetPeriod: deps.budgetPeriod,
    randomKind: String((random as { kind?: unknown }).kind ?? 'unknown'),

    start() {
      const nowMs = clock.now();
      catalog.load(nowMs);
      const carried = carryOverV1(nowMs);
      if (carried > 0) logger.info({ shoppers: carried }, 'v1 offer spending carried into the budget ledger');
      service.refreshPrior(nowMs);
      streams.start();
      priorTimer = setInterval(() => {
        try {
          const now = clock.now();
          service.refreshPrior(now);
          service.runRetention(now);
        } catch (error) {
          logger.error({ err: error }, 'offers periodic work failed');
        }
      }, 3_600_000);
      priorTimer.unref();
      logger.info(
        { offers: catalog.offers().length, rejected: catalog.rejected().length, enabled: config.enabled },
        'offers started',
      );
    },

    stop() {
      if (priorTimer !== null) clearInterval(priorTimer);
      priorTimer = null;
      streams.stop();
    },

    onZoneEnter(event) {
      if (!config.enabled) return null;
      const nowMs = clock.now();
      if (!catalog.index().byZone.has(event.zone)) return null;
      const stored = decideTransaction.immediate(event, nowMs);
      if (stored === null) return null;
      if (stored.outcome === 'shown') {
        const delivered = streams.listening(stored.shopperPk)
          ? streams.publish(stored.shopperPk, offerEvent(stored))
          : 0;
        logger.debug({ decision: stored.id, arm: stored.arm, zone: stored.zone, streams: delivered }, 'offer shown');
      } else {
        logger.debug({ decision: stored.id, reason: stored.reason, zone: stored.zone }, 'offer refused');
      }
      return stored;
    },

    budget(shopperPk, nowMs) {
      const period = periodAt(nowMs);
      const shopper = getShopperByPk(db, shopperPk);
      const standing: BudgetStanding =
        shopper === null
          ? { period: period.label, spentMicro: 0, excluded: false, participates: true, open: true }
          : standingOf(shopper, period);
      const history = ledger
        .spending(shopperPk, 'offers')
        .filter((p) => p.period !== period.label)
        .map((p) => ({
          period: p.period,
          spentMicro: p.spentMicro,
          draws: p.items.reduce((n, i) => n + i.charges, 0),
        }));
      return {
        period: period.label,
        periodUnit: deps.budgetPeriod,
        capMicro: caps.periodMicro,
        lifetimeMicro: caps.lifetimeMicro,
        spentMicro: standing.spentMicro,
        leftMicro: budgetLeftMicro(standing, caps),
        excluded: standing.excluded || !standing.participates || !standing.open,
        participates: standing.participates,
        open: standing.open,
        history,
      };
    },

    ranking(shopperPk, zone, nowMs) {
      const index = catalog.index();
      const profile = compileProfile(signalsOf(shopperPk, store.profile(shopperPk).preferences), index);
      return rankEligible(profile, index, eligibleOffers(index, zone, nowMs)).map((i) => index.offers[i]?.id as string);
    },

    stats(range) {
      return {
        responses: releasedResponses(db, range),
        catalog: { offers: catalog.offers().length, rejected: catalog.rejected().length },
        streams: streams.count(),
      };
    },

    refreshPrior(nowMs) {
      // Fixed for the budget period (the released days before it), so that the ranking — and
      // with it a sticky draw — does not change every day a footfall release arrives.
      const period = periodAt(nowMs);
      let rows: Array<{ zone: string; total: number }>;
      try {
        rows = footfall.all(period.startMs - config.popularityPriorDays * DAY_MS, period.startMs) as Array<{
          zone: string;
          total: number;
        }>;
      } catch (error) {
        logger.warn({ err: error }, 'footfall releases unreadable; no popularity prior');
        rows = [];
      }
      // Noisy totals are post-processed: clamped at 0, scaled by the busiest zone and rounded to
      // quarters (a weak tie-breaker; coarse, so that it rarely changes the ranking — and with it
      // the shopper's draw — from one period to the next).
      const byZone = new Map(rows.map((r) => [r.zone, Math.max(0, r.total)]));
      const max = Math.max(0, ...byZone.values());
      if (max === 0) {
        catalog.setPrior(null);
        return false;
      }
      catalog.setPrior(
        (offer: CatalogOffer) =>
          Math.round((4 * offer.zones.reduce((sum, z) => sum + (byZone.get(z) ?? 0), 0)) / offer.zones.length / max) /
          4,
      );
      return true;
    },

    forget(shopperPk) {
      streams.close(shopperPk);
    },

    runRetention(nowMs) {
      const decisions = store.deleteDecisionsBefore(nowMs - config.auditRetentionDays * DAY_MS);
      // The ledger is personal data: a year of periods is kept (at least two). Once pruned, a
      // period stays closed even if the clock goes back into it, since its spending is gone.
      const keep = Math.max(2, periodsPerYear(deps.budgetPeriod));
      const firstKept = periodAt(nowMs).index - keep + 1;
      if (firstKept <= firstOpenIndex) return { decisions, ledger: 0, draws: 0 };
      return db.transaction(() => {
        firstOpenIndex = firstKept;
        metaSet.run(FIRST_OPEN_KEY, String(firstKept));
        return { decisions, ledger: ledger.prune('offers', firstKept), draws: store.deleteDrawsBefore(firstKept) };
      })();
    },
  };
  return service;
}

/** The SSE event of a shown offer (id: the decision's row number, for Last-Event-ID). */
export function offerEvent(decision: DecisionRecord): SseEvent {
  return { id: decision.pk, event: 'offer', data: offerView(decision) };
}
