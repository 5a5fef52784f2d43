import type { Database } from 'better-sqlite3';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { randomHex, type RandomSource } from '../../shared/ports/random.ts';
import { getShopperByPk } from '../shoppers/mod.ts';
import type { ZoneEnterEvent } from '../events.ts';
import { budgetLeft, fromMicroEpsilon, toMicroEpsilon, WINDOW_DAYS, type BudgetCapsMicro } from './core/budget.ts';
import { decideOffer, PPM, type DecisionConfig, type OfferDecision } from './core/decide.ts';
import { eligibleOffers, publicOffer, type CatalogOffer } from './core/catalog.ts';
import { compileProfile, rankEligible, RankingScratch, type ShopperSignals } from './core/ranking.ts';
import { makeLocalClock, type LocalClock } from './core/local-time.ts';
import { payoffCurve, PolicyCache } from './core/policy-cache.ts';
import {
  createOfferStore,
  type DecisionRecord,
  type NewDecision,
  type OfferCounts,
  type OfferStore,
} from './adapters/sqlite-offer-store.ts';
import { createSseChannels, type SseChannels, type SseEvent } from './adapters/sse-channels.ts';
import { createCatalogService, type CatalogService } from './catalog-service.ts';
import type { OffersConfig } from './config.schema.ts';
import { offerView } from './views.ts';

/**
 * The offers engine's shell: on each zone entry of an enrolled shopper (the presence service's
 * event) it reads the shopper's data, makes ONE decision with the pure core
 * (offers/core/decide.ts), records it in the audit trail — which is also the exact µε ledger of
 * the offer budget — and delivers a shown offer on the shopper's event streams. Randomness is
 * the hub's RandomSource (node:crypto in production), for the holdout draw and the sampler.
 */

export interface OfferServiceDeps {
  readonly db: Database;
  readonly config: OffersConfig;
  /** The store's IANA time zone (privacy.timeZone): local days and quiet hours. */
  readonly timeZone: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly resolvePath: (path: string) => string;
}

export interface OfferBudget {
  readonly day: number;
  readonly caps: BudgetCapsMicro;
  readonly spent: { readonly todayMicro: number; readonly windowMicro: number };
  readonly left: { readonly todayMicro: number; readonly windowMicro: number };
}

export interface OfferStats {
  /** Exact, hub-local counts over decisions made in the range (never sent upstream). */
  readonly counts: OfferCounts;
  /** Shoppers with an offer decision today by ε spent, in buckets up to 0, 25, 50, 75 and 100 % of the daily cap. */
  readonly budgetToday: {
    readonly day: number;
    readonly shoppers: number;
    readonly buckets: readonly { readonly upTo: number; readonly shoppers: number }[];
  };
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
  start(): void;
  stop(): void;
  /** 'crypto' in production (the hub's CryptoRandomSource draws the holdout and the sampler). */
  readonly randomKind: string;
  /** One decision for a zone entry; the stored record, or null when nothing was decided (no eligible offer, unknown shopper). */
  onZoneEnter(event: ZoneEnterEvent): DecisionRecord | null;
  budget(shopperPk: number, nowMs: number): OfferBudget;
  /** The shopper's private ranking of the offers eligible in `zone` now, best first (offer ids; for audits and tests). */
  ranking(shopperPk: number, zone: string, nowMs: number): string[];
  stats(range: { fromMs: number; toMs: number }, nowMs: number): OfferStats;
  /** Refreshes the popularity prior from released DP footfall (if any has been released). */
  refreshPrior(nowMs: number): boolean;
  /** Ends the shopper's streams (after erasure). */
  forget(shopperPk: number): void;
  /** Deletes audit entries older than auditRetentionDays; returns rows deleted. */
  runRetention(nowMs: number): number;
}

const DAY_MS = 86_400_000;

function micro(value: number, what: string): number {
  const m = toMicroEpsilon(value);
  if (m === null) throw new RangeError(`${what} is ${value}, expected at most 6 decimals`);
  return m;
}

