import { isAppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { GatewayConfig } from '../config.schema.ts';
import { initialWatchdogState, watchdogCheck, type WatchdogState } from '../core/watchdog.ts';
import type { GatewayCounters } from '../gateway-stats.ts';
import type { BleSource } from '../ports.ts';

/**
 * The BLE watchdog's shell (the decisions are gateway/core/watchdog.ts): after a silence of
 * `ble.watchdogSeconds` it restarts the scan, and after `ble.resetAfterRestarts` restarts that
 * did not help it resets the adapter. A failed step is logged; the next check tries again.
 */
export interface BleWatchdog {
  /** One check (every second while scanning). */
  check(): void;
  /** Starts afresh: the scan has just started. */
  reset(): void;
  /** True while the watchdog hears nothing and is acting (the scanning LED blinks slowly). */
  readonly silent: boolean;
}

export interface BleWatchdogDeps {
  ble: BleSource;
  clock: Clock;
  logger: Logger;
  counters: GatewayCounters;
  config: () => GatewayConfig;
  /** Wall time of the last report heard. */
  lastAdvertMs: () => number;
}

export function createBleWatchdog(deps: BleWatchdogDeps): BleWatchdog {
  const { ble, clock, logger: log, counters } = deps;
  let state: WatchdogState = initialWatchdogState(clock.now());
  const failed = (error: unknown): void =>
    log.error(
      { code: isAppError(error) ? error.code : 'error', detail: (error as Error).message },
      'watchdog step failed',
    );

  return {
    get silent() {
      return state.silent;
    },
    reset() {
      state = initialWatchdogState(clock.now());
    },
    check() {
      const { ble: settings } = deps.config();
      const decision = watchdogCheck(
        state,
        { nowMs: clock.now(), lastAdvertMs: deps.lastAdvertMs() },
        { silenceMs: settings.watchdogSeconds * 1000, resetAfterRestarts: settings.resetAfterRestarts },
      );
      state = decision.state;
      if (decision.action === 'none') return;
      if (decision.action === 'recovered') {
        log.info({}, 'adverts resumed');
        return;
      }
      const silentSeconds = Math.round((clock.now() - deps.lastAdvertMs()) / 1000);
      if (decision.action === 'restart-scan') {
        counters.scanRestarts++;
        if (decision.log) log.warn({ silentSeconds, restarts: counters.scanRestarts }, 'watchdog restarted scanning');
        ble.restartScan().catch(failed);
      } else {
        counters.resets++;
        if (decision.log) log.warn({ silentSeconds, resets: counters.resets }, 'watchdog reset adapter');
        ble.resetAdapter().catch(failed);
      }
    },
  };
}
