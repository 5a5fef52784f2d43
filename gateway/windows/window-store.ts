import { isAppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol/topics.ts';
import type { GatewayConfig } from '../config.schema.ts';
import { WindowCoarsener, type ClosedWindow } from '../core/window-coarsener.ts';
import type { GatewayCounters, GatewayStats } from '../gateway-stats.ts';
import type { OutboxHolder } from './outbox-holder.ts';

/**
 * Opt-in sightings → coarse windows (gateway/core/window-coarsener.ts) → one PresenceBatch per
 * closed window in the SQLite outbox, numbered by the outbox's seq. Windows close on the window
 * clock (the gateway's clock, or a replay's trace time). The coarsener lives across restarts: a
 * window kept open at stop continues at the next start, and the first window after a restart
 * starts no earlier than the end of the last one the outbox holds.
 */
export interface WindowStore {
  sighting(eid: string, rssi: number, tMs: number): void;
  /** Closes and stores every window that has ended by the window clock now. */
  closeEnded(): void;
  /** Closes the open window now (stop, end of a replay) and stores it; nothing before the first window. */
  flush(): void;
  /** The next first window starts no earlier than the end of the outbox's last window (`windowStart` in s). */
  resumeAfter(lastWindowStart: number | null): void;
  /** Live settings from a reload (the next window uses them). */
  adjust(window: GatewayConfig['window']): void;
  readonly lastWindow: GatewayStats['lastWindow'];
  readonly lateAdverts: number;
  readonly openWindowEids: number;
}

export interface WindowStoreDeps {
  config: () => GatewayConfig;
  gatewayId: string;
  /** Wall clock: the outbox's timestamps. */
  clock: Clock;
  /** The BLE timeline windows close on. */
  windowClock: Clock;
  logger: Logger;
  counters: GatewayCounters;
  outbox: OutboxHolder;
  /** Windows were stored: the delivery may send them. */
  stored(): void;
}

export function createWindowStore(deps: WindowStoreDeps): WindowStore {
  const { clock, logger: log, counters, outbox } = deps;
  let coarsener: WindowCoarsener | undefined;
  let notBeforeMs = 0;
  let lastWindow: GatewayStats['lastWindow'] = null;

  function ensureCoarsener(nowMs: number): WindowCoarsener {
    if (coarsener !== undefined) return coarsener;
    const { window } = deps.config();
    coarsener = new WindowCoarsener(
      {
        windowSeconds: window.seconds,
        minHits: window.minHits,
        maxHits: window.maxHits,
        maxEids: window.maxEids,
        nearDbm: window.nearDbm,
        midDbm: window.midDbm,
      },
      { startMs: Math.max(nowMs, notBeforeMs) },
    );
    return coarsener;
  }

  function storeOne(w: ClosedWindow, store: NonNullable<OutboxHolder['current']>): void {
    counters.windowsClosed++;
    counters.sightingsTotal += w.sightings.length;
    counters.overflowAdverts += w.dropped;
    lastWindow = { windowStart: w.windowStart, sightings: w.sightings.length, dropped: w.dropped };
    if (w.dropped > 0)
      log.warn(
        { windowStart: w.windowStart, dropped: w.dropped, maxEids: deps.config().window.maxEids },
        'window overflow',
      );
    try {
      const { seq, drops } = store.append(
        w.windowStart,
        (seq) =>
          encodePayload('PresenceBatch', {
            v: PROTOCOL_VERSION,
            gateway: deps.gatewayId,
            seq,
            windowStart: w.windowStart,
            windowSeconds: w.windowSeconds,
            sightings: w.sightings,
            dropped: w.dropped,
          }),
        clock.now(),
      );
      log.debug(
        {
          seq,
          windowStart: w.windowStart,
          sightings: w.sightings.length,
          dropped: w.dropped,
          belowMinHits: w.belowMinHits,
        },
        'window stored',
      );
      outbox.report(drops);
    } catch (error) {
      counters.windowsLost++;
      log.error(
        {
          windowStart: w.windowStart,
          code: isAppError(error) ? error.code : 'INTERNAL',
          detail: (error as Error).message,
        },
        'window not stored',
      );
    }
  }

  function storeWindows(windows: ClosedWindow[]): void {
    if (windows.length === 0) return;
    const store = outbox.current;
    if (store === undefined) return;
    for (const w of windows) storeOne(w, store);
    deps.stored();
  }

  return {
    sighting(eid, rssi, tMs) {
      const c = ensureCoarsener(tMs);
      c.add(eid, rssi, tMs);
      storeWindows(c.takeClosed());
    },
    closeEnded() {
      const now = deps.windowClock.now();
      const c = ensureCoarsener(now);
      c.advance(now);
      storeWindows(c.takeClosed());
    },
    flush() {
      if (coarsener === undefined) return;
      coarsener.flush();
      storeWindows(coarsener.takeClosed());
    },
    resumeAfter(lastWindowStart) {
      notBeforeMs = lastWindowStart === null ? 0 : (lastWindowStart + deps.config().window.seconds) * 1000;
    },
    adjust(window) {
      coarsener?.adjust(window);
    },
    get lastWindow() {
      return lastWindow;
    },
    get lateAdverts() {
      return coarsener?.counters.late ?? 0;
    },
    get openWindowEids() {
      return coarsener?.openEids ?? 0;
    },
  };
}
