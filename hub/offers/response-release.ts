import type { Database } from 'better-sqlite3';
import { rational, rationalFromDecimal } from '../../shared/privacy/rational.ts';
import type { DailyReleaseDefinition, ReleaseContext, SourceRow } from '../privacy/mod.ts';
import { ARMS } from './core/decide.ts';
import type { OffersConfig } from './config.schema.ts';

/**
 * The daily DP release of offer response per arm (docs/privacy.md): for each arm (personalised,
 * holdout), the number of offers shown and redeemed that day, so HQ can measure the lift of
 * personalisation without seeing anyone. Registered with the release service, which does the
 * consent filter (analytics), bounding, ledger, discrete Gaussian noise, storage and upstream.
 *
 * Cells (public): "personalised:shown", "personalised:redeemed", "holdout:shown", "holdout:redeemed".
 * A shopper contributes one row per cell with their count that day, clamped to [0, caps.perDay]
 * (the guards already keep shown offers per day within the cap), so at most 4 cells per day.
 * Offers are counted on the day they were shown; a redemption counts if it happened before the
 * day's release was computed.
 */

export const RESPONSE_RELEASE_KIND = 'offer-response';

export function responseCell(arm: string, measure: 'shown' | 'redeemed'): string {
  return `${arm}:${measure}`;
}

function* responseRows(db: Database, context: ReleaseContext): Iterable<SourceRow> {
  const rows = db
    .prepare(
      `SELECT shopper_pk AS pk, arm, COUNT(*) AS shown, SUM(CASE WHEN state = 'redeemed' THEN 1 ELSE 0 END) AS redeemed
    FROM offer_decisions WHERE outcome = 'shown' AND day = ? GROUP BY shopper_pk, arm`,
    )
    .iterate(context.period.day) as Iterable<{ pk: number; arm: string; shown: number; redeemed: number }>;
  for (const row of rows) {
    yield { shopperPk: row.pk, cell: responseCell(row.arm, 'shown'), value: row.shown };
    if (row.redeemed > 0) yield { shopperPk: row.pk, cell: responseCell(row.arm, 'redeemed'), value: row.redeemed };
  }
}

export function offerResponseRelease(config: OffersConfig): DailyReleaseDefinition {
  return {
    kind: RESPONSE_RELEASE_KIND,
    cells: () => ARMS.flatMap((arm) => [responseCell(arm, 'shown'), responseCell(arm, 'redeemed')]),
    rows: responseRows,
    measures: [{ metric: 'offers', query: 'sum', clamp: { lo: 0, hi: config.caps.perDay }, share: rational(1n) }],
    maxCellsPerDay: 4,
    rho: rationalFromDecimal(String(config.responseRelease.rho), 'offers.responseRelease.rho'),
  };
}
