import { EidCalculator } from '../../../shared/eid/eid.ts';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import type { StoreConfig } from '../store-schema.ts';
import { prepareAdvert, scheduleAdvertisers, scheduleNext, updatePosition, type Advertiser } from './advertisers.ts';
import { arrivalCurve, minutesOfDay, sampleArrivals } from './arrivals.ts';
import { EventHeap } from './event-heap.ts';
import { buildMovementModel, type MovementModel } from './movement.ts';
import { planShoppers, type ShopperPlan } from './population.ts';
import { clampRssi, detectionProbability, type RadioParams } from './radio.ts';
import { Sampler } from './sampler.ts';
import type { TruthRecord } from './truth.ts';
import { createTruthWindows } from './truth-windows.ts';

/**
 * The simulation engine: a pure, deterministic, time-ordered stream of what every gateway hears.
 * `createSimulation(...)` plans the day (arrivals, visits, devices, keys) from the seed; its
 * `events()` generator then yields, in time order across all gateways,
 *
 *   { type: 'report', gateway, tMs, hci }   one HCI LE Advertising Report a gateway received
 *   { type: 'truth', record }               one ground-truth line, when its window has closed
 *
 * `hushpoint sim generate` writes the stream to files and `hushpoint sim run` paces it in
 * (compressed) real time into live gateways; both consume this one generator.
 * Every transmission is evaluated against every gateway (the OU shadowing is advanced lazily,
 * exactly); a gateway hears one report per advertising event (a 100 % duty-cycle scanner sits on
 * one channel and catches the event there); connectable adverts are followed, in the same
 * millisecond, by the scan response the active scanner asked for, whose loss is folded into the
 * advert's own reception.
 */

export interface SimulationInput {
  store: StoreConfig;
  seed: string | number;
  /** Unix ms of the simulation's first moment. */
  startMs: number;
  durationMs: number;
  windowSeconds: number;
}

export interface SimGateway {
  id: string;
  zone: string;
  x: number;
  y: number;
  receiverOffsetDb: number;
}

export type SimEvent =
  { type: 'report'; gateway: number; tMs: number; hci: Uint8Array } | { type: 'truth'; record: TruthRecord };

export interface SimulationStats {
  /** Advertising events transmitted (by all advertisers, heard or not). */
  advertsTransmitted: number;
  /** Reports received by gateways (adverts plus scan responses). */
  reports: number;
  reportsByGateway: number[];
  truthRecords: number;
}

export interface Simulation {
  readonly store: StoreConfig;
  readonly gateways: readonly SimGateway[];
  readonly shoppers: readonly ShopperPlan[];
  readonly model: MovementModel;
  readonly startMs: number;
  readonly endMs: number;
  readonly windowSeconds: number;
  readonly stats: SimulationStats;
  /** The event stream. One pass: call it once per Simulation. */
  events(): Generator<SimEvent, SimulationStats>;
}

export function createSimulation(input: SimulationInput): Simulation {
  const { store, startMs, durationMs, windowSeconds } = input;
  if (!Number.isSafeInteger(startMs) || startMs < 0)
    throw new RangeError(`startMs is ${startMs}, expected Unix milliseconds`);
  if (!(durationMs > 0)) throw new RangeError(`durationMs is ${durationMs}, expected more than 0`);
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1)
    throw new RangeError(`windowSeconds is ${windowSeconds}, expected an integer ≥ 1`);
  const endMs = startMs + durationMs;
  const root = new SeededRandomSource(typeof input.seed === 'number' ? input.seed : `hushpoint-sim:${input.seed}`);
  const model = buildMovementModel(store.zones, store.entrance, store.movement);
  const curve = arrivalCurve(minutesOfDay(store.hours.opens), minutesOfDay(store.hours.closes), store);
  const arrivals = sampleArrivals(curve, durationMs, new Sampler(root.fork('arrivals'))).map((t) => startMs + t);
  const shoppers = planShoppers(arrivals, store.shoppers, model, root);
  const fixedRng = root.fork('fixed-devices');
  const gateways: SimGateway[] = store.gateways.map((g) => ({
    id: g.id,
    zone: g.zone,
    x: g.position[0],
    y: g.position[1],
    receiverOffsetDb: g.receiverOffsetDb,
  }));
  const stats: SimulationStats = {
    advertsTransmitted: 0,
    reports: 0,
    reportsByGateway: gateways.map(() => 0),
    truthRecords: 0,
  };
  let started = false;
  return {
    store,
    gateways,
    shoppers,
    model,
    startMs,
    endMs,
    windowSeconds,
    stats,
    events() {
      if (started) throw new Error('Simulation.events() can be iterated only once');
      started = true;
      return run({ store, gateways, shoppers, model, startMs, endMs, windowSeconds, stats, fixedRng });
    },
  };
}

