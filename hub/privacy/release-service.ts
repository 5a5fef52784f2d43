import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { RandomSource } from '../../shared/ports/random.ts';
import { toMicroFloor, type PeriodCaps } from '../../shared/privacy/accounting.ts';
import { toRational } from '../../shared/privacy/rational.ts';
import { isValidId } from '../../shared/protocol/topics.ts';
import { scheduleJob, type ScheduledJob } from '../../shared/scheduling/cron-scheduler.ts';
import { budgetPeriodAt, windowOfDay, type ReleaseWindow, type WindowUnit } from '../../shared/time/local-calendar.ts';
import { listGateways } from '../broker/mod.ts';
import { createSqliteBudgetLedger, type BudgetLedger } from './adapters/sqlite-budget-ledger.ts';
import { createSqliteReleases, type SqliteReleases } from './adapters/sqlite-releases.ts';
import { calibrateRelease } from './core/calibrate.ts';
import { releaseId } from './core/build-payload.ts';
import { dueWindows } from './core/due-windows.ts';
import { planPrivacy, type PrivacyPlan, type TrafficModel } from './core/plan.ts';
import { computeRelease, type ReleaseOutcome, type ReleaseStep } from './compute-release.ts';
import type { PrivacyConfig, UpstreamConfig } from './config.schema.ts';
import type { AnyReleaseDefinition } from './release-definition.ts';
import { computeCustomRelease } from './compute-custom-release.ts';
import { builtInReleases } from './release-kinds.ts';
import type { ItemStatisticsDeps } from './item-statistics-release.ts';
import { privacyStatus, shopperBudget, type PrivacyStatus, type ShopperBudget } from './privacy-views.ts';
import { createUpstreamSync, type UpstreamSync } from './upstream-service.ts';
import type { UpstreamSender } from './upstream-sender.ts';
import type { SyncReport, SyncStep } from './upstream-sync.ts';
import { carryOverV1Charges } from './v1-carry-over.ts';

/**
 * The hub's DP release service (docs/privacy.md): computes every due release window with the
 * budget ledger of the window's period, and sends the releases upstream. Jobs are plain functions
 * of `now` (runDue, syncUpstream), so tests call them directly; start() schedules them with
 * node-cron and starts the catch-up of every window missed while the hub was down.
 */

export type { ReleaseOutcome, ReleaseStep } from './compute-release.ts';

export interface ReleaseServiceDeps {
  readonly db: Database;
  readonly store: string;
  readonly privacy: PrivacyConfig;
  readonly upstream: UpstreamConfig;
  /** The presence model's visit gap (transitions stay within a visit). */
  readonly visitGapSeconds: number;
  /** The recommender's catalog and installed item list, when privacy.releases.itemStatistics is enabled. */
  readonly itemStatistics?: ItemStatisticsDeps;
  readonly clock: Clock;
  /** Production: CryptoRandomSource. Anything else is logged as a warning at start. */
  readonly random: RandomSource;
  readonly logger: Logger;
  /** The upstream sender; null when upstream sync is off. */
  readonly sender: UpstreamSender | null;
  /** The public zones; privacy.zones, else the gateway registry's (not revoked). */
  readonly zones?: () => readonly string[];
  /** Runs before releases are computed (the hub finalises presence windows here). */
  readonly beforeRelease?: () => Promise<unknown> | unknown;
  readonly checkpoint?: (step: ReleaseStep | SyncStep, releaseId: string) => void;
  /** Where a kind released for the first time starts (default: the window containing the first run's `now`). */
  readonly firstWindowMs?: number;
}

export interface RunReport {
  readonly computed: readonly string[];
  readonly skipped: number;
  readonly failed: readonly { readonly id: string; readonly error: string }[];
}

