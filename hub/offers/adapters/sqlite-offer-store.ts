import type { Database } from 'better-sqlite3';
import { publicOffer, type CatalogOffer, type OfferInput } from '../core/catalog.ts';
import type { Arm, DrawKind } from '../core/decide.ts';
import type { QuietHours } from '../core/local-time.ts';
import type { DataCategory, Exclusion, Preferences, Purchase } from '../core/ranking.ts';

/**
 * The offers' SQLite tables (migrations 020, 021): catalog, offer profiles, purchases,
 * exclusions, the audit trail and the sticky draws. The offer budget itself is in the hub's one
 * budget ledger (hub/privacy), charged by the offer service in the same transaction that adds the
 * decision and its draw. Every function takes the shopper's pk; the routes resolve the pk from
 * the bearer token.
 */

export interface StoredPurchase extends Purchase {
  readonly size: string | null;
  readonly source: 'pos' | 'redemption';
  readonly decisionId: string | null;
}

export interface StoredExclusion extends Exclusion {
  readonly id: string;
  readonly reason: 'gift' | 'not-for-me';
  readonly createdMs: number;
}

export interface OfferProfile {
  /** 'default': the store's quiet hours; null: none; else the shopper's own. */
  readonly quietHours: QuietHours | null | 'default';
  readonly preferences: Preferences;
  readonly updatedMs: number | null;
}

export type OfferState = 'active' | 'redeemed' | 'dismissed';

export interface DecisionRecord {
  readonly pk: number;
  readonly id: string;
  readonly shopperPk: number;
  readonly atMs: number;
  readonly day: number;
  readonly zone: string;
  readonly entryMs: number;
  readonly visitStartedAt: number;
  readonly outcome: 'shown' | 'refused';
  readonly arm: Arm | null;
  readonly offerId: string | null;
  readonly offer: OfferInput | null;
  readonly eligible: number;
  /** How a shown offer was found; null for refusals (and v1 rows). */
  readonly draw: DrawKind | null;
  readonly epsilonMicro: number;
  readonly dataCategories: readonly DataCategory[];
  readonly reason: string | null;
  readonly message: string | null;
  /** The budget period of the decision and the µε left in it afterwards; null for v1 rows. */
  readonly period: string | null;
  readonly budgetLeftMicro: number | null;
  readonly state: OfferState | null;
  readonly stateMs: number | null;
}

export type NewDecision = Omit<DecisionRecord, 'pk' | 'stateMs'>;

interface DecisionRow {
  pk: number;
  id: string;
  shopper_pk: number;
  at_ms: number;
  day: number;
  zone: string;
  entry_ms: number;
  visit_started_at: number;
  outcome: 'shown' | 'refused';
  arm: Arm | null;
  offer_id: string | null;
  offer: string | null;
  eligible: number;
  draw: DrawKind | null;
  epsilon_micro: number;
  data_categories: string;
  reason: string | null;
  message: string | null;
  budget_period: string | null;
  budget_left_micro: number | null;
  state: OfferState | null;
  state_ms: number | null;
}

function toDecision(row: DecisionRow): DecisionRecord {
  return {
    pk: row.pk,
    id: row.id,
    shopperPk: row.shopper_pk,
    atMs: row.at_ms,
    day: row.day,
    zone: row.zone,
    entryMs: row.entry_ms,
    visitStartedAt: row.visit_started_at,
    outcome: row.outcome,
    arm: row.arm,
    offerId: row.offer_id,
    offer: row.offer === null ? null : (JSON.parse(row.offer) as OfferInput),
    eligible: row.eligible,
    draw: row.draw,
    epsilonMicro: row.epsilon_micro,
    dataCategories: JSON.parse(row.data_categories) as DataCategory[],
    reason: row.reason,
    message: row.message,
    period: row.budget_period,
    budgetLeftMicro: row.budget_left_micro,
    state: row.state,
    stateMs: row.state_ms,
  };
}

export interface ShopperActivityRow {
  readonly shownToday: number;
  readonly shownThisVisit: number;
  readonly lastShownMs: number | null;
}