interface RunContext {
  store: StoreConfig;
  gateways: SimGateway[];
  shoppers: ShopperPlan[];
  model: MovementModel;
  startMs: number;
  endMs: number;
  windowSeconds: number;
  stats: SimulationStats;
  fixedRng: SeededRandomSource;
}

/**
 * The event loop: takes the earliest transmission from the heap, closes the truth windows it has
 * passed, and yields one report for each gateway that hears it (and the scan response after a
 * connectable advert). The advertisers' setup and per-event state are advertisers.ts; the
 * ground truth is truth-windows.ts.
 */
function* run(ctx: RunContext): Generator<SimEvent, SimulationStats> {
  const { store, gateways, endMs, stats } = ctx;
  const G = gateways.length;
  const eids = new EidCalculator({ maxKeys: 100_000 });
  const heap = new EventHeap<Advertiser>();
  const truthShoppers = scheduleAdvertisers(
    { store, gateways: G, shoppers: ctx.shoppers, startMs: ctx.startMs, endMs, fixedRng: ctx.fixedRng },
    heap,
  );
  const truth = createTruthWindows({
    shoppers: truthShoppers,
    gatewayIds: gateways.map((g) => g.id),
    model: ctx.model,
    startMs: ctx.startMs,
    endMs,
    windowSeconds: ctx.windowSeconds,
    stats,
  });
  const radioParams: RadioParams = store.radio;
  const sens = radioParams.sensitivityDbm;
  const slope = radioParams.detectionSlopeDb;
  const sigmaS = radioParams.shadowingSigmaDb;
  const tauMs = radioParams.shadowingCorrelationSeconds * 1000;
  const sigmaF = radioParams.fadingSigmaDb;
  const n = radioParams.pathLossExponent;
  const height = radioParams.heightDifferenceM;

  for (;;) {
    const adv = heap.peek();
    if (adv === undefined) break;
    const t = adv.next;
    while (t >= truth.windowEndMs) for (const record of truth.close()) yield { type: 'truth', record };

    // The device's position and mean RSSI per gateway.
    const radio = adv.radio;
    if (t >= radio.segEndMs) updatePosition(radio, t, gateways, n, height);

    // Address, EID and payload for this event.
    prepareAdvert(adv, t, eids);
    stats.advertsTransmitted++;
    const shopper = adv.shopper;
    if (shopper !== null && adv.eid !== null) {
      const hex = adv.eid.toString('hex');
      if (!shopper.eids.includes(hex)) shopper.eids.push(hex);
    }

    const tMs = Math.floor(t);
    const template = adv.template as Buffer;
    const last = template.length - 1;
    for (let g = 0; g < G; g++) {
      // Shadowing: exact OU step since this pair was last evaluated (stationary draw the first time).
      const prevT = radio.shadowT[g] as number;
      let s: number;
      if (Number.isNaN(prevT)) s = sigmaS * radio.sampler.normal();
      else {
        const rho = Math.exp(-(t - prevT) / tauMs);
        s = rho * (radio.shadow[g] as number) + sigmaS * Math.sqrt(1 - rho * rho) * radio.sampler.normal();
      }
      radio.shadow[g] = s;
      radio.shadowT[g] = t;
      const slow = (radio.mean[g] as number) + s;
      const rssi = slow + sigmaF * radio.sampler.normal();
      if (radio.sampler.unit() >= detectionProbability(rssi, sens, slope)) continue;
      const hci = Buffer.from(template);
      hci.writeInt8(clampRssi(rssi), last);
      stats.reports++;
      (stats.reportsByGateway[g] as number)++;
      if (shopper !== null) shopper.heard.add(g);
      yield { type: 'report', gateway: g, tMs, hci };
      if (adv.scanTemplate !== null) {
        const rsp = Buffer.from(adv.scanTemplate);
        rsp.writeInt8(clampRssi(slow + sigmaF * radio.sampler.normal()), rsp.length - 1);
        stats.reports++;
        (stats.reportsByGateway[g] as number)++;
        yield { type: 'report', gateway: g, tMs, hci: rsp };
      }
    }

    scheduleNext(adv);
    if (adv.next >= adv.endMs) heap.pop();
    else heap.updateTop();
  }
  while (truth.windowStartMs < endMs) for (const record of truth.close()) yield { type: 'truth', record };
  return stats;
}
