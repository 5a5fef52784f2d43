import type { Logger } from '../../shared/ports/logger.ts';
import type { SqliteReleases } from './adapters/sqlite-releases.ts';
import type { UpstreamSender } from './upstream-sender.ts';

/**
 * One run of the upstream sync: sends the pending releases whose retry time has come, oldest
 * period first, and records each outcome. What is sent is always the stored body (never rebuilt),
 * so a retry sends the identical bytes and the same idempotency key (the release id).
 * After a failure that may pass (upstream down), the run stops and the release waits
 * min(maxSeconds, initialSeconds · 2^(attempts − 1)) before its next attempt; a permanent refusal
 * (e.g. the collector holds different bytes for that id) marks it rejected and is logged as an
 * error (the caller logs "upstream down" / "upstream back" once per change). A crash between "sent" and "marked sent" only causes one identical resend, which the
 * collector acknowledges as a duplicate.
 */

export type SyncStep = 'sync-before-send' | 'sync-after-send';

export interface SyncReport {
  readonly attempted: number;
  readonly sent: number;
  readonly duplicates: number;
  readonly failed: number;
  readonly rejected: number;
  /** The error of the failed attempt that ended the run (upstream down), if any. */
  readonly lastError: string | null;
}

export interface UpstreamSyncDeps {
  readonly releases: SqliteReleases;
  readonly sender: UpstreamSender;
  readonly logger: Logger;
  readonly batchSize: number;
  readonly backoff: { readonly initialSeconds: number; readonly maxSeconds: number };
  readonly checkpoint?: (step: SyncStep, releaseId: string) => void;
}

/** Seconds to wait after the n-th failed attempt (n ≥ 1). */
export function backoffSeconds(attempt: number, backoff: { initialSeconds: number; maxSeconds: number }): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(backoff.maxSeconds, backoff.initialSeconds * 2 ** exponent);
}

export async function syncUpstreamOnce(deps: UpstreamSyncDeps, nowMs: number): Promise<SyncReport> {
  const { releases, sender, logger } = deps;
  const report = { attempted: 0, sent: 0, duplicates: 0, failed: 0, rejected: 0, lastError: null as string | null };
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
    if (result.permanent) {
      releases.markRejected(item.releaseId, nowMs, result.message);
      report.rejected++;
      logger.error({ release: item.releaseId, status: result.status, error: result.message }, 'upstream refused release');
      continue;
    }
    const waitSeconds = backoffSeconds(item.attempts + 1, deps.backoff);
    releases.markRetry(item.releaseId, nowMs, nowMs + waitSeconds * 1000, result.message);
    report.failed++;
    report.lastError = result.message;
    logger.debug({ release: item.releaseId, attempts: item.attempts + 1, retryInSeconds: waitSeconds, error: result.message }, 'upstream send failed');
    break;
  }
  if (report.sent > 0) logger.info({ sent: report.sent, duplicates: report.duplicates, transport: sender.transport }, 'releases sent upstream');
  return report;
}
