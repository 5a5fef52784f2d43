-- The reference collector's schema (hushpoint collector, before HQ). Kept so that a database it
-- wrote is recognised; 002 moves its releases into HQ's tables.
CREATE TABLE IF NOT EXISTS releases (
  store TEXT NOT NULL,
  release_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  period_unit TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  period_end INTEGER NOT NULL,
  period_label TEXT NOT NULL,
  body BLOB NOT NULL,
  body_sha256 TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  deliveries INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (store, release_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS releases_kind ON releases (store, kind, period_start);
CREATE TABLE IF NOT EXISTS release_values (
  store TEXT NOT NULL,
  release_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  cell TEXT NOT NULL,
  position INTEGER NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (store, release_id, metric, cell)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refusals (
  pk INTEGER PRIMARY KEY,
  received_ms INTEGER NOT NULL,
  store TEXT,
  release_id TEXT,
  code TEXT NOT NULL,
  message TEXT NOT NULL
);
