import { describe, expect, it } from 'vitest';
import { activeFaults, ledPattern, type LedInputs } from './led-state.ts';

describe('status LEDs', () => {
  const base: LedInputs = {
    nowMs: 10_000_000,
    scanning: true,
    bleSilent: false,
    adapterOk: true,
    hubConnected: true,
    outboxDepth: 0,
    maxInFlight: 20,
    lastOutboxDropMs: null,
    clockOffsetMs: 12,
    identifyUntilMs: 0,
  };
  it.each([
    ['healthy', {}, { scanning: 'on', hubLink: 'on', buffering: 'off', fault: 'off' }],
    [
      'hub away, holding windows',
      { hubConnected: false, outboxDepth: 3 },
      { scanning: 'on', hubLink: 'blink-fast', buffering: 'on', fault: 'off' },
    ],
    [
      'catching up a backlog',
      { outboxDepth: 200 },
      { scanning: 'on', hubLink: 'on', buffering: 'blink-slow', fault: 'off' },
    ],
    ['silent radio', { bleSilent: true }, { scanning: 'blink-slow', hubLink: 'on', buffering: 'off', fault: 'off' }],
    [
      'adapter failed',
      { adapterOk: false, scanning: false },
      { scanning: 'off', hubLink: 'on', buffering: 'off', fault: 'on' },
    ],
    [
      'windows dropped 10 min ago',
      { lastOutboxDropMs: 10_000_000 - 600_000 },
      { scanning: 'on', hubLink: 'on', buffering: 'off', fault: 'on' },
    ],
    [
      'windows dropped 2 h ago',
      { lastOutboxDropMs: 10_000_000 - 7_200_000 },
      { scanning: 'on', hubLink: 'on', buffering: 'off', fault: 'off' },
    ],
    ['clock 45 s off', { clockOffsetMs: -45_000 }, { scanning: 'on', hubLink: 'on', buffering: 'off', fault: 'on' }],
    [
      'identify',
      { identifyUntilMs: 10_000_001, adapterOk: false },
      { scanning: 'blink-fast', hubLink: 'blink-fast', buffering: 'blink-fast', fault: 'blink-fast' },
    ],
  ] as const)('%s', (_name, change, pattern) => {
    expect(ledPattern({ ...base, ...change })).toEqual(pattern);
  });

  it('names the faults', () => {
    expect(activeFaults({ ...base, adapterOk: false, clockOffsetMs: 31_000, lastOutboxDropMs: base.nowMs })).toEqual([
      'adapter',
      'outbox-dropped',
      'clock-offset',
    ]);
  });
});
