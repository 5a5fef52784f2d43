-- hushpoint hub: initial schema. Times are Unix milliseconds (…_ms) or Unix seconds
-- (window_start, the wire protocol's unit). Shoppers are referenced by their integer rowid
-- (shopper_pk) inside the hub; their public id only appears in the shoppers table.

CREATE TABLE gateways (
  pk INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  zone TEXT NOT NULL,
  -- scrypt$N$r$p$salt$hash (base64url); the credential itself is never stored.
  credential_hash TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  rotated_ms INTEGER,
  revoked_ms INTEGER,
  state TEXT NOT NULL DEFAULT 'unknown' CHECK (state IN ('unknown', 'online', 'offline')),
  last_status TEXT,
  last_status_ms INTEGER,
  last_batch_ms INTEGER,
  last_seq INTEGER
);

CREATE TABLE shoppers (
  pk INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  identity_key BLOB NOT NULL CHECK (length(identity_key) = 16),
  exponent INTEGER NOT NULL CHECK (exponent BETWEEN 0 AND 15),
  presence_for_offers INTEGER NOT NULL DEFAULT 0,
  analytics INTEGER NOT NULL DEFAULT 0,
  paused_until_ms INTEGER,
  -- SHA-256 of the bearer token (hex); NULL for shoppers imported without a token.
  token_hash TEXT UNIQUE,
  created_ms INTEGER NOT NULL
);

-- One row per accepted presence batch: (gateway, seq) makes a replay a no-op.
CREATE TABLE batches (
  gateway TEXT NOT NULL,
  seq INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  window_seconds INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  sightings INTEGER NOT NULL,
  resolved INTEGER NOT NULL,
  dropped INTEGER NOT NULL,
  PRIMARY KEY (gateway, seq)
) WITHOUT ROWID;
CREATE INDEX batches_received ON batches (received_ms);

-- Resolved sightings (raw presence, kept hours). band: 0 near, 1 mid, 2 far.
CREATE TABLE sightings (
  window_start INTEGER NOT NULL,
  window_seconds INTEGER NOT NULL,
  shopper_pk INTEGER NOT NULL,
  gateway TEXT NOT NULL,
  zone TEXT NOT NULL,
  band INTEGER NOT NULL,
  hits INTEGER NOT NULL
);
CREATE INDEX sightings_window ON sightings (window_start);

-- Payloads from authenticated gateways that failed validation: acknowledged, kept with every problem.
CREATE TABLE quarantine (
  pk INTEGER PRIMARY KEY,
  received_ms INTEGER NOT NULL,
  client_id TEXT NOT NULL,
  gateway TEXT NOT NULL,
  topic TEXT NOT NULL,
  problems TEXT NOT NULL,
  payload BLOB NOT NULL
);
CREATE INDEX quarantine_received ON quarantine (received_ms);

CREATE TABLE command_replies (
  pk INTEGER PRIMARY KEY,
  received_ms INTEGER NOT NULL,
  gateway TEXT NOT NULL,
  command TEXT NOT NULL,
  transaction_id TEXT NOT NULL,
  ok INTEGER NOT NULL,
  body TEXT NOT NULL
);

-- Counters for `hushpoint hub stats`, readable from another process.
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- The presence model's output: one zone per shopper-window.
CREATE TABLE zone_windows (
  shopper_pk INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  window_seconds INTEGER NOT NULL,
  zone TEXT NOT NULL,
  PRIMARY KEY (shopper_pk, window_start)
) WITHOUT ROWID;
CREATE INDEX zone_windows_start ON zone_windows (window_start);

-- The presence model's per-shopper state (JSON), so a restart continues where it stopped.
CREATE TABLE presence_state (
  shopper_pk INTEGER PRIMARY KEY,
  state TEXT NOT NULL
);

-- Visits and dwell: times in Unix seconds (window times).
CREATE TABLE visits (
  pk INTEGER PRIMARY KEY,
  shopper_pk INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE UNIQUE INDEX visits_shopper_start ON visits (shopper_pk, started_at);
CREATE INDEX visits_ended ON visits (ended_at);

CREATE TABLE visit_zones (
  visit_pk INTEGER NOT NULL,
  zone TEXT NOT NULL,
  dwell_seconds INTEGER NOT NULL,
  first_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  PRIMARY KEY (visit_pk, zone)
) WITHOUT ROWID;
