-- HQ's tables (the same as PostgreSQL's 001, without partitions). The collector's tables become
-- legacy_*; the store re-ingests their releases through the normal path and then drops them.
ALTER TABLE releases RENAME TO legacy_releases;
DROP INDEX IF EXISTS releases_kind;
DROP TABLE release_values;
ALTER TABLE refusals RENAME TO legacy_refusals;

-- One row per (store, release id): idempotency. deliveries counts every copy received.
CREATE TABLE release_keys (
  store TEXT NOT NULL,
  release_id TEXT NOT NULL,
  sha256 BLOB NOT NULL,
  kind TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  deliveries INTEGER NOT NULL,
  PRIMARY KEY (store, release_id)
) WITHOUT ROWID;

-- The exact bytes of every release, as the store computed them.
CREATE TABLE releases (
  window_start INTEGER NOT NULL,
  window_end INTEGER NOT NULL,
  store TEXT NOT NULL,
  release_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  version INTEGER NOT NULL,
  window_unit TEXT NOT NULL,
  window_label TEXT NOT NULL,
  local_start TEXT NOT NULL,
  budget_period TEXT NOT NULL,
  source TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (window_start, store, release_id)
);
CREATE INDEX releases_kind_period ON releases (kind, budget_period, store);
CREATE INDEX releases_store_kind ON releases (store, kind, window_start);

-- One row per released value of a "cells" measure: what the views aggregate (kind × period × store).
CREATE TABLE cell_values (
  window_start INTEGER NOT NULL,
  store TEXT NOT NULL,
  release_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  metric TEXT NOT NULL,
  cell TEXT NOT NULL,
  window_unit TEXT NOT NULL,
  window_label TEXT NOT NULL,
  local_start TEXT NOT NULL,
  value INTEGER NOT NULL,
  granularity TEXT NOT NULL,
  variance REAL NOT NULL
);
CREATE INDEX cell_values_kind_period_store ON cell_values (kind, local_start, store);

-- Payloads that could not be stored, with the reason (bad bytes, wrong topic, a replayed id with
-- different bytes, a refused signature).
CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY,
  received_ms INTEGER NOT NULL,
  source TEXT NOT NULL,
  topic TEXT,
  store TEXT,
  release_id TEXT,
  code TEXT NOT NULL,
  reason TEXT NOT NULL,
  body BLOB
);
CREATE INDEX quarantine_received ON quarantine (received_ms);