/** A sticky draw (table offer_draws). The slot is what the sampler hides: it never leaves the offers feature. */
export interface StoredDraw {
  readonly pk: number;
  readonly period: string;
  readonly periodIndex: number;
  readonly rankingVersion: string;
  readonly eligibleSet: string;
  readonly slot: number;
  readonly offerId: string;
  readonly decisionId: string;
  readonly epsilonMicro: number;
  readonly dataCategories: readonly DataCategory[];
  readonly atMs: number;
}

export type NewDraw = Omit<StoredDraw, 'pk'>;

interface DrawRow {
  pk: number;
  period: string;
  period_index: number;
  ranking_version: string;
  eligible_set: string;
  slot: number;
  offer_id: string;
  decision_id: string;
  epsilon_micro: number;
  data_categories: string;
  at_ms: number;
}

function toDraw(row: DrawRow): StoredDraw {
  return {
    pk: row.pk,
    period: row.period,
    periodIndex: row.period_index,
    rankingVersion: row.ranking_version,
    eligibleSet: row.eligible_set,
    slot: row.slot,
    offerId: row.offer_id,
    decisionId: row.decision_id,
    epsilonMicro: row.epsilon_micro,
    dataCategories: JSON.parse(row.data_categories) as DataCategory[],
    atMs: row.at_ms,
  };
}

function quietFromColumn(value: string | null): QuietHours | null | 'default' {
  if (value === null) return 'default';
  if (value === '') return null;
  const [start, end] = value.split('-') as [string, string];
  return { start, end };
}

export function quietToColumn(value: QuietHours | null | 'default'): string | null {
  if (value === 'default') return null;
  if (value === null) return '';
  return `${value.start}-${value.end}`;
}

export type OfferStore = ReturnType<typeof createOfferStore>;

