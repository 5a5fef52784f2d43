-- HQ's schema on PostgreSQL (docs/hq.md). Times are Unix seconds (bigint); releases and their
-- values are partitioned by the UTC month of their window's start, created on demand
-- (postgres-partitions.ts); the idempotency keys are one global table, since a unique key of a
-- partitioned table must contain the partition key.

-- One row per (store, release id): idempotency. deliveries counts every copy received.
CREATE TABLE release_keys (
  store text NOT NULL,
  release_id text NOT NULL,
  sha256 bytea NOT NULL,
  kind text NOT NULL,
  window_start bigint NOT NULL,
  received_ms bigint NOT NULL,
  deliveries integer NOT NULL,
  PRIMARY KEY (store, release_id)
);

-- The exact bytes of every release, as the store computed them.
CREATE TABLE releases (
  window_start bigint NOT NULL,
  window_end bigint NOT NULL,
  store text NOT NULL,
  release_id text NOT NULL,
  kind text NOT NULL,
  version smallint NOT NULL,
  window_unit text NOT NULL,
  window_label text NOT NULL,
  local_start text NOT NULL,
  budget_period text NOT NULL,
  source text NOT NULL,
  received_ms bigint NOT NULL,
  body bytea NOT NULL,
  PRIMARY KEY (window_start, store, release_id)
) PARTITION BY RANGE (window_start);
CREATE INDEX releases_kind_period ON releases (kind, budget_period, store);
CREATE INDEX releases_store_kind ON releases (store, kind, window_start);

-- One row per released value of a "cells" measure: what the views aggregate (kind × period ×
-- store). The index covers the aggregate, so a view reads the index only.
CREATE TABLE cell_values (
  window_start bigint NOT NULL,
  store text NOT NULL,
  release_id text NOT NULL,
  kind text NOT NULL,
  metric text NOT NULL,
  cell text NOT NULL,
  window_unit text NOT NULL,
  window_label text NOT NULL,
  local_start text NOT NULL,
  value bigint NOT NULL,
  granularity text NOT NULL,
  variance double precision NOT NULL
) PARTITION BY RANGE (window_start);
CREATE INDEX cell_values_kind_period_store ON cell_values (kind, local_start, store)
  INCLUDE (metric, cell, window_unit, window_label, value, granularity, variance);

-- Payloads that could not be stored, with the reason.
CREATE TABLE quarantine (
  id bigserial PRIMARY KEY,
  received_ms bigint NOT NULL,
  source text NOT NULL,
  topic text,
  store text,
  release_id text,
  code text NOT NULL,
  reason text NOT NULL,
  body bytea
);
CREATE INDEX quarantine_received ON quarantine (received_ms);