export interface ReleaseService {
  /** 'crypto' in production (CryptoRandomSource.kind). */
  readonly randomKind: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Every due window of every kind, oldest first (catch-up included). */
  runDue(nowMs: number): Promise<RunReport>;
  /** The sync job: sends pending releases. */
  syncUpstream(nowMs: number): Promise<SyncReport>;
  /** Computes one release now (or reports that it exists). */
  computeRelease(kind: string, window: ReleaseWindow, nowMs: number): ReleaseOutcome;
  /** Adds a release kind (offers' response per arm × week, the recommender's statistics, ...). */
  registerRelease(definition: AnyReleaseDefinition): void;
  kinds(): readonly { readonly kind: string; readonly window: WindowUnit }[];
  /** The cron jobs start() schedules (for `--check-config` and the cron test). */
  schedules(): readonly { readonly name: string; readonly expression: string; readonly timezone: string }[];
  caps(): PeriodCaps;
  /** What each kind costs and how precise it is at the given traffic (`hushpoint privacy plan`). */
  plan(traffic: TrafficModel): PrivacyPlan;
  /** A shopper's analytics budget (for the shopper API's audit trail and export). */
  shopperBudget(shopperPk: number, nowMs: number): ShopperBudget;
  /** System figures only: releases, upstream sync, the budget plan (never a shopper count). */
  status(nowMs: number): PrivacyStatus;
  readonly ledger: BudgetLedger;
  readonly releases: SqliteReleases;
}

/** The caps of the analytics budget from the config (µρ, rounded down). */
export function analyticsCaps(privacy: PrivacyConfig): PeriodCaps {
  return {
    periodMicro: toMicroFloor(String(privacy.budget.periodRho)),
    lifetimeMicro: privacy.budget.lifetimeRho === undefined ? null : toMicroFloor(String(privacy.budget.lifetimeRho)),
  };
}

/** A definition's calibration with a one-cell probe: a bad definition fails when it is registered. */
export function checkDefinition(definition: AnyReleaseDefinition, privacy: PrivacyConfig): void {
  if (!isValidId(definition.kind))
    throw new AppError('DP_INVALID_PARAMETER', `release kind "${definition.kind}" is invalid, expected [a-z0-9-]`);
  if (definition.custom === true) {
    if (toRational(definition.rho, `${definition.kind}.rho`).num <= 0n)
      throw new AppError('DP_INVALID_PARAMETER', `release kind "${definition.kind}" needs a positive ρ`);
    return;
  }
  const metrics = definition.measures.map((m) => m.metric);
  if (new Set(metrics).size !== metrics.length)
    throw new AppError('DP_INVALID_PARAMETER', `release kind "${definition.kind}" lists a metric twice`);
  calibrateRelease({
    cells: ['probe'],
    measures: definition.measures,
    maxCellsPerShopper: definition.maxCellsPerShopper,
    rho: toRational(definition.rho, `${definition.kind}.rho`),
    mechanism: privacy.mechanism,
  });
}

