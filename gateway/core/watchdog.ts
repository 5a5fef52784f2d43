/**
 * The scan watchdog (docs/references.md#ble-and-the-simulator): when no advert
 * at all arrives for `silenceMs`, restart scanning; after `resetAfterRestarts` restarts without
 * an advert, reset the adapter; repeat while silent. Each step is logged once per silent
 * episode (`log: true` the first time) and counted every time. Pure: the caller passes times.
 */

export type WatchdogAction = 'none' | 'restart-scan' | 'reset-adapter' | 'recovered';

export interface WatchdogState {
  /** Restarts since the last reset (or since the silence began). */
  restarts: number;
  /** When the last action was taken; silence is measured from the later of this and the last advert. */
  lastActionMs: number;
  /** True from the first action of a silent episode until an advert arrives. */
  silent: boolean;
  loggedRestart: boolean;
  loggedReset: boolean;
}

export interface WatchdogSettings {
  silenceMs: number;
  resetAfterRestarts: number;
}

export interface WatchdogDecision {
  state: WatchdogState;
  action: WatchdogAction;
  /** Whether this action should be logged (the first of its kind in this silent episode). */
  log: boolean;
}

export function initialWatchdogState(nowMs: number): WatchdogState {
  return { restarts: 0, lastActionMs: nowMs, silent: false, loggedRestart: false, loggedReset: false };
}

export function watchdogCheck(
  state: WatchdogState,
  input: { nowMs: number; lastAdvertMs: number },
  settings: WatchdogSettings,
): WatchdogDecision {
  if (state.silent && input.lastAdvertMs > state.lastActionMs) {
    return { state: initialWatchdogState(input.nowMs), action: 'recovered', log: true };
  }
  const since = Math.max(state.lastActionMs, input.lastAdvertMs);
  if (input.nowMs - since < settings.silenceMs) return { state, action: 'none', log: false };
  if (state.restarts < settings.resetAfterRestarts) {
    const log = !state.loggedRestart;
    return {
      state: { ...state, restarts: state.restarts + 1, lastActionMs: input.nowMs, silent: true, loggedRestart: true },
      action: 'restart-scan',
      log,
    };
  }
  const log = !state.loggedReset;
  return {
    state: { ...state, restarts: 0, lastActionMs: input.nowMs, silent: true, loggedReset: true },
    action: 'reset-adapter',
    log,
  };
}
