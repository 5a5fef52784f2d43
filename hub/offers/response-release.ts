import type { Database } from 'better-sqlite3';
import { rational, rationalFromDecimal } from '../../shared/privacy/rational.ts';
import type { ReleaseContext, ReleaseDefinition, SourceRow } from '../privacy/mod.ts';
import { ARMS } from './core/decide.ts';
import type { OffersConfig } from './config.schema.ts';

/**
 * The weekly DP release of offer response per arm (docs/privacy.md §4): for each arm
 * (personalised, holdout), how many shoppers were shown an offer that week and how many of them
 * redeemed one, so HQ can measure the lift of personalisation (redemption rate personalised −
 * holdout) without seeing anyone. Registered with the release service, which does the consent
 * filter (analytics), bounding, the budget ledger of the week's period, discrete Gaussian noise,
 * storage and upstream.
 *
 * Cells (public): "personalised:shown", "personalised:redeemed", "holdout:shown", "holdout:redeemed".
 * A shopper counts at most once per cell (they were shown / they redeemed, in that arm), so
 * L0 = 4 cells, L∞ = 1 and Δ2² = 4. Offers count in the week they were shown; a redemption counts
 * if it happened before the week's release was computed.
 */

export const RESPONSE_RELEASE_KIND = 'offer-response';

export function responseCell(arm: string, measure: 'shown' | 'redeemed'): string {
  return `${arm}:${measure}`;
}

function* responseRows(db: Database, context: ReleaseContext): Iterable<SourceRow> {
  const rows = db
    .prepare(
      `SELECT shopper_pk AS pk, arm, MAX(CASE WHEN state = 'redeemed' THEN 1 ELSE 0 END) AS redeemed
    FROM offer_decisions WHERE outcome = 'shown' AND at_ms >= ? AND at_ms < ? GROUP BY shopper_pk, arm`,
    )
    .iterate(context.window.startMs, context.window.endMs) as Iterable<{ pk: number; arm: string; redeemed: number }>;
  for (const row of rows) {
    yield { shopperPk: row.pk, cell: responseCell(row.arm, 'shown') };
    if (row.redeemed === 1) yield { shopperPk: row.pk, cell: responseCell(row.arm, 'redeemed') };
  }
}

export function offerResponseRelease(config: OffersConfig): ReleaseDefinition {
  return {
    kind: RESPONSE_RELEASE_KIND,
    window: 'week',
    cells: () => ARMS.flatMap((arm) => [responseCell(arm, 'shown'), responseCell(arm, 'redeemed')]),
    rows: responseRows,
    measures: [{ metric: 'shoppers', query: 'count', share: rational(1n) }],
    maxCellsPerShopper: 4,
    rho: rationalFromDecimal(String(config.responseRelease.rho), 'offers.responseRelease.rho'),
  };
}
