-- hushpoint hub: the analytics privacy ledger (zCDP, per shopper-day), the DP releases and the
-- upstream outbox. ρ is held in integer micro-units (µρ). A release, its noisy values, its ledger
-- charges and its outbox entry are written in ONE transaction (hub/privacy/release-service.ts).
-- The offers' ε-per-offer budget is a separate ledger owned by the offers feature.

-- Charges, aggregated per shopper, local day (days since 1970-01-01 of the store's date) and
-- release kind: a shopper-day's spending is the sum over its kinds.
CREATE TABLE privacy_ledger (
  shopper_pk INTEGER NOT NULL,
  day INTEGER NOT NULL,
  kind TEXT NOT NULL,
  rho_micro INTEGER NOT NULL CHECK (rho_micro >= 0),
  cells INTEGER NOT NULL CHECK (cells >= 0),
  releases INTEGER NOT NULL CHECK (releases >= 0),
  PRIMARY KEY (shopper_pk, day, kind)
) WITHOUT ROWID;
CREATE INDEX privacy_ledger_day ON privacy_ledger (day);

-- Shopper-days left out of further releases because a release would have exceeded a cap.
CREATE TABLE privacy_filtered (
  shopper_pk INTEGER NOT NULL,
  day INTEGER NOT NULL,
  release_id TEXT NOT NULL,
  PRIMARY KEY (shopper_pk, day)
) WITHOUT ROWID;

-- One row per release key: the key is the primary key, so a release is never computed twice.
-- body holds the exact bytes sent upstream (and re-sent verbatim on every retry).
CREATE TABLE privacy_releases (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  period_unit TEXT NOT NULL CHECK (period_unit IN ('hour', 'day')),
  period_start_ms INTEGER NOT NULL,
  period_end_ms INTEGER NOT NULL,
  day INTEGER NOT NULL,
  computed_ms INTEGER NOT NULL,
  privacy_unit TEXT NOT NULL,
  mechanism TEXT NOT NULL,
  -- the release's cost for a shopper at the bound: exact rational text, µρ (rounded up), (ε, δ)
  rho TEXT NOT NULL,
  rho_micro INTEGER NOT NULL,
  epsilon REAL NOT NULL,
  delta REAL NOT NULL,
  -- local bookkeeping only (exact counts: never sent upstream)
  contributors INTEGER NOT NULL,
  excluded_budget INTEGER NOT NULL,
  excluded_filtered INTEGER NOT NULL,
  excluded_cell_cap INTEGER NOT NULL,
  charged_micro INTEGER NOT NULL,
  body BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX privacy_releases_kind ON privacy_releases (kind, period_start_ms);

-- The noisy values of each release (the same numbers as in body), for local views.
CREATE TABLE privacy_release_values (
  release_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  cell TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (release_id, metric, cell)
) WITHOUT ROWID;

-- Per release kind: the start of the first period it is released for (catch-up never goes earlier).
CREATE TABLE privacy_kinds (
  kind TEXT PRIMARY KEY,
  since_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- Releases not yet delivered upstream. state: pending (to send or retry), sent, rejected
-- (the receiver refused the bytes for good, e.g. a different body for the same id).
CREATE TABLE upstream_outbox (
  release_id TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'rejected')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  last_attempt_ms INTEGER,
  last_error TEXT,
  sent_ms INTEGER,
  transport TEXT
) WITHOUT ROWID;
CREATE INDEX upstream_outbox_pending ON upstream_outbox (state, next_attempt_ms);

-- A deleted shopper's ledger goes with them (their pk may be reused by a new shopper).
CREATE TRIGGER privacy_forget_shopper AFTER DELETE ON shoppers
BEGIN
  DELETE FROM privacy_ledger WHERE shopper_pk = OLD.pk;
  DELETE FROM privacy_filtered WHERE shopper_pk = OLD.pk;
END;

-- The hourly "store visits" release reads visits by start time.
CREATE INDEX IF NOT EXISTS privacy_visits_started ON visits (started_at);
