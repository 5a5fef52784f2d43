import { isAppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { ReplaySource } from '../adapters/replay-source.ts';
import type { BleSource } from '../ports.ts';

/**
 * The end of a finite source (a replay): the last window is closed and stored, then `finished`
 * settles, so that a caller (a test, `hushpoint sim`) can wait until the whole trace has been
 * windowed. A live source never ends: `finished` is undefined and `ended` stays false.
 */
export interface ReplayEnd {
  /** Settles after the last advert of the trace has been windowed and stored. */
  readonly finished: Promise<void> | undefined;
  /** The source has delivered its last advert (or failed): the watchdog rests, stop keeps no partial window. */
  readonly ended: boolean;
  /** Follows the source's end; call after each start of the source. */
  follow(handlers: ReplayEndHandlers): void;
}

export interface ReplayEndHandlers {
  stopping(): boolean;
  /** Closes and stores the last window (not called while the gateway is stopping). */
  closeLastWindow(): void;
  windowsClosed(): number;
}

export function createReplayEnd(ble: BleSource, log: Logger): ReplayEnd {
  let ended = false;
  let resolveFinished: (() => void) | undefined;
  let rejectFinished: ((error: unknown) => void) | undefined;
  const finished =
    ble.finished === undefined
      ? undefined
      : new Promise<void>((resolvePromise, rejectPromise) => {
          resolveFinished = resolvePromise;
          rejectFinished = rejectPromise;
        });
  finished?.catch(() => undefined);

  return {
    finished,
    get ended() {
      return ended;
    },
    follow(handlers) {
      ble.finished?.then(
        () => {
          ended = true;
          if (!handlers.stopping()) {
            handlers.closeLastWindow();
            const summary = ble instanceof ReplaySource ? ble.summary : undefined;
            log.info({ records: summary?.records, windowsClosed: handlers.windowsClosed() }, 'replay finished');
          }
          resolveFinished?.();
        },
        (error: unknown) => {
          ended = true;
          log.error(
            { code: isAppError(error) ? error.code : 'error', detail: (error as Error).message },
            'replay failed',
          );
          rejectFinished?.(error);
        },
      );
    },
  };
}