// Longer than a screen: one closure over the service's state whose methods are each short; the pure logic is in core/.
export function createReleaseService(deps: ReleaseServiceDeps): ReleaseService {
  const { db, privacy, logger, clock } = deps;
  const timeZone = privacy.timeZone;
  const ledger = createSqliteBudgetLedger(db);
  const releases = createSqliteReleases(db);
  const caps = analyticsCaps(privacy);
  const definitions = new Map<string, AnyReleaseDefinition>();
  for (const d of builtInReleases(privacy, {
    visitGapSeconds: deps.visitGapSeconds,
    itemStatistics: deps.itemStatistics,
  }))
    definitions.set(d.kind, d);
  const randomKind = (deps.random as { kind?: unknown }).kind;
  const computeDeps = {
    db,
    store: deps.store,
    privacy,
    ledger,
    releases,
    caps,
    random: deps.random,
    logger,
    checkpoint: deps.checkpoint ?? (() => undefined),
  };
  const upstream: UpstreamSync = createUpstreamSync({
    releases,
    sender: deps.sender,
    upstream: deps.upstream,
    logger,
    ...(deps.checkpoint !== undefined ? { checkpoint: deps.checkpoint } : {}),
  });
  const jobs: ScheduledJob[] = [];
  let running: Promise<unknown> = Promise.resolve();
  let releaseChain: Promise<unknown> = Promise.resolve();
  let started = false;

  function zones(): readonly string[] {
    if (deps.zones !== undefined) return deps.zones();
    if (privacy.zones !== undefined) return [...privacy.zones].sort();
    return [
      ...new Set(
        listGateways(db)
          .filter((g) => g.revokedMs === null)
          .map((g) => g.zone),
      ),
    ].sort();
  }

  function definitionOf(kind: string): AnyReleaseDefinition {
    const definition = definitions.get(kind);
    if (definition === undefined)
      throw new AppError(
        'DP_INVALID_PARAMETER',
        `release kind "${kind}" is not known, expected one of: ${[...definitions.keys()].join(', ')}`,
      );
    return definition;
  }

  function compute(kind: string, window: ReleaseWindow, nowMs: number, cache: Map<string, unknown>): ReleaseOutcome {
    const definition = definitionOf(kind);
    if (window.unit !== definition.window)
      throw new AppError(
        'DP_INVALID_PARAMETER',
        `release kind "${kind}" is per ${definition.window}, not per ${window.unit}`,
      );
    const context = { nowMs, zones: zones(), cache };
    return definition.custom === true
      ? computeCustomRelease(computeDeps, definition, window, context)
      : computeRelease(computeDeps, definition, window, context);
  }

  function schedulesOf(nowMs: number): { kind: string; window: WindowUnit; sinceMs: number }[] {
    return [...definitions.values()].map((d) => {
      let since = releases.sinceOf(d.kind);
      if (since === null) {
        since = deps.firstWindowMs ?? nowMs;
        releases.setSince(d.kind, since);
      }
      return { kind: d.kind, window: d.window, sinceMs: since };
    });
  }

  async function runDue(nowMs: number): Promise<RunReport> {
    if (!privacy.enabled) return { computed: [], skipped: 0, failed: [] };
    const work = async (): Promise<RunReport> => {
      carryOverV1Charges(db, ledger, budgetPeriodAt(nowMs, privacy.budget.period, timeZone), caps);
      const {
        due: dueAll,
        skipped,
        nextSinceMs,
      } = dueWindows({
        kinds: schedulesOf(nowMs),
        nowMs,
        settleMs: privacy.settleSeconds * 1000,
        maxCatchUpDays: privacy.maxCatchUpDays,
        timeZone,
        periodUnit: privacy.budget.period,
        released: (kind, window) => releases.has(releaseId(kind, window)),
      });
      const closed = dueAll.filter((d) => !ledger.isOpen('analytics', d.window.period.index));
      const due =
        closed.length === 0 ? dueAll : dueAll.filter((d) => ledger.isOpen('analytics', d.window.period.index));
      if (closed.length > 0) {
        // A clock that ran ahead pruned these periods' ledger; they stay closed (docs/privacy.md, "Clocks").
        logger.warn(
          { windows: closed.length, first: releaseId(closed[0]!.kind, closed[0]!.window) },
          'releases skipped: their budget period was closed when its ledger was pruned',
        );
      }
      const firstSkipped = skipped[0];
      if (firstSkipped !== undefined) {
        logger.warn(
          { windows: skipped.length, first: releaseId(firstSkipped.kind, firstSkipped.window) },
          'releases skipped: older than the catch-up limit',
        );
      }
      for (const [kind, since] of nextSinceMs) releases.setSince(kind, since);
      // Presence windows are finalised first, only when there is something to release.
      if (due.length > 0) await deps.beforeRelease?.();
      const computed: string[] = [];
      const failed: { id: string; error: string }[] = [];
      const cache = new Map<string, unknown>();
      let cachedWindow = '';
      for (const [i, item] of due.entries()) {
        // The memo holds one window's shared reads only (due is ordered by window).
        if (item.window.label !== cachedWindow) {
          cache.clear();
          cachedWindow = item.window.label;
        }
        try {
          const outcome = compute(item.kind, item.window, nowMs, cache);
          if (outcome.status === 'computed') computed.push(outcome.id);
        } catch (error) {
          const id = releaseId(item.kind, item.window);
          failed.push({ id, error: (error as Error).message });
          logger.error({ err: error, release: id }, 'release failed');
        }
        // Let the broker and the API breathe during a long catch-up.
        if (i % 4 === 3) await new Promise((resolve) => setImmediate(resolve));
      }
      pruneLedger(nowMs);
      return { computed, skipped: skipped.length, failed };
    };
    const next = releaseChain.then(work, work);
    releaseChain = next.catch(() => undefined);
    return next;
  }

  /** The ledger is personal data: periods a catch-up can no longer charge are kept for a year, for the shoppers' audit trail. */
  function pruneLedger(nowMs: number): void {
    const current = budgetPeriodAt(nowMs, privacy.budget.period, timeZone);
    const keep = Math.max(2, 12 / { month: 1, quarter: 3, year: 12 }[privacy.budget.period]);
    const deleted = ledger.prune('analytics', current.index - keep + 1);
    if (deleted > 0) logger.info({ rows: deleted }, 'budget ledger pruned');
  }

  const service: ReleaseService = {
    randomKind: typeof randomKind === 'string' ? randomKind : 'unknown',
    ledger,
    releases,

    async start() {
      if (started) throw new AppError('INTERNAL', 'release service already started');
      started = true;
      if (service.randomKind !== 'crypto')
        logger.warn({ random: service.randomKind }, 'release noise is not drawn from node:crypto: for tests only');
      const tz = { timezone: timeZone };
      if (privacy.enabled) {
        jobs.push(
          scheduleJob('privacy-releases', privacy.schedule.releases, async () => void (await runDue(clock.now())), tz),
        );
      }
      if (deps.sender !== null) {
        jobs.push(
          scheduleJob('upstream-sync', deps.upstream.cron, async () => void (await upstream.sync(clock.now())), tz),
        );
      }
      // Catch-up in the background: every window missed while the hub was down, oldest first.
      running = runDue(clock.now())
        .then((report) => {
          if (report.computed.length > 0) logger.info({ releases: report.computed.length }, 'release catch-up done');
        })
        .catch((error: unknown) => logger.error({ err: error }, 'release catch-up failed'));
      logger.info(
        {
          kinds: [...definitions.keys()],
          timeZone,
          period: privacy.budget.period,
          periodRho: privacy.budget.periodRho,
          upstream: deps.sender?.transport ?? 'off',
        },
        'privacy releases started',
      );
    },

    async stop() {
      if (!started) return;
      started = false;
      for (const job of jobs.splice(0)) await job.stop();
      await running;
      await releaseChain;
      await upstream.close();
    },

    runDue,
    syncUpstream: (nowMs) => upstream.sync(nowMs),
    computeRelease: (kind, window, nowMs) => compute(kind, window, nowMs, new Map()),

    registerRelease(definition) {
      checkDefinition(definition, privacy);
      if (definitions.has(definition.kind))
        throw new AppError('DP_INVALID_PARAMETER', `release kind "${definition.kind}" is already registered`);
      definitions.set(definition.kind, definition);
    },

    kinds: () => [...definitions.values()].map((d) => ({ kind: d.kind, window: d.window })),

    schedules() {
      const list = [];
      if (privacy.enabled)
        list.push({ name: 'privacy-releases', expression: privacy.schedule.releases, timezone: timeZone });
      if (deps.upstream.enabled)
        list.push({ name: 'upstream-sync', expression: deps.upstream.cron, timezone: timeZone });
      return list;
    },

    caps: () => caps,

    plan: (traffic) => planOf([...definitions.values()], privacy, traffic, zones()),

    shopperBudget: (shopperPk, nowMs) => shopperBudget({ ledger, privacy, caps }, shopperPk, nowMs),

    status: (nowMs) =>
      privacyStatus(
        { releases, privacy, upstream: upstream.state() },
        planOf([...definitions.values()], privacy, { visitsPerDay: 0, zones: zones().length }, zones()),
        nowMs,
      ),
  };
  return service;
}

