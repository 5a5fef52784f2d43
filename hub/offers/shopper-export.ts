import type { Static } from '@sinclair/typebox';
import type { ExportView } from './api-schemas.ts';
import type { Database } from 'better-sqlite3';
import type { EnrolledShopper } from '../shoppers/mod.ts';
import type { OfferService } from './offer-service.ts';
import { auditView, drawView, exclusionView, offerBudgetView, purchaseView } from './views.ts';

/**
 * Everything the hub holds about one shopper, as JSON (the right of access): the enrollment
 * record, the offers data (settings, history, exclusions, audit trail, draws, budget), and every
 * row of every other table that references the shopper (presence: sightings, zone windows, visits
 * with their zones, presence state; the budget ledger), found by its `shopper_pk` column, so a
 * table added later is exported without a change here. The offers' own tables go through their
 * views, which leave out what the threshold sampler hides (a draw's slot: whether the offer was
 * among the shopper's top k).
 */

/** Exported through their views: offer_draws holds the sampled slot, which says whether the offer was in the shopper's top k. */
const OFFER_TABLES = new Set([
  'offer_profiles',
  'offer_purchases',
  'offer_exclusions',
  'offer_decisions',
  'offer_draws',
]);

function jsonValue(value: unknown): unknown {
  return Buffer.isBuffer(value) ? value.toString('hex') : value;
}

function rowsOf(db: Database, sql: string, ...params: unknown[]): Array<Record<string, unknown>> {
  return (db.prepare(sql).all(...params) as Array<Record<string, unknown>>).map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, jsonValue(v)])),
  );
}

/** Tables (other than the offers' own) with a shopper_pk column. */
export function shopperTables(db: Database): string[] {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  return tables.filter(
    (t) =>
      !OFFER_TABLES.has(t) &&
      (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t) as string[]).includes('shopper_pk'),
  );
}

export function exportShopper(
  db: Database,
  offers: OfferService,
  shopper: EnrolledShopper,
  nowMs: number,
): Static<typeof ExportView> {
  const pk = shopper.pk;
  const profile = offers.store.profile(pk);
  const exclusions = offers.store.exclusions(pk);
  const excludedBy = (id: string, sku: string | null): string | null =>
    exclusions.find((e) => e.purchaseId === id || (sku !== null && e.sku === sku))?.id ?? null;
  const tables: Record<string, unknown> = {};
  for (const table of shopperTables(db))
    tables[table] = rowsOf(db, `SELECT * FROM "${table}" WHERE shopper_pk = ?`, pk);
  if ((tables.visits as unknown[] | undefined) !== undefined) {
    tables.visit_zones = rowsOf(
      db,
      'SELECT * FROM visit_zones WHERE visit_pk IN (SELECT pk FROM visits WHERE shopper_pk = ?) ORDER BY visit_pk, first_at',
      pk,
    );
  }
  return {
    exportedAt: new Date(nowMs).toISOString(),
    shopper: {
      id: shopper.id,
      identityKey: shopper.identityKey.toString('hex'),
      exponent: shopper.exponent,
      enrolledAt: new Date(shopper.createdMs).toISOString(),
      consent: {
        presenceForOffers: shopper.consent.presenceForOffers,
        analytics: shopper.consent.analytics,
        pausedUntil:
          shopper.consent.pausedUntilMs === null ? null : new Date(shopper.consent.pausedUntilMs).toISOString(),
        quietHours: profile.quietHours,
      },
      note: 'Your bearer token is stored only as a SHA-256 hash, so it cannot be exported.',
    },
    offers: {
      preferences: profile.preferences,
      purchases: offers.store.purchases(pk).map((p) => purchaseView(p, excludedBy(p.id, p.sku))),
      exclusions: exclusions.map(exclusionView),
      decisions: offers.store.decisions(pk, 1_000_000).map(auditView),
      draws: offers.store.draws(pk, 1_000_000).map(drawView),
      budget: offerBudgetView(offers.budget(pk, nowMs), offers.epsilonMicroByClass),
    },
    tables,
  };
}
