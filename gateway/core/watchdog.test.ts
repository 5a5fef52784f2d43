import { describe, expect, it } from 'vitest';
import { initialWatchdogState, watchdogCheck, type WatchdogAction } from './watchdog.ts';

describe('watchdog', () => {
  it('restarts scanning, escalates to an adapter reset, logs each step once per silent episode, and recovers', () => {
    const settings = { silenceMs: 30_000, resetAfterRestarts: 2 };
    let state = initialWatchdogState(0);
    const lastAdvertMs = 0;
    const actions: Array<[number, WatchdogAction, boolean]> = [];
    for (let now = 1000; now <= 200_000; now += 1000) {
      const decision = watchdogCheck(state, { nowMs: now, lastAdvertMs }, settings);
      state = decision.state;
      if (decision.action !== 'none') actions.push([now, decision.action, decision.log]);
    }
    expect(actions).toEqual([
      [30_000, 'restart-scan', true],
      [60_000, 'restart-scan', false],
      [90_000, 'reset-adapter', true],
      [120_000, 'restart-scan', false],
      [150_000, 'restart-scan', false],
      [180_000, 'reset-adapter', false],
    ]);
    const recovered = watchdogCheck(state, { nowMs: 200_500, lastAdvertMs: 200_400 }, settings);
    expect(recovered.action).toBe('recovered');
    expect(watchdogCheck(recovered.state, { nowMs: 229_000, lastAdvertMs: 200_400 }, settings).action).toBe('none');
    expect(watchdogCheck(recovered.state, { nowMs: 230_500, lastAdvertMs: 200_400 }, settings)).toMatchObject({
      action: 'restart-scan',
      log: true,
    });
  });
});
