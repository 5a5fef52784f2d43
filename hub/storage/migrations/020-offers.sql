-- hushpoint hub: offers (catalog, the shopper's offer profile, purchase history and exclusions,
-- and the audit trail of decisions, which is also the ε ledger of the offer budget).
-- ε is held in integer micro-units (µε). Every shopper-linked table is emptied for a shopper by
-- the trigger at the end when their row in `shoppers` is deleted (erasure).

-- The catalog: one validated offer per row (JSON as shown to shoppers). source: file | admin.
CREATE TABLE offer_catalog (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('file', 'admin')),
  updated_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- The shopper's own settings for offers. quiet_hours: NULL = the store default, '' = none,
-- 'HH:MM-HH:MM' = their own. Lists are JSON arrays of strings.
CREATE TABLE offer_profiles (
  shopper_pk INTEGER PRIMARY KEY,
  quiet_hours TEXT,
  categories TEXT NOT NULL DEFAULT '[]',
  brands TEXT NOT NULL DEFAULT '[]',
  sizes TEXT NOT NULL DEFAULT '[]',
  updated_ms INTEGER NOT NULL
);

-- Purchases (from the point of sale, or a redeemed offer). Used for ranking unless excluded.
CREATE TABLE offer_purchases (
  pk INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  shopper_pk INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  sku TEXT,
  category TEXT NOT NULL,
  brand TEXT,
  size TEXT,
  source TEXT NOT NULL CHECK (source IN ('pos', 'redemption')),
  decision_id TEXT
);
CREATE INDEX offer_purchases_shopper ON offer_purchases (shopper_pk, at_ms);

-- Purchases (by id) or items (by SKU) the shopper excluded, e.g. gifts: never used for ranking.
CREATE TABLE offer_exclusions (
  pk INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  shopper_pk INTEGER NOT NULL,
  purchase_id TEXT,
  sku TEXT,
  reason TEXT NOT NULL CHECK (reason IN ('gift', 'not-for-me')),
  created_ms INTEGER NOT NULL,
  CHECK ((purchase_id IS NULL) <> (sku IS NULL))
);
CREATE INDEX offer_exclusions_shopper ON offer_exclusions (shopper_pk);

-- The audit trail: every decision (an offer shown) and every refusal, with what it cost and why.
-- A shown offer's epsilon_micro is what it charged the shopper's offer budget (the ledger is
-- the sum over this table per local day). state tracks the shown offer: active, redeemed, dismissed.
CREATE TABLE offer_decisions (
  pk INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  shopper_pk INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  day INTEGER NOT NULL,
  zone TEXT NOT NULL,
  entry_ms INTEGER NOT NULL,
  visit_started_at INTEGER NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('shown', 'refused')),
  arm TEXT CHECK (arm IN ('personalised', 'holdout')),
  offer_id TEXT,
  offer TEXT,
  eligible INTEGER NOT NULL,
  rank INTEGER,
  k INTEGER,
  weight_a INTEGER,
  weight_b INTEGER,
  total_weight INTEGER,
  real_epsilon REAL,
  epsilon_micro INTEGER NOT NULL DEFAULT 0 CHECK (epsilon_micro >= 0),
  data_categories TEXT NOT NULL DEFAULT '[]',
  reason TEXT,
  message TEXT,
  budget_day_left_micro INTEGER NOT NULL,
  budget_window_left_micro INTEGER NOT NULL,
  state TEXT CHECK (state IN ('active', 'redeemed', 'dismissed')),
  state_ms INTEGER
);
CREATE INDEX offer_decisions_shopper ON offer_decisions (shopper_pk, day, at_ms);
CREATE INDEX offer_decisions_day ON offer_decisions (day, outcome);

-- Erasure: a deleted shopper's offer data goes with them (their pk may be reused).
CREATE TRIGGER offers_forget_shopper AFTER DELETE ON shoppers
BEGIN
  DELETE FROM offer_profiles WHERE shopper_pk = OLD.pk;
  DELETE FROM offer_purchases WHERE shopper_pk = OLD.pk;
  DELETE FROM offer_exclusions WHERE shopper_pk = OLD.pk;
  DELETE FROM offer_decisions WHERE shopper_pk = OLD.pk;
END;
