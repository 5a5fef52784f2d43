import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.ts';
import type { LinkMode } from '../config.schema.ts';
import type { PurchaseRow } from '../core/purchase-import.ts';

/**
 * The purchases' tables (migration 030): POS rows in offer_purchases (source 'pos'), the
 * customer links (HMAC of the POS customer id → shopper), and the record of each import.
 */

export interface ImportRecord {
  readonly digest: Buffer;
  readonly source: string;
  readonly linkMode: LinkMode;
  readonly lines: number;
  readonly rejected: number;
  readonly byReason: Readonly<Record<string, number>>;
  readonly atMs: number;
}

export interface ImportCounts {
  readonly imported: number;
  readonly duplicates: number;
  readonly deletedByShoppers: number;
}

export interface StoredLink {
  readonly shopperPk: number;
  readonly linkedMs: number;
}

export type PurchaseStore = ReturnType<typeof createPurchaseStore>;

export function createPurchaseStore(db: Database) {
  const s = {
    linkByHash: db.prepare('SELECT shopper_pk FROM customer_links WHERE customer_hash = ?').pluck(),
    linkOf: db.prepare('SELECT shopper_pk, linked_ms FROM customer_links WHERE shopper_pk = ?'),
    linkDeleteShopper: db.prepare('DELETE FROM customer_links WHERE shopper_pk = ?'),
    linkInsert: db.prepare('INSERT INTO customer_links (customer_hash, shopper_pk, linked_ms) VALUES (?, ?, ?)'),
    shopperPk: db.prepare('SELECT pk FROM shoppers WHERE id = ?').pluck(),
    insert: db.prepare(
      `INSERT OR IGNORE INTO offer_purchases (id, shopper_pk, at_ms, sku, category, source, invoice, quantity, unit_price, local_minute)
       VALUES (?, ?, ?, ?, ?, 'pos', ?, ?, ?, ?)`,
    ),
    record: db.prepare(
      `INSERT INTO purchase_imports (digest, source, link_mode, lines, imported, duplicates, rejected, by_reason, at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    deletedIds: db.prepare('SELECT id FROM purchase_deletions').pluck(),
    earlier: db.prepare('SELECT COUNT(*) FROM purchase_imports WHERE digest = ?').pluck(),
    posCount: db.prepare("SELECT COUNT(*) FROM offer_purchases WHERE source = 'pos'").pluck(),
  };

  return {
    /** The shopper a customer hash is linked to, or null. */
    linkedShopper(customerHash: Buffer): number | null {
      return (s.linkByHash.get(customerHash) as number | undefined) ?? null;
    },
    shopperPk(id: string): number | null {
      return (s.shopperPk.get(id) as number | undefined) ?? null;
    },
    linkOf(shopperPk: number): StoredLink | null {
      const row = s.linkOf.get(shopperPk) as { shopper_pk: number; linked_ms: number } | undefined;
      return row === undefined ? null : { shopperPk: row.shopper_pk, linkedMs: row.linked_ms };
    },
    /**
     * Links the customer hash to the shopper, replacing the shopper's earlier link. A hash
     * already linked to another shopper is a conflict (one customer, one shopper).
     */
    setLink(customerHash: Buffer, shopperPk: number, nowMs: number): { replaced: boolean } {
      return db.transaction(() => {
        const holder = (s.linkByHash.get(customerHash) as number | undefined) ?? null;
        if (holder !== null && holder !== shopperPk)
          throw new AppError(
            'API_CONFLICT',
            'This customer id is already linked to another shopper; unlink that shopper first',
            { details: { field: '/customerId' } },
          );
        const replaced = s.linkDeleteShopper.run(shopperPk).changes > 0;
        s.linkInsert.run(customerHash, shopperPk, nowMs);
        return { replaced };
      })();
    },
    removeLink(shopperPk: number): boolean {
      return s.linkDeleteShopper.run(shopperPk).changes > 0;
    },
    /** How many committed imports had this file digest. */
    importsOf(digest: Buffer): number {
      return s.earlier.get(digest) as number;
    },
    posPurchases(): number {
      return s.posCount.get() as number;
    },
    /**
     * One import in ONE transaction: `fill` adds the rows as the file is read and returns the
     * import's record, written last, with what the caller wants back. A failure anywhere — a full disk, a failing row, a file
     * `fill` finds unusable — rolls all of it back. Rows whose id is already there are
     * duplicates; rows the shopper deleted from their history stay deleted.
     */
    commitImport<T>(
      fill: (add: (row: PurchaseRow) => void) => { record: ImportRecord; result: T },
    ): ImportCounts & { result: T } {
      return db
        .transaction(() => {
          let accepted = 0;
          let imported = 0;
          let deletedByShoppers = 0;
          // Shoppers delete few purchases: one read of them all beats a look-up per row.
          const deleted = new Set(s.deletedIds.all() as string[]);
          const { record, result } = fill((r) => {
            accepted++;
            if (deleted.size > 0 && deleted.has(r.id)) {
              deletedByShoppers++;
              return;
            }
            imported += s.insert.run(
              r.id,
              r.shopperPk,
              r.atMs,
              r.sku,
              r.category,
              r.invoice,
              r.quantity,
              r.unitPrice,
              r.localMinute,
            ).changes;
          });
          const duplicates = accepted - imported - deletedByShoppers;
          s.record.run(
            record.digest,
            record.source,
            record.linkMode,
            record.lines,
            imported,
            duplicates,
            record.rejected,
            JSON.stringify(record.byReason),
            record.atMs,
          );
          return { imported, duplicates, deletedByShoppers, result };
          // IMMEDIATE: take the write lock before the first read, so that the hub and the CLI writing
          // the same file wait for each other (busy timeout) instead of failing on a stale snapshot.
        })
        .immediate();
    },
  };
}
