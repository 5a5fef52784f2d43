-- hushpoint hub: privacy contract v2 (docs/privacy.md). The privacy unit is one shopper over one
-- budget period (a calendar month, quarter or year in the store's time zone), for the analytics
-- budget (zCDP, µρ) and the offers budget (ε, µε) alike: ONE ledger, keyed by the period the data
-- belongs to. The v1 tables (privacy_ledger, privacy_filtered: per shopper-day) are kept and
-- still readable; v1 releases stay in privacy_releases with version 1.

-- A shopper's spending in one budget period, per budget. excluded_by names the computation whose
-- cost would have passed the cap: the shopper is left out of the rest of that period.
CREATE TABLE budget_ledger (
  shopper_pk INTEGER NOT NULL,
  budget TEXT NOT NULL CHECK (budget IN ('analytics', 'offers')),
  period TEXT NOT NULL,
  period_index INTEGER NOT NULL,
  spent_micro INTEGER NOT NULL CHECK (spent_micro >= 0),
  charges INTEGER NOT NULL CHECK (charges >= 0),
  excluded_by TEXT,
  PRIMARY KEY (shopper_pk, budget, period)
) WITHOUT ROWID;
CREATE INDEX budget_ledger_period ON budget_ledger (budget, period_index);

-- The same spending by what spent it (a release kind, or "offer"), for the shopper's audit trail.
CREATE TABLE budget_charges (
  shopper_pk INTEGER NOT NULL,
  budget TEXT NOT NULL,
  period TEXT NOT NULL,
  item TEXT NOT NULL,
  spent_micro INTEGER NOT NULL CHECK (spent_micro >= 0),
  charges INTEGER NOT NULL CHECK (charges >= 0),
  PRIMARY KEY (shopper_pk, budget, period, item)
) WITHOUT ROWID;

CREATE TRIGGER budget_forget_shopper AFTER DELETE ON shoppers
BEGIN
  DELETE FROM budget_ledger WHERE shopper_pk = OLD.pk;
  DELETE FROM budget_charges WHERE shopper_pk = OLD.pk;
END;

-- Releases: v2 windows are days, weeks (cut at the period's edge) and whole periods, and each
-- release names its budget period. period_unit/start/end hold the release's window (v1: its hour
-- or day). The table is rebuilt to widen the unit's CHECK; every v1 row is kept as it was.
CREATE TABLE privacy_releases_v2 (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version IN (1, 2)),
  period_unit TEXT NOT NULL CHECK (period_unit IN ('hour', 'day', 'week', 'period')),
  period_start_ms INTEGER NOT NULL,
  period_end_ms INTEGER NOT NULL,
  day INTEGER NOT NULL,
  budget_period TEXT,
  computed_ms INTEGER NOT NULL,
  privacy_unit TEXT NOT NULL,
  mechanism TEXT NOT NULL,
  rho TEXT NOT NULL,
  rho_micro INTEGER NOT NULL,
  epsilon REAL NOT NULL,
  delta REAL NOT NULL,
  contributors INTEGER NOT NULL,
  excluded_budget INTEGER NOT NULL,
  excluded_filtered INTEGER NOT NULL,
  excluded_cell_cap INTEGER NOT NULL,
  charged_micro INTEGER NOT NULL,
  body BLOB NOT NULL
) WITHOUT ROWID;
INSERT INTO privacy_releases_v2 (id, kind, version, period_unit, period_start_ms, period_end_ms, day, budget_period,
  computed_ms, privacy_unit, mechanism, rho, rho_micro, epsilon, delta, contributors, excluded_budget, excluded_filtered,
  excluded_cell_cap, charged_micro, body)
SELECT id, kind, 1, period_unit, period_start_ms, period_end_ms, day, NULL, computed_ms, privacy_unit, mechanism, rho,
  rho_micro, epsilon, delta, contributors, excluded_budget, excluded_filtered, excluded_cell_cap, charged_micro, body
FROM privacy_releases;
DROP TABLE privacy_releases;
ALTER TABLE privacy_releases_v2 RENAME TO privacy_releases;
CREATE INDEX privacy_releases_kind ON privacy_releases (kind, period_start_ms);
CREATE INDEX privacy_releases_period ON privacy_releases (budget_period, kind);

-- v2 release kinds start at the first whole window after the upgrade (their own "since"), so no
-- window already covered by v1 releases is released again.
CREATE TABLE privacy_windows_since (
  kind TEXT PRIMARY KEY,
  since_ms INTEGER NOT NULL
) WITHOUT ROWID;