const NO_RANDOMNESS = {
  fillBytes(): void {
    throw new AppError('INTERNAL', 'a release definition drew randomness while listing its cells');
  },
  nextUint32(): number {
    throw new AppError('INTERNAL', 'a release definition drew randomness while listing its cells');
  },
};

/** The plan of a set of kinds under a config, each calibrated over its own cells for these zones. */
export function planOf(
  definitions: readonly AnyReleaseDefinition[],
  privacy: PrivacyConfig,
  traffic: TrafficModel,
  zones: readonly string[],
): PrivacyPlan {
  const window = windowOfDay(0, 'day', privacy.budget.period, 'UTC');
  const context = { window, timeZone: privacy.timeZone, zones, cache: new Map<string, unknown>(), rng: NO_RANDOMNESS };
  const kinds = definitions.map((d) => ({
    kind: d.kind,
    window: d.window,
    release:
      d.custom === true
        ? { rho: toRational(d.rho, `${d.kind}.rho`), measures: [] }
        : calibrateRelease({
            cells: [...d.cells(context)],
            measures: d.measures,
            maxCellsPerShopper: d.maxCellsPerShopper,
            rho: toRational(d.rho, `${d.kind}.rho`),
            mechanism: privacy.mechanism,
          }),
  }));
  return planPrivacy({
    kinds,
    periodUnit: privacy.budget.period,
    periodRho: String(privacy.budget.periodRho),
    lifetimeRho: privacy.budget.lifetimeRho ?? null,
    delta: privacy.delta,
    traffic,
  });
}
