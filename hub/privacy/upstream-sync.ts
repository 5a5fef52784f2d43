import type { Logger } from '../../shared/ports/logger.ts';
import type { SqliteReleases } from './adapters/sqlite-releases.ts';
import type { UpstreamSender } from './upstream-sender.ts';

/**
 * One run of the upstream sync: sends the pending releases whose retry time has come, oldest
 * period first, and records each outcome. What is sent is always the stored body (never
 * rebuilt), so every retry sends the identical bytes with the same idempotency key (the release
 * id); only the HTTPS timestamp and signature are fresh per attempt.
 *
 * Failures are told apart:
 * - upstream unavailable (network error, timeout, 502/503/504, broker not connected): the run
 *   stops and reports `unavailable`; the caller backs off the whole sync (one probe per backoff
 *   interval while upstream is down, everything flows again at the first run after it is back);
 * - refused for good (400/409/413/422: e.g. the collector holds different bytes for that id):
 *   the release is marked rejected and logged as an error; it is never re-sent;
 * - anything else (e.g. 500 for this body, 401 from a clock or key problem): this release waits
 *   min(maxSeconds, initialSeconds · 2^(attempts − 1)) and the run goes on with the next one, so
 *   one bad release cannot hold back the others.
 * A crash between "sent" and "marked sent" only causes one identical resend, which the
 * collector acknowledges as a duplicate.
 */

export type SyncStep = 'sync-before-send' | 'sync-after-send';

export interface SyncReport {
  readonly attempted: number;
  readonly sent: number;
  readonly duplicates: number;
  /** Releases put into their own backoff in this run. */
  readonly failed: number;
  readonly rejected: number;
  /** The run stopped because upstream is unreachable (the caller backs off). */
  readonly unavailable: boolean;
  /** The last error of this run, if any. */
  readonly lastError: string | null;
  /** The run was not attempted (sync backing off, or no sender). */
  readonly skipped?: 'backoff' | 'disabled';
}

export interface UpstreamSyncDeps {
  readonly releases: SqliteReleases;
  readonly sender: UpstreamSender;
  readonly logger: Logger;
  readonly batchSize: number;
  readonly backoff: { readonly initialSeconds: number; readonly maxSeconds: number };
  readonly checkpoint?: (step: SyncStep, releaseId: string) => void;
}

const UNAVAILABLE_STATUSES = new Set([502, 503, 504]);

/** Seconds to wait after the n-th consecutive failure (n ≥ 1). */
export function backoffSeconds(failures: number, backoff: { initialSeconds: number; maxSeconds: number }): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(backoff.maxSeconds, backoff.initialSeconds * 2 ** exponent);
}

export async function syncUpstreamOnce(deps: UpstreamSyncDeps, nowMs: number): Promise<SyncReport> {
  const { releases, sender, logger } = deps;
  const report = {
    attempted: 0,
    sent: 0,
    duplicates: 0,
    failed: 0,
    rejected: 0,
    unavailable: false,
    lastError: null as string | null,
  };
  for (const item of releases.duePending(nowMs, deps.batchSize)) {
    report.attempted++;
    deps.checkpoint?.('sync-before-send', item.releaseId);
    const result = await sender.send({ releaseId: item.releaseId, kind: item.kind, body: item.body }, nowMs);
    if (result.ok) {
      deps.checkpoint?.('sync-after-send', item.releaseId);
      releases.markSent(item.releaseId, nowMs, sender.transport);
      report.sent++;
      if (result.duplicate) report.duplicates++;
      continue;
    }
    report.lastError = result.message;
    if (result.permanent) {
      releases.markRejected(item.releaseId, nowMs, result.message);
      report.rejected++;
      logger.error(
        { release: item.releaseId, status: result.status, error: result.message },
        'upstream refused release',
      );
      continue;
    }
    if (result.status === undefined || UNAVAILABLE_STATUSES.has(result.status)) {
      // Upstream is down, not this release's fault: it keeps its place in the queue.
      releases.markRetry(item.releaseId, nowMs, nowMs, result.message);
      report.unavailable = true;
      break;
    }
    const waitSeconds = backoffSeconds(item.attempts + 1, deps.backoff);
    releases.markRetry(item.releaseId, nowMs, nowMs + waitSeconds * 1000, result.message);
    report.failed++;
    logger.warn(
      {
        release: item.releaseId,
        status: result.status,
        attempts: item.attempts + 1,
        retryInSeconds: waitSeconds,
        error: result.message,
      },
      'upstream send failed',
    );
  }
  if (report.sent > 0)
    logger.info(
      { sent: report.sent, duplicates: report.duplicates, transport: sender.transport },
      'releases sent upstream',
    );
  return report;
}