export function createOfferService(deps: OfferServiceDeps): OfferService {
  const { db, config, clock, random, logger } = deps;
  const store = createOfferStore(db);
  const epsilonMicroByClass: Record<string, number> = {};
  for (const [name, epsilon] of Object.entries(config.epsilon))
    epsilonMicroByClass[name] = micro(epsilon, `offers.epsilon.${name}`);
  const localClock = makeLocalClock(deps.timeZone);
  const caps: BudgetCapsMicro = {
    dailyMicro: micro(config.budget.dailyEpsilon, 'offers.budget.dailyEpsilon'),
    thirtyDayMicro: micro(config.budget.thirtyDayEpsilon, 'offers.budget.thirtyDayEpsilon'),
  };
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
    WHERE r.kind = 'footfall' AND v.metric = 'shoppers' AND r.period_start_ms >= ? GROUP BY v.cell`);
  let priorTimer: NodeJS.Timeout | null = null;

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
      budgetLeft: decision.budgetLeft,
    };
    const entry: NewDecision =
      decision.kind === 'shown'
        ? {
            ...base,
            outcome: 'shown',
            arm: decision.arm,
            offerId: decision.offer.id,
            offer: publicOffer(decision.offer),
            rank: decision.rank,
            policy: decision.policy,
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
            rank: null,
            policy: null,
            epsilonMicro: 0,
            dataCategories: ['presence'],
            reason: decision.reason,
            message: decision.message,
            state: null,
          };
    const pk = store.addDecision(entry);
    return { ...entry, pk, stateMs: null };
  }

  const service: OfferService = {
    enabled: config.enabled,
    store,
    catalog,
    streams,
    localClock,
    epsilonMicroByClass,
    randomKind: String((random as { kind?: unknown }).kind ?? 'unknown'),

    start() {
      const nowMs = clock.now();
      catalog.load(nowMs);
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
      const index = catalog.index();
      if (!index.byZone.has(event.zone)) return null;
      const shopper = getShopperByPk(db, event.shopperPk);
      if (shopper === null) return null;
      const profile = store.profile(shopper.pk);
      const local = localClock(nowMs);
      const activity = store.activity(shopper.pk, local.day, event.visitStartedAt);
      const decision = decideOffer(
        {
          nowMs,
          zone: event.zone,
          entryAtMs: event.at * 1000,
          catalog: index,
          shopper: {
            consent: {
              presenceForOffers: shopper.consent.presenceForOffers,
              pausedUntilMs: shopper.consent.pausedUntilMs,
              quietHours: profile.quietHours,
            },
            signals: signalsOf(shopper.pk, profile.preferences),
            activity: {
              shownToday: activity.shownToday,
              shownThisVisit: activity.shownThisVisit,
              lastShownMs: activity.lastShownMs,
              spent: { todayMicro: activity.spentTodayMicro, windowMicro: activity.spentWindowMicro },
            },
          },
        },
        random,
        decisionConfig,
      );
      if (decision.kind === 'none') return null;
      const stored = record(event, nowMs, decision);
      if (stored.outcome === 'shown') {
        const delivered = streams.publish(shopper.pk, offerEvent(stored));
        logger.debug({ decision: stored.id, arm: stored.arm, zone: stored.zone, streams: delivered }, 'offer shown');
      } else {
        logger.debug({ decision: stored.id, reason: stored.reason, zone: stored.zone }, 'offer refused');
      }
      return stored;
    },

    budget(shopperPk, nowMs) {
      const { day } = localClock(nowMs);
      const activity = store.activity(shopperPk, day, -1);
      const spent = { todayMicro: activity.spentTodayMicro, windowMicro: activity.spentWindowMicro };
      return { day, caps, spent, left: budgetLeft(caps, spent) };
    },

    ranking(shopperPk, zone, nowMs) {
      const index = catalog.index();
      const profile = compileProfile(signalsOf(shopperPk, store.profile(shopperPk).preferences), index);
      return rankEligible(profile, index, eligibleOffers(index, zone, nowMs)).map((i) => index.offers[i]?.id as string);
    },

    stats(range, nowMs) {
      const { day } = localClock(nowMs);
      const spent = store.spentOn(day);
      // Buckets by share of the daily cap: nothing spent, ≤ 25 %, ≤ 50 %, ≤ 75 %, ≤ 100 %.
      const shares = [0, 0.25, 0.5, 0.75, 1];
      const buckets = shares.map((f) => ({ upTo: fromMicroEpsilon(Math.floor(caps.dailyMicro * f)), shoppers: 0 }));
      for (const { spentMicro } of spent) {
        const i = shares.findIndex((f) => spentMicro <= caps.dailyMicro * f);
        const bucket = buckets[i === -1 ? buckets.length - 1 : i];
        if (bucket !== undefined) bucket.shoppers++;
      }
      return {
        counts: store.counts(range.fromMs, range.toMs),
        budgetToday: { day, shoppers: spent.length, buckets },
        catalog: { offers: catalog.offers().length, rejected: catalog.rejected().length },
        streams: streams.count(),
      };
    },

    refreshPrior(nowMs) {
      let rows: Array<{ zone: string; total: number }>;
      try {
        rows = footfall.all(nowMs - config.popularityPriorDays * DAY_MS) as Array<{ zone: string; total: number }>;
      } catch (error) {
        logger.warn({ err: error }, 'footfall releases unreadable; no popularity prior');
        rows = [];
      }
      // Noisy totals are post-processed: clamped at 0 and scaled by the busiest zone.
      const byZone = new Map(rows.map((r) => [r.zone, Math.max(0, r.total)]));
      const max = Math.max(0, ...byZone.values());
      if (max === 0) {
        catalog.setPrior(null);
        return false;
      }
      catalog.setPrior(
        (offer: CatalogOffer) =>
          offer.zones.reduce((sum, z) => sum + (byZone.get(z) ?? 0), 0) / offer.zones.length / max,
      );
      return true;
    },

    forget(shopperPk) {
      streams.close(shopperPk);
    },

    runRetention(nowMs) {
      const keepDays = Math.max(config.auditRetentionDays, WINDOW_DAYS + 1);
      return store.deleteDecisionsBefore(nowMs - keepDays * DAY_MS);
    },
  };
  return service;
}

/** The SSE event of a shown offer (id: the decision's row number, for Last-Event-ID). */
export function offerEvent(decision: DecisionRecord): SseEvent {
  return { id: decision.pk, event: 'offer', data: offerView(decision) };
}
