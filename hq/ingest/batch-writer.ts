import { AppError, isAppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { HqStore, IncomingRelease, IngestOutcome, QuarantineEntry } from '../storage/hq-store.ts';
import type { IngestMetrics } from './metrics.ts';

/**
 * Group commit in front of the HqStore: every ingest path (the MQTT connections, HTTPS requests)
 * submits one release and waits for its outcome; submissions that arrive while a write is in
 * flight go into the next batch, so a batch holds up to one release per waiting connection and
 * a write is one transaction for all of them. A release is acknowledged to its sender only after
 * its batch committed (the MQTT PUBACK, the HTTP 201), so nothing acknowledged is ever lost.
 *
 * When the database fails (STORE_FAILED: PostgreSQL restarting, disk full) the batch is retried
 * with capped exponential backoff until it commits or the writer stops — the senders keep
 * waiting, unacknowledged; logged once per state change. After stop(), waiting submissions are
 * refused (their senders did not get an acknowledgement and will redeliver).
 */

export interface BatchWriterOptions {
  readonly store: HqStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: IngestMetrics;
  readonly maxReleases: number;
  /** How long to gather more releases before writing when idle (0: the same tick only). */
  readonly lingerMs: number;
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
}

interface Pending<T> {
  readonly item: T;
  readonly resolve: (outcome: T extends IncomingRelease ? IngestOutcome : void) => void;
  readonly reject: (error: Error) => void;
}

export interface BatchWriter {
  submit(item: IncomingRelease): Promise<IngestOutcome>;
  quarantine(entry: QuarantineEntry): Promise<void>;
  /** True while database writes fail (full, unreachable) and the batch is being retried. */
  readonly failing: boolean;
  /** Releases waiting or being written. */
  readonly depth: number;
  stop(): Promise<void>;
}

// Longer than a screen: one closure over the service's state whose methods are each short; the pure logic is in core/.
export function createBatchWriter(options: BatchWriterOptions): BatchWriter {
  const retry = options.retry ?? { initialMs: 100, maxMs: 2000 };
  const releases: Array<Pending<IncomingRelease>> = [];
  const entries: Array<Pending<QuarantineEntry>> = [];
  let writing: Promise<void> | null = null;
  let scheduled = false;
  let stopped = false;
  let failing = false;
  let wake: (() => void) | null = null;

  function schedule(): void {
    if (scheduled || writing !== null || stopped) return;
    scheduled = true;
    const start = (): void => {
      scheduled = false;
      writing = drain().finally(() => {
        writing = null;
        if (releases.length > 0 || entries.length > 0) schedule();
      });
    };
    if (options.lingerMs > 0) setTimeout(start, options.lingerMs);
    else setImmediate(start);
  }

  async function pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = null;
  }

  async function writeWithRetry(write: () => Promise<void>): Promise<boolean> {
    let delay = retry.initialMs;
    for (;;) {
      try {
        await write();
        if (failing) options.logger.info({}, 'hq database writes resumed');
        failing = false;
        return true;
      } catch (error) {
        if (!isAppError(error, 'STORE_FAILED')) throw error;
        options.metrics.writeRetries.inc();
        if (!failing) options.logger.warn({ err: error }, 'hq database write failed, retrying');
        failing = true;
        if (stopped) return false;
        await pause(delay);
        if (stopped) return false;
        delay = Math.min(retry.maxMs, delay * 2);
      }
    }
  }

  async function drain(): Promise<void> {
    const batch = releases.splice(0, options.maxReleases);
    const quarantine = entries.splice(0);
    const refuse = (error: Error): void => {
      for (const p of batch) p.reject(error);
      for (const p of quarantine) p.reject(error);
    };
    try {
      if (quarantine.length > 0) {
        const ok = await writeWithRetry(() =>
          options.store.quarantine(
            quarantine.map((q) => q.item),
            options.clock.now(),
          ),
        );
        if (!ok) return refuse(new AppError('STORE_FAILED', 'HQ stopped before the quarantine entry was written'));
        options.metrics.quarantined.inc(quarantine.length);
        for (const p of quarantine) p.resolve();
      }
      if (batch.length === 0) return;
      const started = performance.now();
      let outcomes: IngestOutcome[] = [];
      const ok = await writeWithRetry(async () => {
        outcomes = await options.store.ingest(
          batch.map((p) => p.item),
          options.clock.now(),
        );
      });
      if (!ok) return refuse(new AppError('STORE_FAILED', 'HQ stopped before the release was stored'));
      options.metrics.batchSeconds.observe((performance.now() - started) / 1000);
      options.metrics.batchReleases.observe(batch.length);
      batch.forEach((p, i) => {
        const outcome = outcomes[i] as IngestOutcome;
        options.metrics.releases.inc({ outcome });
        if (outcome === 'mismatch') options.metrics.quarantined.inc();
        p.resolve(outcome);
      });
    } catch (error) {
      options.logger.error({ err: error }, 'hq batch write failed');
      refuse(error as Error);
    }
  }

  return {
    submit(item) {
      if (stopped) return Promise.reject(new AppError('STORE_FAILED', 'HQ is stopping'));
      return new Promise<IngestOutcome>((resolve, reject) => {
        releases.push({ item, resolve, reject } as Pending<IncomingRelease>);
        schedule();
      });
    },
    quarantine(entry) {
      if (stopped) return Promise.reject(new AppError('STORE_FAILED', 'HQ is stopping'));
      return new Promise<void>((resolve, reject) => {
        entries.push({ item: entry, resolve, reject } as Pending<QuarantineEntry>);
        schedule();
      });
    },
    get depth() {
      return releases.length + (writing !== null ? 1 : 0);
    },
    get failing() {
      return failing;
    },
    async stop() {
      // No new submissions, no more retries; what already waits gets one more attempt.
      stopped = true;
      wake?.();
      while (writing !== null) await writing;
      while (releases.length > 0 || entries.length > 0) await drain();
    },
  };
}
