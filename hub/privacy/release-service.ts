import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { RandomSource } from '../../shared/ports/random.ts';
import {
  summariseBudget,
  toMicroRhoCeil,
  toMicroRhoFloor,
  WINDOW_DAYS,
  type BudgetCaps,
  type BudgetSummary,
} from '../../shared/privacy/accounting.ts';
import { zcdpToApproxDp } from '../../shared/privacy/conversions.ts';
import { formatRational, rational, toRational } from '../../shared/privacy/rational.ts';
import { encodeReleasePayload } from '../../shared/upstream/release-payload.ts';
import { isValidId } from '../../shared/protocol/topics.ts';
import { scheduleJob, type ScheduledJob } from '../../shared/scheduling/cron-scheduler.ts';
import { listGateways } from '../broker/mod.ts';
import { createSqliteLedger, type SqliteLedger } from './adapters/sqlite-ledger.ts';
import {
  createSqliteReleases,
  type OutboxSummary,
  type ReleaseSummary,
  type SqliteReleases,
} from './adapters/sqlite-releases.ts';
import { calibrateRelease, type MechanismName } from './core/calibrate.ts';
import { buildReleasePayload, PRIVACY_UNIT, releaseCost, releaseId } from './core/build-payload.ts';
import { duePeriods } from './core/due-periods.ts';
import { dayLabel, localDay, type Period, type PeriodUnit } from '../../shared/time/local-calendar.ts';
import { planRelease, type ReleaseRow } from './core/plan-release.ts';
import type { PrivacyConfig, UpstreamConfig } from './config.schema.ts';
import type { DailyReleaseDefinition, ReleaseDefinition } from './release-definition.ts';
import { builtInReleases } from './release-kinds.ts';
import type { UpstreamSender } from './upstream-sender.ts';
import { backoffSeconds, syncUpstreamOnce, type SyncReport, type SyncStep } from './upstream-sync.ts';

/**
 * The hub's DP release service: computes the scheduled releases (docs/privacy.md) with the ledger, and
 * sends them upstream. Jobs are plain functions of `now` (runHourly, runDaily, runDue,
 * syncUpstream), so tests call them directly; start() schedules them with node-cron and starts
 * the catch-up of every period missed while the hub was down.
 *
 * One release = ONE SQLite transaction (BEGIN IMMEDIATE): check the key is new, read the data,
 * bound, charge, draw the noise, store the release + its values + the ledger charges + the
 * outbox entry. A crash anywhere before COMMIT leaves nothing (the next run computes the release
 * afresh, and no noise of the lost attempt was ever stored or sent); after COMMIT the key exists
 * and the release is never computed again. `checkpoint` (tests only) is called between steps.
 */

export type ReleaseStep =
  'release-begin' | 'release-rows-read' | 'release-noised' | 'release-stored' | 'release-charged' | 'release-committed';

export interface ReleaseServiceDeps {
  readonly db: Database;
  readonly store: string;
  readonly privacy: PrivacyConfig;
  readonly upstream: UpstreamConfig;
  /** The presence model's visit gap (transitions stay within a visit). */
  readonly visitGapSeconds: number;
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
  /** Where a kind released for the first time starts (default: the period containing the first run's `now`). */
  readonly firstPeriodMs?: number;
}

export type ReleaseOutcome =
  | {
      readonly status: 'computed';
      readonly id: string;
      readonly contributors: number;
      readonly excluded: number;
      readonly chargedMicroRho: number;
    }
  | { readonly status: 'exists'; readonly id: string };

export interface RunReport {
  readonly computed: readonly string[];
  readonly skipped: number;
  readonly failed: readonly { readonly id: string; readonly error: string }[];
}

export interface ShopperBudget {
  readonly day: string;
  readonly caps: { readonly dailyRho: number; readonly thirtyDayRho: number };
  readonly spent: { readonly dayRho: number; readonly windowRho: number };
  /** (ε, δ) implied by today's and the 30-day spending (CKS conversion). */
  readonly epsilonToday: number;
  readonly epsilonWindow: number;
  readonly delta: number;
  readonly entries: readonly {
    readonly day: string;
    readonly kind: string;
    readonly rho: number;
    readonly cells: number;
    readonly releases: number;
  }[];
  readonly filteredDays: readonly string[];
}

