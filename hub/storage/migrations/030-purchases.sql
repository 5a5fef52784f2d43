-- hushpoint hub: the point of sale's purchases (hub/purchases, docs/purchases.md). An imported
-- POS line is a row of offer_purchases (migration 020) with source 'pos'; its id is derived from
-- the line's content, so importing the same export again inserts nothing (INSERT OR IGNORE).
-- The raw POS customer id is never stored: customer_links holds its HMAC-SHA256 under the
-- store's link key (a secret file), and erasing a shopper erases their link and purchases.

-- What the POS line said, beside what offers use (sku, category, at_ms): the invoice, the
-- quantity, the unit price and the store-local minute the POS printed (minutes since
-- 1970-01-01 00:00 on the store's wall clock; at_ms is that minute in UTC).
ALTER TABLE offer_purchases ADD COLUMN invoice TEXT;
ALTER TABLE offer_purchases ADD COLUMN quantity INTEGER;
ALTER TABLE offer_purchases ADD COLUMN unit_price REAL;
ALTER TABLE offer_purchases ADD COLUMN local_minute INTEGER;
-- The conversion release reads POS purchases by time (source = 'pos' AND at_ms in a window).
CREATE INDEX offer_purchases_source ON offer_purchases (source, at_ms);

-- The customer-id link ('linked' mode): HMAC-SHA256(link key, POS customer id) → the shopper.
-- One link per shopper and one shopper per customer hash.
CREATE TABLE customer_links (
  customer_hash BLOB PRIMARY KEY CHECK (length(customer_hash) = 32),
  shopper_pk INTEGER NOT NULL UNIQUE,
  linked_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- Every import that committed: the file's SHA-256, what it held and what became of it.
-- Counts only: no line, no customer and no shopper.
CREATE TABLE purchase_imports (
  pk INTEGER PRIMARY KEY,
  digest BLOB NOT NULL CHECK (length(digest) = 32),
  source TEXT NOT NULL,
  link_mode TEXT NOT NULL CHECK (link_mode IN ('linked', 'shopper-id')),
  lines INTEGER NOT NULL,
  imported INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  rejected INTEGER NOT NULL,
  by_reason TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX purchase_imports_digest ON purchase_imports (digest);

-- POS purchases the shopper deleted from their history (DELETE /v1/me/history/:id): a re-import
-- of the same export must not bring them back. Only the purchase's id (a digest of the line) is
-- kept, with the shopper, and it goes with the shopper's erasure. When the shopper is being erased
-- their row in shoppers is already gone, so their purchases leave no record.
CREATE TABLE purchase_deletions (
  id TEXT PRIMARY KEY,
  shopper_pk INTEGER NOT NULL,
  deleted_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX purchase_deletions_shopper ON purchase_deletions (shopper_pk);
CREATE TRIGGER purchases_remember_deletion AFTER DELETE ON offer_purchases
WHEN OLD.source = 'pos' AND EXISTS (SELECT 1 FROM shoppers WHERE pk = OLD.shopper_pk)
BEGIN
  INSERT OR IGNORE INTO purchase_deletions (id, shopper_pk, deleted_ms)
  VALUES (OLD.id, OLD.shopper_pk, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
END;

-- Erasure: a deleted shopper's link, POS purchases and deletion records go with them
-- (offers_forget_shopper also empties offer_purchases; this trigger does not depend on it).
CREATE TRIGGER purchases_forget_shopper AFTER DELETE ON shoppers
BEGIN
  DELETE FROM customer_links WHERE shopper_pk = OLD.pk;
  DELETE FROM offer_purchases WHERE shopper_pk = OLD.pk;
  DELETE FROM purchase_deletions WHERE shopper_pk = OLD.pk;
END;
