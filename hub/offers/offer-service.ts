import type { Database } from 'better-sqlite3';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { RandomSource } from '../../shared/ports/random.ts';
import type { PeriodCaps } from '../../shared/privacy/accounting.ts';
import type { BudgetPeriodUnit } from '../../shared/time/local-calendar.ts';
import { getShopperByPk } from '../shoppers/mod.ts';
import type { BudgetLedger } from '../privacy/mod.ts';
import type { ZoneEnterEvent } from '../events.ts';
import { toMicroEpsilon, type OfferBudget } from './core/budget.ts';
import { PPM, type DecisionConfig } from './core/decide.ts';
import { eligibleOffers, type CatalogOffer } from './core/catalog.ts';
import { compileProfile, rankEligible, RankingScratch, type OfferAffinitySource } from './core/ranking.ts';
import { makeLocalClock, type LocalClock } from './core/local-time.ts';
import { payoffCurve, PolicyCache } from './core/policy-cache.ts';
import { createOfferStore, type DecisionRecord, type OfferStore } from './adapters/sqlite-offer-store.ts';
import { createSseChannels, type SseChannels, type SseEvent } from './adapters/sse-channels.ts';
import { createCatalogService, type CatalogService } from './catalog-service.ts';
import type { OffersConfig } from './config.schema.ts';
import { createDecisionRecorder, signalsOf, type OfferStep } from './decision-recorder.ts';
import { createOfferBudgetLedger } from './offer-budget.ts';
import { releasedResponses, type ReleasedResponse } from './released-responses.ts';
import { offerView } from './views.ts';

export type { OfferBudget } from './core/budget.ts';
export type { OfferStep } from './decision-recorder.ts';

/**
 * The offers engine's shell (docs/shopper-api.md#how-an-offer-is-chosen): it wires the store,
 * the catalog, the offer budget in the one ledger (offer-budget.ts) and the decision transaction
 * (decision-recorder.ts: read, decide with the pure core, record, charge, store the draw — all or
 * nothing), runs one decision per zone entry of an enrolled shopper and delivers a shown offer on
 * the shopper's event streams. Randomness is the hub's RandomSource (node:crypto in production),
 * for the holdout draw and the sampler.
 */

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
  /** The item model's affinity per shopper (hub/recommend), when the hub uses a model. */
  readonly affinity?: OfferAffinitySource;
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

// Longer than a screen: one closure over the service's state whose methods are each short; the pure logic is in core/.
export function createOfferService(deps: OfferServiceDeps): OfferService {
  const { db, config, clock, random, logger } = deps;
  const store = createOfferStore(db);
  const epsilonMicroByClass: Record<string, number> = {};
  for (const [name, epsilon] of Object.entries(config.epsilon))
    epsilonMicroByClass[name] = micro(epsilon, `offers.epsilon.${name}`);
  const localClock = makeLocalClock(deps.timeZone);
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
  const budget = createOfferBudgetLedger({
    db,
    ledger: deps.ledger,
    caps,
    budgetPeriod: deps.budgetPeriod,
    timeZone: deps.timeZone,
    localClock,
  });
  const decide = createDecisionRecorder({
    db,
    store,
    catalog,
    budget,
    decisionConfig,
    random,
    checkpoint: deps.checkpoint ?? (() => undefined),
    ...(deps.affinity !== undefined ? { affinity: deps.affinity } : {}),
  });
  const footfall =
    db.prepare(`SELECT v.cell AS zone, SUM(v.value) AS total FROM privacy_release_values v JOIN privacy_releases r ON r.id = v.release_id
    WHERE r.kind = 'footfall' AND v.metric = 'shoppers' AND r.period_start_ms >= ? AND r.period_end_ms <= ? GROUP BY v.cell`);
  let priorTimer: NodeJS.Timeout | null = null;

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
      const carried = budget.carryOverV1(nowMs);
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
      const stored = decide(event, nowMs);
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

    budget: (shopperPk, nowMs) => budget.view(getShopperByPk(db, shopperPk), shopperPk, nowMs),

    ranking(shopperPk, zone, nowMs) {
      const index = catalog.index();
      const signals = signalsOf(store, shopperPk, store.profile(shopperPk).preferences);
      const profile = compileProfile(signals, index, undefined, deps.affinity?.(shopperPk, signals, index) ?? null);
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
      const period = budget.periodAt(nowMs);
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
      return { decisions, ...budget.prune(nowMs, (firstKept) => store.deleteDrawsBefore(firstKept)) };
    },
  };
  return service;
}

/** The SSE event of a shown offer (id: the decision's row number, for Last-Event-ID). */
export function offerEvent(decision: DecisionRecord): SseEvent {
  return { id: decision.pk, event: 'offer', data: offerView(decision) };
}
