import type { Clock } from '../../shared/ports/clock.ts';
import type { Hub } from '../../hub/app.ts';
import type { Simulation } from '../sim/core/engine.ts';
import type { TruthPair } from '../sim/core/score.ts';
import { runLive } from '../sim/live.ts';
import type { LiveGatewaySet } from '../sim/live-gateways.ts';
import type { ShopperApp } from './shopper-app.ts';

/** How often the walk prints a progress line (wall ms). */
const PROGRESS_EVERY_MS = 5000;

/**
 * The store's day, walked live: the simulator paces its reports into the gateways at `speed`
 * store seconds per wall second (the demo's clock follows it through `follow`), printing
 * progress every 5 s; then the gateways drain, presence is finalised and the app's pending
 * actions settle. Returns the simulator's truth (windows, shoppers, zones, gateways heard by).
 */
export async function walkStore(options: {
  sim: Simulation;
  live: LiveGatewaySet;
  hub: Hub;
  app: ShopperApp;
  speed: number;
  clock: Clock;
  /** The demo clock follows the live run's simulated time from here on. */
  follow(simulatedNow: () => number): void;
  say(line: string): void;
}): Promise<TruthPair[]> {
  const { hub, clock, sim } = options;
  const truth: TruthPair[] = [];
  const run = runLive(
    sim,
    {
      report: options.live.sink,
      truth: (record) =>
        truth.push({
          windowStart: record.windowStart,
          shopperId: record.shopperId,
          zone: record.zone,
          heardBy: record.heardBy,
        }),
    },
    { speed: options.speed },
  );
  options.follow(() => run.simulatedNow());
  const ticker = setInterval(() => {
    const s = hub.stats();
    const received = options.app.shoppers.reduce((n, shopper) => n + shopper.offersReceived, 0);
    options.say(
      `  store time ${new Date(clock.now()).toISOString().slice(11, 19)}  sightings ${s.sightings} (resolved ${s.resolved})  offers received by the apps ${received}`,
    );
  }, PROGRESS_EVERY_MS);
  try {
    await run.done;
  } finally {
    clearInterval(ticker);
  }
  await options.live.drain(30_000);
  await hub.finalizePresence({ all: true });
  await options.app.settle();
  return truth;
}
