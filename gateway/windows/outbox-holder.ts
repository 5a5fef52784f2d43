import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { GatewayConfig } from '../config.schema.ts';
import { SqliteOutbox, type DropReport, type OutboxBounds } from '../adapters/sqlite-outbox.ts';

/** How often the outbox's age and size bounds are applied while the gateway runs. */
const BOUNDS_EVERY_MS = 60_000;

/**
 * The SQLite outbox across starts: opened by each start (the windows resume after the last one
 * it holds), its bounds applied at open, every minute and on reload, its drops logged and
 * remembered (the fault LED shows a drop for an hour). After stop the closed outbox still
 * answers the figures stats() reads.
 */
export interface OutboxHolder {
  readonly current: SqliteOutbox | undefined;
  open(config: GatewayConfig): SqliteOutbox;
  /** Logs what the outbox dropped (age or size bound). */
  report(drops: DropReport[]): void;
  /** Applies the bounds when a minute has passed since they were last applied. */
  enforceBoundsEveryMinute(): void;
  setBounds(config: GatewayConfig): void;
  /** When the outbox last dropped windows, or null. */
  lastDropMs(): number | null;
  close(): void;
}

export interface OutboxHolderDeps {
  resolvePath: (path: string) => string;
  clock: Clock;
  logger: Logger;
}

function bounds(config: GatewayConfig): OutboxBounds {
  return { maxAgeMs: config.outbox.maxAgeHours * 3_600_000, maxBytes: config.outbox.maxBytes };
}

export function createOutboxHolder(deps: OutboxHolderDeps): OutboxHolder {
  const { clock, logger: log } = deps;
  let outbox: SqliteOutbox | undefined;
  let lastDropMs: number | null = null;
  let lastBoundsMs = clock.now();

  function report(drops: DropReport[]): void {
    for (const drop of drops) {
      lastDropMs = clock.now();
      log.warn(
        { reason: drop.reason, count: drop.count, firstSeq: drop.firstSeq, lastSeq: drop.lastSeq },
        'outbox dropped batches',
      );
    }
  }

  return {
    get current() {
      return outbox;
    },
    open(config) {
      const opened = SqliteOutbox.open(deps.resolvePath(config.outbox.path), bounds(config));
      outbox = opened;
      report(opened.enforceBounds(clock.now()));
      if (opened.depth > 0) log.info({ depth: opened.depth, nextSeq: opened.nextSeq }, 'outbox resumed');
      return opened;
    },
    report,
    enforceBoundsEveryMinute() {
      const wall = clock.now();
      if (outbox !== undefined && wall - lastBoundsMs >= BOUNDS_EVERY_MS) {
        lastBoundsMs = wall;
        report(outbox.enforceBounds(wall));
      }
    },
    setBounds(config) {
      outbox?.setBounds(bounds(config));
    },
    lastDropMs: () => lastDropMs,
    close() {
      outbox?.close();
    },
  };
}
