import { fromMicro, leftInPeriod, microToRational, type PeriodCaps } from '../../shared/privacy/accounting.ts';
import { zcdpToApproxDp } from '../../shared/privacy/conversions.ts';
import { decodeAnyReleasePayload } from '../../shared/upstream/release-payload-v2.ts';
import { budgetPeriodAt, periodsPerYear } from '../../shared/time/local-calendar.ts';
import type { BudgetLedger } from './adapters/sqlite-budget-ledger.ts';
import type { OutboxSummary, ReleaseSummary, SqliteReleases } from './adapters/sqlite-releases.ts';
import type { PrivacyPlan } from './core/plan.ts';
import type { PrivacyConfig } from './config.schema.ts';

/**
 * The privacy feature's read-only views (docs/privacy.md): a shopper's own analytics budget (for
 * their audit trail and export: they see their own data in full), and the status the technician
 * page shows — system figures only (releases, upstream sync, the budget plan), never a count of
 * shoppers.
 */

export interface ShopperBudget {
  /** The current budget period ("2026-Q4") and its unit. */
  readonly period: string;
  readonly periodUnit: PrivacyConfig['budget']['period'];
  readonly caps: { readonly periodRho: number; readonly yearRho: number; readonly lifetimeRho: number | null };
  readonly spent: { readonly periodRho: number };
  readonly left: { readonly periodRho: number };
  /** (ε, δ) of what the period has cost the shopper so far (CKS conversion). */
  readonly epsilon: number;
  readonly delta: number;
  /** Left out of the rest of the period (a release's cost would have passed the cap). */
  readonly excluded: boolean;
  readonly byKind: readonly { readonly kind: string; readonly rho: number; readonly releases: number }[];
  /** Earlier periods still in the ledger, newest first. */
  readonly history: readonly { readonly period: string; readonly rho: number }[];
}

export function shopperBudget(
  deps: { ledger: BudgetLedger; privacy: PrivacyConfig; caps: PeriodCaps },
  shopperPk: number,
  nowMs: number,
): ShopperBudget {
  const { privacy, caps } = deps;
  const current = budgetPeriodAt(nowMs, privacy.budget.period, privacy.timeZone);
  const periods = deps.ledger.spending(shopperPk, 'analytics');
  const now = periods.find((p) => p.period === current.label);
  const state = { spentMicro: now?.spentMicro ?? 0, excluded: now?.excluded ?? false };
  return {
    period: current.label,
    periodUnit: privacy.budget.period,
    caps: {
      periodRho: fromMicro(caps.periodMicro),
      yearRho: fromMicro(caps.periodMicro * periodsPerYear(privacy.budget.period)),
      lifetimeRho: caps.lifetimeMicro === null ? null : fromMicro(caps.lifetimeMicro),
    },
    spent: { periodRho: fromMicro(state.spentMicro) },
    left: { periodRho: fromMicro(leftInPeriod(state, caps)) },
    epsilon: state.spentMicro === 0 ? 0 : zcdpToApproxDp(microToRational(state.spentMicro), privacy.delta).epsilon,
    delta: privacy.delta,
    excluded: state.excluded,
    byKind: (now?.items ?? []).map((i) => ({ kind: i.item, rho: fromMicro(i.spentMicro), releases: i.charges })),
    history: periods
      .filter((p) => p.period !== current.label)
      .map((p) => ({ period: p.period, rho: fromMicro(p.spentMicro) })),
  };
}

/** The newest release of a kind as released: its first measure's noisy values and their 95% half-width. */
export interface LatestRelease {
  readonly window: string;
  readonly metric: string;
  readonly halfWidth95: number;
  readonly cells: readonly { readonly cell: string; readonly value: number }[];
}

/** Kinds with more cells than this show no latest values on the status page (transitions, dwell). */
const LATEST_MAX_CELLS = 40;

export function latestRelease(body: Buffer | null): LatestRelease | null {
  if (body === null) return null;
  const decoded = decodeAnyReleasePayload(body);
  if (!decoded.ok || decoded.value.v !== 2) return null;
  const payload = decoded.value;
  const measure = payload.measures[0];
  if (measure === undefined || measure.layout !== 'cells' || payload.cells.length > LATEST_MAX_CELLS) return null;
  return {
    window: payload.window.label,
    metric: measure.metric,
    halfWidth95: measure.halfWidth95,
    cells: payload.cells.map((cell, i) => ({ cell, value: measure.values[i] as number })),
  };
}

export interface PrivacyStatus {
  readonly enabled: boolean;
  readonly timeZone: string;
  readonly period: string;
  readonly releases: readonly (ReleaseSummary & { readonly latest: LatestRelease | null })[];
  readonly upstream: OutboxSummary & {
    readonly enabled: boolean;
    readonly transport: string | null;
    readonly down: boolean;
  };
  /** The budget plan: caps and what each kind costs a shopper at the bound (from the config, no data). */
  readonly plan: PrivacyPlan;
}

export function privacyStatus(
  deps: {
    releases: SqliteReleases;
    privacy: PrivacyConfig;
    upstream: { enabled: boolean; transport: string | null; down: boolean };
  },
  plan: PrivacyPlan,
  nowMs: number,
): PrivacyStatus {
  return {
    enabled: deps.privacy.enabled,
    timeZone: deps.privacy.timeZone,
    period: budgetPeriodAt(nowMs, deps.privacy.budget.period, deps.privacy.timeZone).label,
    releases: deps.releases.summary().map((r) => ({ ...r, latest: latestRelease(deps.releases.latestBody(r.kind)) })),
    upstream: { ...deps.releases.outbox(), ...deps.upstream },
    plan,
  };
}
