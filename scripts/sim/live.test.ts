import { describe, expect, it } from 'vitest';
import { createSimulation } from './core/engine.ts';
import { runLive } from './live.ts';
import { createHq } from './sinks.ts';
import { pump } from './generate.ts';
import { corridorStore } from './test-stores.ts';

const START = Date.parse('2026-11-28T09:00:00Z');
const simulation = (): ReturnType<typeof createSimulation> =>
  createSimulation({ store: corridorStore(), seed: 'live', startMs: START, durationMs: 2 * 60_000, windowSeconds: 10 });

/** A wall clock that only moves when the runner sleeps (or when the test pushes it). */
function fakeWall(startMs = 1_000_000): {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  sleeps: number[];
  push: (ms: number) => void;
} {
  let wall = startMs;
  const sleeps: number[] = [];
  return {
    now: () => wall,
    sleep: async (ms) => {
      sleeps.push(ms);
      wall += ms;
    },
    sleeps,
    push: (ms) => {
      wall += ms;
    },
  };
}

describe('sim run (live pacing)', () => {
  it('delivers exactly the stream generate writes, each report when its simulated time is due', async () => {
    const batch = createHq();
    pump(simulation(), batch);
    const wall = fakeWall();
    const speed = 20;
    const live = createHq();
    const lateness: number[] = [];
    const run = runLive(
      simulation(),
      {
        report: (gw, tMs, hci) => {
          live.report(gw, tMs, hci);
          // When a report arrives, the wall clock has reached its due time (within one min wait).
          const dueWall = 1_000_000 + (tMs - START) / speed;
          lateness.push(wall.now() - dueWall);
          expect(run.simulatedNow()).toBe(tMs);
        },
        truth: live.truth,
      },
      { speed, now: wall.now, sleep: wall.sleep },
    );
    const stats = await run.done;
    expect(live.reports.map((r) => [r.gatewayId, r.tMs, Buffer.from(r.hci).toString('hex')])).toEqual(
      batch.reports.map((r) => [r.gatewayId, r.tMs, Buffer.from(r.hci).toString('hex')]),
    );
    expect(live.truths).toEqual(batch.truths);
    expect(stats.reports).toBe(batch.reports.length);
    expect(Math.min(...lateness)).toBeGreaterThan(-4);
    expect(Math.max(...lateness)).toBeLessThanOrEqual(0);
    // Two simulated minutes at 20× take six wall seconds, all of it spent waiting.
    expect(wall.sleeps.reduce((a, b) => a + b, 0)).toBeCloseTo((2 * 60_000) / speed, -1);
    expect(run.simulatedNow()).toBe(START + 2 * 60_000);
  });

  it('never lets the live clock run past a report it has not delivered yet, even when lagging', async () => {
    const wall = fakeWall();
    const seen: number[] = [];
    const run = runLive(
      simulation(),
      {
        report: (_gw, tMs) => {
          seen.push(tMs);
          wall.push(5000); // the consumer is slow: wall time races ahead of the simulation
          expect(run.simulatedNow()).toBe(tMs);
        },
      },
      { speed: 1, now: wall.now, sleep: wall.sleep },
    );
    await run.done;
    expect(seen.length).toBeGreaterThan(1000);
    expect(wall.sleeps.length).toBeLessThanOrEqual(1); // only before the first report
  });

  it('stops when aborted and rejects a non-positive speed', async () => {
    const abort = new AbortController();
    let count = 0;
    const run = runLive(
      simulation(),
      {
        report: () => {
          if (++count === 100) abort.abort();
        },
      },
      { speed: 1000, signal: abort.signal, sleep: async () => undefined },
    );
    await run.done;
    expect(count).toBe(100);
    expect(() => runLive(simulation(), { report: () => undefined }, { speed: 0 })).toThrow(
      /speed is 0, expected a number > 0/,
    );
  });
});