// Longer than a screen: the store's prepared statements and its methods, each a few lines (splitting would pass the statements around).
export function createOfferStore(db: Database) {
  const s = {
    catalogAll: db.prepare('SELECT id, body, source FROM offer_catalog ORDER BY id'),
    catalogUpsert: db.prepare(
      'INSERT INTO offer_catalog (id, body, source, updated_ms) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body, source = excluded.source, updated_ms = excluded.updated_ms',
    ),
    catalogDelete: db.prepare('DELETE FROM offer_catalog WHERE id = ?'),
    catalogClear: db.prepare('DELETE FROM offer_catalog'),
    profileGet: db.prepare(
      'SELECT quiet_hours, categories, brands, sizes, updated_ms FROM offer_profiles WHERE shopper_pk = ?',
    ),
    profileEnsure: db.prepare('INSERT OR IGNORE INTO offer_profiles (shopper_pk, updated_ms) VALUES (?, ?)'),
    profileQuiet: db.prepare('UPDATE offer_profiles SET quiet_hours = ?, updated_ms = ? WHERE shopper_pk = ?'),
    profilePrefs: db.prepare(
      'UPDATE offer_profiles SET categories = ?, brands = ?, sizes = ?, updated_ms = ? WHERE shopper_pk = ?',
    ),
    purchaseAdd: db.prepare(
      'INSERT INTO offer_purchases (id, shopper_pk, at_ms, sku, category, brand, size, source, decision_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    purchaseList: db.prepare(
      'SELECT id, at_ms, sku, category, brand, size, source, decision_id FROM offer_purchases WHERE shopper_pk = ? ORDER BY at_ms DESC, pk DESC',
    ),
    purchaseGet: db.prepare('SELECT id FROM offer_purchases WHERE shopper_pk = ? AND id = ?'),
    purchaseDelete: db.prepare('DELETE FROM offer_purchases WHERE shopper_pk = ? AND id = ?'),
    exclusionAdd: db.prepare(
      'INSERT INTO offer_exclusions (id, shopper_pk, purchase_id, sku, reason, created_ms) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    exclusionList: db.prepare(
      'SELECT id, purchase_id, sku, reason, created_ms FROM offer_exclusions WHERE shopper_pk = ? ORDER BY created_ms, pk',
    ),
    exclusionDelete: db.prepare('DELETE FROM offer_exclusions WHERE shopper_pk = ? AND id = ?'),
    exclusionDeleteForPurchase: db.prepare('DELETE FROM offer_exclusions WHERE shopper_pk = ? AND purchase_id = ?'),
    exclusionFind: db.prepare('SELECT id FROM offer_exclusions WHERE shopper_pk = ? AND (purchase_id = ? OR sku = ?)'),
    decisionAdd:
      db.prepare(`INSERT INTO offer_decisions (id, shopper_pk, at_ms, day, zone, entry_ms, visit_started_at, outcome, arm, offer_id, offer, eligible, draw,
      epsilon_micro, data_categories, reason, message, budget_period, budget_left_micro, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    decisionList: db.prepare('SELECT * FROM offer_decisions WHERE shopper_pk = ? ORDER BY at_ms DESC, pk DESC LIMIT ?'),
    decisionShown: db.prepare(
      "SELECT * FROM offer_decisions WHERE shopper_pk = ? AND outcome = 'shown' ORDER BY at_ms DESC, pk DESC LIMIT ?",
    ),
    decisionAfter: db.prepare(
      "SELECT * FROM offer_decisions WHERE shopper_pk = ? AND outcome = 'shown' AND pk > ? ORDER BY pk LIMIT 100",
    ),
    decisionGet: db.prepare('SELECT * FROM offer_decisions WHERE shopper_pk = ? AND id = ?'),
    decisionState: db.prepare(
      "UPDATE offer_decisions SET state = ?, state_ms = ? WHERE shopper_pk = ? AND id = ? AND state = 'active'",
    ),
    // The frequency caps look at today and yesterday (the minimum gap may cross midnight).
    activity: db.prepare(`SELECT
        COALESCE(SUM(CASE WHEN day = @day THEN 1 ELSE 0 END), 0) AS shownToday,
        COALESCE(SUM(CASE WHEN visit_started_at = @visit THEN 1 ELSE 0 END), 0) AS shownThisVisit,
        MAX(at_ms) AS lastShownMs
      FROM offer_decisions WHERE shopper_pk = @pk AND outcome = 'shown' AND day >= @day - 1 AND day <= @day`),
    feedback: db.prepare(
      "SELECT DISTINCT offer_id, state FROM offer_decisions WHERE shopper_pk = ? AND outcome = 'shown' AND state IN ('redeemed', 'dismissed')",
    ),
    retention: db.prepare('DELETE FROM offer_decisions WHERE at_ms < ?'),
    drawsFor: db.prepare(
      'SELECT * FROM offer_draws WHERE shopper_pk = ? AND period = ? AND eligible_set = ? ORDER BY pk DESC LIMIT 64',
    ),
    drawEarlier: db.prepare(
      'SELECT * FROM offer_draws WHERE shopper_pk = ? AND eligible_set = ? AND period_index < ? ORDER BY period_index DESC, pk DESC LIMIT 1',
    ),
    drawAdd:
      db.prepare(`INSERT INTO offer_draws (shopper_pk, period, period_index, ranking_version, eligible_set, slot, offer_id,
      decision_id, epsilon_micro, data_categories, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    drawList: db.prepare('SELECT * FROM offer_draws WHERE shopper_pk = ? ORDER BY pk DESC LIMIT ?'),
    drawPrune: db.prepare('DELETE FROM offer_draws WHERE period_index < ?'),
  };

  return {
    // ---- catalog
    catalogRows(): Array<{ id: string; body: unknown; source: 'file' | 'admin' }> {
      return (s.catalogAll.all() as Array<{ id: string; body: string; source: 'file' | 'admin' }>).map((r) => ({
        id: r.id,
        body: JSON.parse(r.body) as unknown,
        source: r.source,
      }));
    },
    upsertOffers(offers: readonly CatalogOffer[], source: 'file' | 'admin', nowMs: number): void {
      db.transaction(() => {
        for (const offer of offers) s.catalogUpsert.run(offer.id, JSON.stringify(publicOffer(offer)), source, nowMs);
      })();
    },
    replaceCatalog(offers: readonly CatalogOffer[], nowMs: number): void {
      db.transaction(() => {
        s.catalogClear.run();
        for (const offer of offers) s.catalogUpsert.run(offer.id, JSON.stringify(publicOffer(offer)), 'admin', nowMs);
      })();
    },
    deleteOffer(id: string): boolean {
      return s.catalogDelete.run(id).changes > 0;
    },

    // ---- profile
    profile(pk: number): OfferProfile {
      const row = s.profileGet.get(pk) as
        | { quiet_hours: string | null; categories: string; brands: string; sizes: string; updated_ms: number }
        | undefined;
      if (row === undefined)
        return { quietHours: 'default', preferences: { categories: [], brands: [], sizes: [] }, updatedMs: null };
      return {
        quietHours: quietFromColumn(row.quiet_hours),
        preferences: {
          categories: JSON.parse(row.categories) as string[],
          brands: JSON.parse(row.brands) as string[],
          sizes: JSON.parse(row.sizes) as string[],
        },
        updatedMs: row.updated_ms,
      };
    },
    setQuietHours(pk: number, quiet: QuietHours | null | 'default', nowMs: number): void {
      db.transaction(() => {
        s.profileEnsure.run(pk, nowMs);
        s.profileQuiet.run(quietToColumn(quiet), nowMs, pk);
      })();
    },
    setPreferences(pk: number, preferences: Preferences, nowMs: number): void {
      db.transaction(() => {
        s.profileEnsure.run(pk, nowMs);
        s.profilePrefs.run(
          JSON.stringify(preferences.categories),
          JSON.stringify(preferences.brands),
          JSON.stringify(preferences.sizes),
          nowMs,
          pk,
        );
      })();
    },

    // ---- purchases and exclusions
    addPurchases(pk: number, purchases: readonly StoredPurchase[]): void {
      db.transaction(() => {
        for (const p of purchases)
          s.purchaseAdd.run(p.id, pk, p.atMs, p.sku, p.category, p.brand, p.size, p.source, p.decisionId);
      })();
    },
    purchases(pk: number): StoredPurchase[] {
      return (
        s.purchaseList.all(pk) as Array<{
          id: string;
          at_ms: number;
          sku: string | null;
          category: string;
          brand: string | null;
          size: string | null;
          source: 'pos' | 'redemption';
          decision_id: string | null;
        }>
      ).map((r) => ({
        id: r.id,
        atMs: r.at_ms,
        sku: r.sku,
        category: r.category,
        brand: r.brand,
        size: r.size,
        source: r.source,
        decisionId: r.decision_id,
      }));
    },
    hasPurchase(pk: number, id: string): boolean {
      return s.purchaseGet.get(pk, id) !== undefined;
    },
    /** Deletes a purchase and any exclusion naming it. */
    deletePurchase(pk: number, id: string): boolean {
      return db.transaction(() => {
        s.exclusionDeleteForPurchase.run(pk, id);
        return s.purchaseDelete.run(pk, id).changes > 0;
      })();
    },
    addExclusion(pk: number, exclusion: StoredExclusion): void {
      s.exclusionAdd.run(exclusion.id, pk, exclusion.purchaseId, exclusion.sku, exclusion.reason, exclusion.createdMs);
    },
    findExclusion(pk: number, purchaseId: string | null, sku: string | null): string | null {
      const row = s.exclusionFind.get(pk, purchaseId, sku) as { id: string } | undefined;
      return row?.id ?? null;
    },
    exclusions(pk: number): StoredExclusion[] {
      return (
        s.exclusionList.all(pk) as Array<{
          id: string;
          purchase_id: string | null;
          sku: string | null;
          reason: 'gift' | 'not-for-me';
          created_ms: number;
        }>
      ).map((r) => ({ id: r.id, purchaseId: r.purchase_id, sku: r.sku, reason: r.reason, createdMs: r.created_ms }));
    },
    deleteExclusion(pk: number, id: string): boolean {
      return s.exclusionDelete.run(pk, id).changes > 0;
    },

    // ---- decisions (audit trail and budget ledger)
    addDecision(decision: NewDecision): number {
      const result = s.decisionAdd.run(
        decision.id,
        decision.shopperPk,
        decision.atMs,
        decision.day,
        decision.zone,
        decision.entryMs,
        decision.visitStartedAt,
        decision.outcome,
        decision.arm,
        decision.offerId,
        decision.offer === null ? null : JSON.stringify(decision.offer),
        decision.eligible,
        decision.draw,
        decision.epsilonMicro,
        JSON.stringify(decision.dataCategories),
        decision.reason,
        decision.message,
        decision.period,
        decision.budgetLeftMicro,
        decision.state,
      );
      return Number(result.lastInsertRowid);
    },
    decisions(pk: number, limit: number): DecisionRecord[] {
      return (s.decisionList.all(pk, limit) as DecisionRow[]).map(toDecision);
    },
    shownOffers(pk: number, limit: number): DecisionRecord[] {
      return (s.decisionShown.all(pk, limit) as DecisionRow[]).map(toDecision);
    },
    /** Shown offers with pk above `afterPk`, oldest first (SSE replay after Last-Event-ID). */
    shownAfter(pk: number, afterPk: number): DecisionRecord[] {
      return (s.decisionAfter.all(pk, afterPk) as DecisionRow[]).map(toDecision);
    },
    decision(pk: number, id: string): DecisionRecord | null {
      const row = s.decisionGet.get(pk, id) as DecisionRow | undefined;
      return row === undefined ? null : toDecision(row);
    },
    /** Moves an active offer to redeemed or dismissed; false when it was not active. */
    setState(pk: number, id: string, state: 'redeemed' | 'dismissed', nowMs: number): boolean {
      return s.decisionState.run(state, nowMs, pk, id).changes > 0;
    },
    activity(pk: number, day: number, visitStartedAt: number): ShopperActivityRow {
      const row = s.activity.get({ pk, day, visit: visitStartedAt }) as ShopperActivityRow;
      return row;
    },
    feedback(pk: number): { dismissed: string[]; redeemed: string[] } {
      const dismissed: string[] = [];
      const redeemed: string[] = [];
      for (const row of s.feedback.all(pk) as Array<{ offer_id: string; state: string }>)
        (row.state === 'dismissed' ? dismissed : redeemed).push(row.offer_id);
      return { dismissed, redeemed };
    },
    // ---- sticky draws
    /** The shopper's draws for a period and eligible set, newest first. */
    drawsFor(pk: number, period: string, eligibleSet: string): StoredDraw[] {
      return (s.drawsFor.all(pk, period, eligibleSet) as DrawRow[]).map(toDraw);
    },
    /** The newest draw for an eligible set in a period before `periodIndex`, or null. */
    drawBefore(pk: number, eligibleSet: string, periodIndex: number): StoredDraw | null {
      const row = s.drawEarlier.get(pk, eligibleSet, periodIndex) as DrawRow | undefined;
      return row === undefined ? null : toDraw(row);
    },
    addDraw(pk: number, draw: NewDraw): void {
      s.drawAdd.run(
        pk,
        draw.period,
        draw.periodIndex,
        draw.rankingVersion,
        draw.eligibleSet,
        draw.slot,
        draw.offerId,
        draw.decisionId,
        draw.epsilonMicro,
        JSON.stringify(draw.dataCategories),
        draw.atMs,
      );
    },
    /** The shopper's draws, newest first (their export shows them without the slot). */
    draws(pk: number, limit: number): StoredDraw[] {
      return (s.drawList.all(pk, limit) as DrawRow[]).map(toDraw);
    },
    /** Deletes the draws of periods before `firstKeptIndex`; returns rows deleted. */
    deleteDrawsBefore(firstKeptIndex: number): number {
      return s.drawPrune.run(firstKeptIndex).changes;
    },
    deleteDecisionsBefore(ms: number): number {
      return s.retention.run(ms).changes;
    },
  };
}