export interface PrivacyStatus {
  readonly enabled: boolean;
  readonly timeZone: string;
  readonly releases: readonly ReleaseSummary[];
  readonly upstream: OutboxSummary & {
    readonly enabled: boolean;
    readonly transport: string | null;
    readonly down: boolean;
  };
  readonly budget: BudgetSummary & { readonly date: string; readonly filteredToday: number };
}

export interface ReleaseService {
  /** 'crypto' in production (CryptoRandomSource.kind). */
  readonly randomKind: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Every due period of every kind, oldest first (catch-up included). */
  runDue(nowMs: number): Promise<RunReport>;
  /** The hourly job: due hourly releases (the previous hour, and any missed). */
  runHourly(nowMs: number): Promise<RunReport>;
  /** The daily job: due daily releases (transitions and registered extra ones), then ledger retention. */
  runDaily(nowMs: number): Promise<RunReport>;
  /** The sync job: sends pending releases. */
  syncUpstream(nowMs: number): Promise<SyncReport>;
  /** Computes one release now (or reports that it exists). */
  computeRelease(kind: string, period: Period, nowMs: number): ReleaseOutcome;
  /** Adds a daily release kind (e.g. offers: response per arm × day); released from the day of registration on. */
  registerDailyRelease(definition: DailyReleaseDefinition): void;
  kinds(): readonly { readonly kind: string; readonly unit: PeriodUnit }[];
  /** The cron jobs start() schedules (for `--check-config` and the cron test). */
  schedules(): readonly { readonly name: string; readonly expression: string; readonly timezone: string }[];
  caps(): BudgetCaps;
  /** A shopper's analytics budget use (for the shopper API's audit trail). */
  shopperBudget(shopperPk: number, nowMs: number): ShopperBudget;
  status(nowMs: number): PrivacyStatus;
  readonly ledger: SqliteLedger;
  readonly releases: SqliteReleases;
}

function microToRho(micro: number): number {
  return micro / 1_000_000;
}

