import type { ErrorCode } from '../../shared/errors.ts';
import type { NormalizedRelease } from './core/normalize.ts';

/**
 * HQ's storage port: SQLite (one laptop, one small chain; the default) and PostgreSQL (a chain)
 * implement it and pass the same contract tests (hq-store.contract.ts).
 *
 * Idempotency by release id: `ingest` stores a release once per (store, release id). The same
 * bytes again — a QoS 1 redelivery, a store's retry, a replayed week — are a counted duplicate
 * and change nothing else; different bytes under a stored id are refused ('mismatch') and
 * quarantined: a release is computed once and never re-computed or re-noised.
 * A batch is one transaction: all of it is stored, or none (then the caller retries it).
 */

export type IngestSource = 'https' | 'mqtt' | 'file';
export type IngestOutcome = 'stored' | 'duplicate' | 'mismatch';

export interface IncomingRelease {
  readonly normalized: NormalizedRelease;
  /** The exact bytes received (stored verbatim). */
  readonly body: Buffer;
  /** SHA-256 of body. */
  readonly sha256: Buffer;
  readonly source: IngestSource;
  /** MQTT topic it came on, for the quarantine of a mismatch. */
  readonly topic?: string;
}

export interface QuarantineEntry {
  readonly source: IngestSource;
  readonly topic: string | null;
  readonly store: string | null;
  readonly releaseId: string | null;
  readonly code: ErrorCode;
  readonly reason: string;
  /** The first QUARANTINE_BODY_BYTES of what arrived (null for a refusal before the body). */
  readonly body: Buffer | null;
}

export interface QuarantinedRelease extends QuarantineEntry {
  readonly id: number;
  readonly receivedMs: number;
}

export const QUARANTINE_BODY_BYTES = 64 * 1024;

export interface StoredRelease {
  readonly store: string;
  readonly releaseId: string;
  readonly kind: string;
  readonly version: 1 | 2;
  readonly windowUnit: string;
  readonly windowLabel: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly localStart: string;
  readonly budgetPeriod: string;
  readonly source: IngestSource;
  readonly body: Buffer;
  readonly receivedMs: number;
  readonly deliveries: number;
}

export interface ReleaseFilter {
  readonly store?: string;
  readonly kind?: string;
  readonly budgetPeriod?: string;
  /** Windows starting at or after (Unix s). */
  readonly fromUnix?: number;
  /** Windows starting before (Unix s). */
  readonly toUnix?: number;
  readonly limit?: number;
}

/** Sums of released "cells" values, grouped by window (local start), metric, cell and granularity. */
export interface CellAggregateQuery {
  readonly kind: string;
  readonly windowUnit?: string;
  /** Local dates "YYYY-MM-DD": windows whose local start is in [fromDate, toDate). */
  readonly fromDate: string;
  readonly toDate: string;
  /** Only these stores (null: all). */
  readonly stores: readonly string[] | null;
  /** Also group by store (the store view). */
  readonly byStore?: boolean;
}

export interface CellAggregateRow {
  readonly localStart: string;
  readonly windowLabel: string;
  readonly windowUnit: string;
  readonly store: string | null;
  readonly metric: string;
  readonly cell: string;
  readonly granularity: string;
  /** Σ of the released integers (exact). */
  readonly total: bigint;
  /** Σ of their noise variances (real units). */
  readonly variance: number;
  /** How many values were summed (one per store and window). */
  readonly values: number;
}

export interface IngestCounts {
  /** Distinct releases stored. */
  readonly releases: number;
  /** Copies received of stored releases beyond the first. */
  readonly duplicates: number;
  readonly quarantined: number;
}

export interface StoreSummary {
  readonly store: string;
  readonly releases: number;
  readonly lastReceivedMs: number;
}

export interface HqStore {
  readonly engine: 'sqlite' | 'postgres';
  /** Stores a batch in one transaction; outcomes in the batch's order. */
  ingest(batch: readonly IncomingRelease[], nowMs: number): Promise<IngestOutcome[]>;
  quarantine(entries: readonly QuarantineEntry[], nowMs: number): Promise<void>;
  getRelease(store: string, releaseId: string): Promise<StoredRelease | null>;
  listReleases(filter?: ReleaseFilter): Promise<StoredRelease[]>;
  aggregateCells(query: CellAggregateQuery): Promise<CellAggregateRow[]>;
  counts(): Promise<IngestCounts>;
  /** Local dates of the first and last window stored (null when empty). */
  dateRange(): Promise<{ first: string | null; last: string | null }>;
  stores(): Promise<StoreSummary[]>;
  quarantined(options?: { limit?: number }): Promise<QuarantinedRelease[]>;
  close(): Promise<void>;
}
