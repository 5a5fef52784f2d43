import type { Database } from 'better-sqlite3';
import { decodeAnyReleasePayload } from '../../shared/upstream/release-payload-v2.ts';
import { ARMS, type Arm } from './core/decide.ts';
import { RESPONSE_RELEASE_KIND, responseCell } from './response-release.ts';

/**
 * The offers' shopper figures for the admin API and the demo: only what the privacy feature
 * released (docs/shopper-api.md#admin-api) — the weekly offer-response release per arm, as the
 * raw noisy counts with their 95% half-width — never a count computed from the audit trail.
 */

export interface ReleasedCount {
  /** The released (noisy, unbiased) value; may be negative. */
  readonly value: number;
  /** The 95% interval: value ± halfWidth95. */
  readonly low95: number;
  readonly high95: number;
}

export interface ReleasedResponse {
  readonly release: string;
  /** The week (cut at the budget period's edges), e.g. "2026-W47", and its budget period. */
  readonly window: string;
  readonly period: string;
  readonly start: string;
  readonly end: string;
  readonly computedAt: string;
  readonly halfWidth95: number;
  /** Shoppers shown an offer, and shoppers who redeemed one, per arm. */
  readonly arms: Readonly<Record<Arm, { readonly shown: ReleasedCount; readonly redeemed: ReleasedCount }>>;
}

/** The v2 offer-response releases whose window overlaps [fromMs, toMs), oldest first. */
export function releasedResponses(db: Database, range: { fromMs: number; toMs: number }): ReleasedResponse[] {
  const rows = db
    .prepare(
      `SELECT id, body FROM privacy_releases WHERE kind = ? AND version = 2 AND period_end_ms > ? AND period_start_ms < ?
       ORDER BY period_start_ms, id`,
    )
    .all(RESPONSE_RELEASE_KIND, range.fromMs, range.toMs) as Array<{ id: string; body: Buffer }>;
  const out: ReleasedResponse[] = [];
  for (const row of rows) {
    const decoded = decodeAnyReleasePayload(row.body);
    if (!decoded.ok || decoded.value.v !== 2) continue;
    const payload = decoded.value;
    const measure = payload.measures[0];
    if (measure === undefined || measure.layout !== 'cells') continue;
    const granularity = Number(measure.granularity.split('/')[0]) / Number(measure.granularity.split('/')[1] ?? 1);
    const hw = measure.halfWidth95;
    const count = (cell: string): ReleasedCount => {
      const i = payload.cells.indexOf(cell);
      const value = i < 0 ? 0 : (measure.values[i] as number) * granularity;
      return { value, low95: value - hw, high95: value + hw };
    };
    const arms = Object.fromEntries(
      ARMS.map((arm) => [
        arm,
        { shown: count(responseCell(arm, 'shown')), redeemed: count(responseCell(arm, 'redeemed')) },
      ]),
    ) as ReleasedResponse['arms'];
    out.push({
      release: row.id,
      window: payload.window.label,
      period: payload.budgetPeriod.label,
      start: payload.window.start,
      end: payload.window.end,
      computedAt: payload.computedAt,
      halfWidth95: hw,
      arms,
    });
  }
  return out;
}
