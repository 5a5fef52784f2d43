import type { Logger } from '../../shared/ports/logger.ts';
import type { SqliteReleases } from './adapters/sqlite-releases.ts';
import type { UpstreamConfig } from './config.schema.ts';
import type { UpstreamSender } from './upstream-sender.ts';
import { backoffSeconds, syncUpstreamOnce, type SyncReport, type SyncStep } from './upstream-sync.ts';

/**
 * The upstream sync job with its state (docs/privacy.md §8): runs never overlap; while upstream
 * is down the whole sync waits its backoff between probes (logged once per state change, not per
 * attempt), and the first successful run after it is back resumes everything.
 */
export interface UpstreamSync {
  sync(nowMs: number): Promise<SyncReport>;
  state(): { readonly enabled: boolean; readonly transport: string | null; readonly down: boolean };
  close(): Promise<void>;
}

export function createUpstreamSync(deps: {
  releases: SqliteReleases;
  sender: UpstreamSender | null;
  upstream: UpstreamConfig;
  logger: Logger;
  checkpoint?: (step: SyncStep, releaseId: string) => void;
}): UpstreamSync {
  const { sender, logger } = deps;
  let chain: Promise<unknown> = Promise.resolve();
  let down = false;
  let failures = 0;
  let retryAtMs = 0;

  async function once(nowMs: number): Promise<SyncReport> {
    const idle = { attempted: 0, sent: 0, duplicates: 0, failed: 0, rejected: 0, unavailable: false, lastError: null };
    if (sender === null) return { ...idle, skipped: 'disabled' };
    if (nowMs < retryAtMs) return { ...idle, unavailable: true, skipped: 'backoff' };
    const report = await syncUpstreamOnce(
      {
        releases: deps.releases,
        sender,
        logger,
        batchSize: deps.upstream.batchSize,
        backoff: deps.upstream.backoff,
        ...(deps.checkpoint !== undefined ? { checkpoint: deps.checkpoint } : {}),
      },
      nowMs,
    );
    if (report.unavailable) {
      failures++;
      retryAtMs = nowMs + backoffSeconds(failures, deps.upstream.backoff) * 1000;
      if (!down) {
        down = true;
        logger.warn(
          { transport: sender.transport, error: report.lastError },
          'upstream down: releases wait in the outbox',
        );
      }
    } else if (report.attempted > 0) {
      failures = 0;
      retryAtMs = 0;
      if (down) {
        down = false;
        logger.info({ transport: sender.transport }, 'upstream back');
      }
    }
    return report;
  }

  return {
    sync(nowMs) {
      const next = chain.then(
        () => once(nowMs),
        () => once(nowMs),
      );
      chain = next.catch(() => undefined);
      return next;
    },
    state: () => ({ enabled: sender !== null, transport: sender?.transport ?? null, down }),
    async close() {
      await chain;
      await sender?.close();
    },
  };
}