export function createReleaseService(deps: ReleaseServiceDeps): ReleaseService {
  const { db, privacy, logger, clock } = deps;
  const timeZone = privacy.timeZone;
  const mechanism: MechanismName = privacy.mechanism;
  const ledger = createSqliteLedger(db);
  const releases = createSqliteReleases(db);
  const caps: BudgetCaps = {
    dailyRho: toMicroRhoFloor(String(privacy.budget.dailyRho)),
    thirtyDayRho: toMicroRhoFloor(String(privacy.budget.thirtyDayRho)),
  };
  const definitions = new Map<string, ReleaseDefinition>();
  for (const d of builtInReleases(privacy, { visitGapSeconds: deps.visitGapSeconds })) definitions.set(d.kind, d);
  const consenting = db.prepare('SELECT pk FROM shoppers WHERE analytics = 1').pluck();
  const checkpoint = deps.checkpoint ?? (() => undefined);
  const randomKind = (deps.random as { kind?: unknown }).kind;

  const jobs: ScheduledJob[] = [];
  let running: Promise<unknown> = Promise.resolve();
  let releaseChain: Promise<unknown> = Promise.resolve();
  let syncChain: Promise<unknown> = Promise.resolve();
  let upstreamDown = false;
  let started = false;

  function serial<T>(chain: 'release' | 'sync', work: () => Promise<T>): Promise<T> {
    const previous = chain === 'release' ? releaseChain : syncChain;
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    if (chain === 'release') releaseChain = settled;
    else syncChain = settled;
    return next;
  }

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

  function definitionOf(kind: string): ReleaseDefinition {
    const definition = definitions.get(kind);
    if (definition === undefined)
      throw new AppError(
        'DP_INVALID_PARAMETER',
        `release kind "${kind}" is not known, expected one of: ${[...definitions.keys()].join(', ')}`,
      );
    return definition;
  }

  function computeRelease(
    kind: string,
    period: Period,
    nowMs: number,
    cache: Map<string, unknown> = new Map(),
  ): ReleaseOutcome {
    const definition = definitionOf(kind);
    if (period.unit !== definition.unit)
      throw new AppError(
        'DP_INVALID_PARAMETER',
        `release kind "${kind}" is per ${definition.unit}, not per ${period.unit}`,
      );
    const id = releaseId(kind, period);
    if (releases.has(id)) return { status: 'exists', id };
    const context = { period, zones: zones(), cache };
    const calibrated = calibrateRelease({
      cells: [...definition.cells(context)],
      measures: definition.measures,
      maxCellsPerDay: definition.maxCellsPerDay,
      rho: toRational(definition.rho, `${kind}.rho`),
      mechanism,
    });
    const cost = releaseCost(calibrated, privacy.delta);
    const transaction = db.transaction((): ReleaseOutcome => {
      if (releases.has(id)) return { status: 'exists', id };
      checkpoint('release-begin', id);
      const consent = new Set(consenting.all() as number[]);
      const rows: ReleaseRow[] = [];
      for (const row of definition.rows(db, context)) {
        if (consent.has(row.shopperPk))
          rows.push({ unit: row.shopperPk, cell: row.cell, ...(row.value !== undefined ? { value: row.value } : {}) });
      }
      checkpoint('release-rows-read', id);
      const plan = planRelease({
        release: calibrated,
        rows,
        budgetOf: (unit) => ledger.budgetOf(unit, period.day, kind),
        caps,
        rng: deps.random,
      });
      checkpoint('release-noised', id);
      const payload = buildReleasePayload({
        store: deps.store,
        kind,
        period,
        timeZone,
        computedMs: nowMs,
        release: calibrated,
        values: plan.values,
        delta: privacy.delta,
      });
      const body = encodeReleasePayload(payload);
      const values = calibrated.measures.flatMap((m, i) =>
        calibrated.shape.cells.map((cell, c) => ({
          metric: m.definition.metric,
          cell,
          value: plan.values[i]?.[c] as number,
        })),
      );
      releases.insert(
        {
          id,
          kind,
          periodUnit: period.unit,
          periodStartMs: period.startMs,
          periodEndMs: period.endMs,
          day: period.day,
          computedMs: nowMs,
          privacyUnit: PRIVACY_UNIT,
          mechanism,
          rho: formatRational(calibrated.rho),
          rhoMicro: toMicroRhoCeil(calibrated.rho),
          epsilon: cost.epsilon,
          delta: cost.delta,
          contributors: plan.contributors,
          excludedBudget: plan.excluded.budget,
          excludedFiltered: plan.excluded.filteredEarlier,
          excludedCellCap: plan.excluded.cellCap,
          chargedMicro: plan.chargedMicroRho,
          body,
        },
        values,
        nowMs,
      );
      checkpoint('release-stored', id);
      ledger.charge(period.day, kind, plan.charges);
      ledger.markFiltered(period.day, plan.newlyFiltered, id);
      checkpoint('release-charged', id);
      return {
        status: 'computed',
        id,
        contributors: plan.contributors,
        excluded: plan.excluded.budget + plan.excluded.filteredEarlier + plan.excluded.cellCap,
        chargedMicroRho: plan.chargedMicroRho,
      };
    });
    const outcome = transaction.immediate();
    if (outcome.status === 'computed') {
      checkpoint('release-committed', id);
      logger.info(
        {
          release: id,
          contributors: outcome.contributors,
          excluded: outcome.excluded,
          rho: cost.rhoUpper,
          epsilon: cost.epsilon,
        },
        'release computed',
      );
    }
    return outcome;
  }

  function schedulesOf(unit: PeriodUnit | null, nowMs: number): { kind: string; unit: PeriodUnit; sinceMs: number }[] {
    const out: { kind: string; unit: PeriodUnit; sinceMs: number }[] = [];
    for (const d of definitions.values()) {
      if (unit !== null && d.unit !== unit) continue;
      let since = releases.sinceOf(d.kind);
      if (since === null) {
        since = deps.firstPeriodMs ?? nowMs;
        releases.setSince(d.kind, since);
      }
      out.push({ kind: d.kind, unit: d.unit, sinceMs: since });
    }
    return out;
  }

  async function run(unit: PeriodUnit | null, nowMs: number): Promise<RunReport> {
    if (!privacy.enabled) return { computed: [], skipped: 0, failed: [] };
    return serial('release', async () => {
      const { due, skipped, nextSinceMs } = duePeriods({
        kinds: schedulesOf(unit, nowMs),
        nowMs,
        settleMs: privacy.settleSeconds * 1000,
        maxCatchUpDays: privacy.maxCatchUpDays,
        timeZone,
        released: (kind, period) => releases.has(releaseId(kind, period)),
      });
      const firstSkipped = skipped[0];
      if (firstSkipped !== undefined) {
        logger.warn(
          {
            periods: skipped.length,
            first: releaseId(firstSkipped.kind, firstSkipped.period),
            maxCatchUpDays: privacy.maxCatchUpDays,
          },
          'releases skipped: older than the catch-up limit',
        );
      }
      for (const [kind, since] of nextSinceMs) releases.setSince(kind, since);
      // Presence windows are finalised first, only when there is something to release.
      if (due.length > 0) await deps.beforeRelease?.();
      const computed: string[] = [];
      const failed: { id: string; error: string }[] = [];
      const cache = new Map<string, unknown>();
      let cachedStart = Number.NaN;
      for (const [i, item] of due.entries()) {
        // The memo holds one period's shared reads only (due is ordered by period).
        if (item.period.startMs !== cachedStart) {
          cache.clear();
          cachedStart = item.period.startMs;
        }
        try {
          const outcome = computeRelease(item.kind, item.period, nowMs, cache);
          if (outcome.status === 'computed') computed.push(outcome.id);
        } catch (error) {
          const id = releaseId(item.kind, item.period);
          failed.push({ id, error: (error as Error).message });
          logger.error({ err: error, release: id }, 'release failed');
        }
        // Let the broker and the API breathe during a long catch-up.
        if (i % 4 === 3) await new Promise((resolve) => setImmediate(resolve));
      }
      return { computed, skipped: skipped.length, failed };
    });
  }

  let syncFailures = 0;
  let syncRetryAtMs = 0;

  async function syncUpstream(nowMs: number): Promise<SyncReport> {
    const sender = deps.sender;
    const idle = { attempted: 0, sent: 0, duplicates: 0, failed: 0, rejected: 0, unavailable: false, lastError: null };
    if (sender === null) return { ...idle, skipped: 'disabled' };
    return serial('sync', async () => {
      if (nowMs < syncRetryAtMs) return { ...idle, unavailable: true, skipped: 'backoff' };
      const report = await syncUpstreamOnce(
        {
          releases,
          sender,
          logger,
          batchSize: deps.upstream.batchSize,
          backoff: deps.upstream.backoff,
          ...(deps.checkpoint !== undefined ? { checkpoint: deps.checkpoint } : {}),
        },
        nowMs,
      );
      if (report.unavailable) {
        syncFailures++;
        syncRetryAtMs = nowMs + backoffSeconds(syncFailures, deps.upstream.backoff) * 1000;
        if (!upstreamDown) {
          upstreamDown = true;
          logger.warn(
            { transport: sender.transport, error: report.lastError },
            'upstream down: releases wait in the outbox',
          );
        }
      } else if (report.attempted > 0) {
        syncFailures = 0;
        syncRetryAtMs = 0;
        if (upstreamDown) {
          upstreamDown = false;
          logger.info({ transport: sender.transport }, 'upstream back');
        }
      }
      return report;
    });
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
          scheduleJob(
            'privacy-hourly',
            privacy.schedule.hourly,
            async () => {
              await service.runHourly(clock.now());
            },
            tz,
          ),
        );
        jobs.push(
          scheduleJob(
            'privacy-daily',
            privacy.schedule.daily,
            async () => {
              await service.runDaily(clock.now());
            },
            tz,
          ),
        );
      }
      if (deps.sender !== null) {
        jobs.push(
          scheduleJob(
            'upstream-sync',
            deps.upstream.cron,
            async () => {
              await service.syncUpstream(clock.now());
            },
            tz,
          ),
        );
      }
      // Catch-up in the background: every period missed while the hub was down, oldest first.
      running = service
        .runDue(clock.now())
        .then((report) => {
          if (report.computed.length > 0) logger.info({ releases: report.computed.length }, 'release catch-up done');
        })
        .catch((error: unknown) => logger.error({ err: error }, 'release catch-up failed'));
      logger.info(
        { kinds: [...definitions.keys()], timeZone, mechanism, upstream: deps.sender?.transport ?? 'off' },
        'privacy releases started',
      );
    },

    async stop() {
      if (!started) return;
      started = false;
      for (const job of jobs.splice(0)) await job.stop();
      await running;
      await releaseChain;
      await syncChain;
      await deps.sender?.close();
    },

    runDue: (nowMs) => run(null, nowMs),
    runHourly: (nowMs) => run('hour', nowMs),
    async runDaily(nowMs) {
      const report = await run('day', nowMs);
      // The ledger is needed for 30-day windows only, also those of a caught-up period up to
      // maxCatchUpDays back; older rows are personal data without a use.
      const deleted = ledger.prune(localDay(nowMs, timeZone) - WINDOW_DAYS - privacy.maxCatchUpDays);
      if (deleted > 0) logger.info({ rows: deleted }, 'privacy ledger pruned');
      return report;
    },
    syncUpstream,
    computeRelease: (kind, period, nowMs) => computeRelease(kind, period, nowMs),

    registerDailyRelease(definition) {
      if (!isValidId(definition.kind))
        throw new AppError('DP_INVALID_PARAMETER', `release kind "${definition.kind}" is invalid, expected [a-z0-9-]`);
      if (definitions.has(definition.kind))
        throw new AppError('DP_INVALID_PARAMETER', `release kind "${definition.kind}" is already registered`);
      const metrics = definition.measures.map((m) => m.metric);
      if (new Set(metrics).size !== metrics.length)
        throw new AppError('DP_INVALID_PARAMETER', `release kind "${definition.kind}" lists a metric twice`);
      // Validate the shape now (with a one-cell probe) so a bad definition fails at registration.
      calibrateRelease({
        cells: ['probe'],
        measures: definition.measures,
        maxCellsPerDay: definition.maxCellsPerDay,
        rho: toRational(definition.rho, `${definition.kind}.rho`),
        mechanism,
      });
      definitions.set(definition.kind, { ...definition, unit: 'day' });
    },

    kinds: () => [...definitions.values()].map((d) => ({ kind: d.kind, unit: d.unit })),

    schedules() {
      const list = [];
      if (privacy.enabled) {
        list.push({ name: 'privacy-hourly', expression: privacy.schedule.hourly, timezone: timeZone });
        list.push({ name: 'privacy-daily', expression: privacy.schedule.daily, timezone: timeZone });
      }
      if (deps.upstream.enabled)
        list.push({ name: 'upstream-sync', expression: deps.upstream.cron, timezone: timeZone });
      return list;
    },

    caps: () => caps,

    shopperBudget(shopperPk, nowMs) {
      const today = localDay(nowMs, timeZone);
      const l = ledger.shopperLedger(shopperPk, today);
      const convert = (micro: number): number =>
        micro === 0 ? 0 : zcdpToApproxDp(rational(BigInt(micro), 1_000_000n), privacy.delta).epsilon;
      return {
        day: dayLabel(today),
        caps: { dailyRho: microToRho(caps.dailyRho), thirtyDayRho: microToRho(caps.thirtyDayRho) },
        spent: { dayRho: microToRho(l.spent.dayRho), windowRho: microToRho(l.spent.windowRho) },
        epsilonToday: convert(l.spent.dayRho),
        epsilonWindow: convert(l.spent.windowRho),
        delta: privacy.delta,
        entries: l.entries.map((e) => ({
          day: dayLabel(e.day),
          kind: e.kind,
          rho: microToRho(e.rhoMicro),
          cells: e.cells,
          releases: e.releases,
        })),
        filteredDays: l.filteredDays.map(dayLabel),
      };
    },

    status(nowMs) {
      const today = localDay(nowMs, timeZone);
      return {
        enabled: privacy.enabled,
        timeZone,
        releases: releases.summary(),
        upstream: {
          ...releases.outbox(),
          enabled: deps.sender !== null,
          transport: deps.sender?.transport ?? null,
          down: upstreamDown,
        },
        budget: {
          ...summariseBudget(ledger.spendingOn(today, WINDOW_DAYS), caps),
          date: dayLabel(today),
          filteredToday: ledger.filteredCount(today),
        },
      };
    },
  };
  return service;
}
