import type { Simulation, SimulationStats } from './core/engine.ts';
import type { SimSinks } from './sinks.ts';

/**
 * `hushpoint sim run`: the same event stream as `generate`, paced in (compressed) real time.
 * Simulated time t is due at wall time wallStart + (t − sim.startMs) / speed, so speed 1 is real
 * time and speed 60 plays one simulated minute per second. Reports go to the sinks the moment
 * they are due (live gateways through their injected HCI sources, a live trace folder, a test
 * collector); a truth record goes out as soon as its window has closed in the stream.
 *
 * The consumer of the reports must follow simulated time: a gateway fed live gets a clock that
 * returns `simulatedNow()` (see `liveClock`), so its windows close on simulated time.
 */

export interface LiveOptions {
  /** Simulated seconds per wall second; > 0. */
  speed: number;
  /** Wall clock (ms). */
  now?: () => number;
  /** Waits `ms` of wall time (resolves early when the signal aborts). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  /** Called before each wait, e.g. to flush trace files so they follow the run. */
  onIdle?: () => void;
  /** Called with the simulated time (ms) after each delivered event. */
  onProgress?: (simulatedMs: number) => void;
}

export interface LiveRun {
  /** The simulated time the run has reached (ms): what a live gateway's clock should say. */
  simulatedNow(): number;
  /** Settles with the statistics when the span ends or the signal aborts. */
  readonly done: Promise<SimulationStats>;
}

/** Waits never shorter than this: finer pacing costs more timer churn than it buys. */
const MIN_WAIT_MS = 4;

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function runLive(sim: Simulation, sinks: SimSinks, options: LiveOptions): LiveRun {
  if (!(options.speed > 0) || !Number.isFinite(options.speed))
    throw new RangeError(`speed is ${options.speed}, expected a number > 0`);
  const now = options.now ?? (() => Date.now());
  const sleep = options.sleep ?? defaultSleep;
  const ids = sim.gateways.map((g) => g.id);
  const wallStart = now();
  let reached = sim.startMs;
  // The next undelivered report's time: the live clock never runs past it, so a consumer never
  // closes a window before the simulator (maybe lagging behind the wall clock) has delivered it.
  let pending = sim.startMs;
  const paced = (): number => Math.min(sim.endMs, sim.startMs + (now() - wallStart) * options.speed);

  async function drive(): Promise<SimulationStats> {
    await Promise.resolve(); // hand the caller its LiveRun before the first delivery
    const stream = sim.events();
    for (;;) {
      if (options.signal?.aborted) return sim.stats;
      const next = stream.next();
      if (next.done) break;
      const event = next.value;
      if (event.type === 'report') {
        pending = event.tMs;
        const dueWall = wallStart + (event.tMs - sim.startMs) / options.speed;
        const wait = dueWall - now();
        if (wait >= MIN_WAIT_MS) {
          options.onIdle?.();
          await sleep(wait, options.signal);
          if (options.signal?.aborted) return sim.stats;
        }
        reached = Math.max(reached, event.tMs);
        sinks.report(ids[event.gateway] as string, event.tMs, event.hci);
      } else {
        sinks.truth?.(event.record);
      }
      options.onProgress?.(reached);
    }
    pending = sim.endMs;
    // Play out the tail of the span so the last windows can close on the consumer's clock.
    const tail = wallStart + (sim.endMs - sim.startMs) / options.speed - now();
    if (tail >= MIN_WAIT_MS) {
      options.onIdle?.();
      await sleep(tail, options.signal);
    }
    reached = sim.endMs;
    options.onIdle?.();
    return sim.stats;
  }

  return {
    simulatedNow: () => Math.max(reached, Math.min(paced(), pending)),
    done: drive(),
  };
}
