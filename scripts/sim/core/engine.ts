import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../../shared/ble/hci-report.ts';
import { EidCalculator, periodStart } from '../../../shared/eid/eid.ts';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import type { StoreConfig } from '../store-schema.ts';
import { arrivalCurve, minutesOfDay, sampleArrivals } from './arrivals.ts';
import {
  ADV_DELAY_MAX_MS,
  ADVERTISER_CLASSES,
  eidAdvert,
  formatAddress,
  noiseAdvert,
  scanResponse,
  type AdvertiserClass,
} from './device-classes.ts';
import { EventHeap } from './event-heap.ts';
import { distance } from './geometry.ts';
import { buildMovementModel, type MovementModel, type Segment } from './movement.ts';
import { isDetectable, planShoppers, type ShopperPlan } from './population.ts';
import { clampRssi, detectionProbability, meanRssi, slantDistance, type RadioParams } from './radio.ts';
import { Sampler } from './sampler.ts';
import { placeInWindow, type TruthRecord } from './truth.ts';

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

interface Radio {
  readonly p1mDbm: number;
  readonly segments: readonly Segment[] | null;
  readonly fixed: readonly [number, number] | null;
  seg: number;
  segEndMs: number;
  readonly mean: Float64Array;
  readonly shadow: Float64Array;
  readonly shadowT: Float64Array;
  readonly sampler: Sampler;
}

interface ShopperState {
  readonly plan: ShopperPlan;
  readonly eids: string[];
  readonly heard: Set<number>;
  cursor: number;
}

interface Advertiser {
  next: number;
  readonly order: number;
  readonly cls: AdvertiserClass;
  readonly radio: Radio;
  readonly sampler: Sampler;
  readonly endMs: number;
  readonly intervalMs: number;
  onUntil: number;
  readonly rotatePhaseMs: number;
  addressEpoch: number;
  address: string;
  random: Uint8Array;
  eidPeriod: number;
  eid: Buffer | null;
  template: Buffer | null;
  scanTemplate: Buffer | null;
  readonly name: string | undefined;
  readonly shopper: ShopperState | null;
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

function* run(ctx: RunContext): Generator<SimEvent, SimulationStats> {
  const { store, gateways, model, startMs, endMs, stats } = ctx;
  const radioParams: RadioParams = store.radio;
  const G = gateways.length;
  const eids = new EidCalculator({ maxKeys: 100_000 });
  const heap = new EventHeap<Advertiser>();
  let order = 0;

  const newRadio = (
    p1mDbm: number,
    sampler: Sampler,
    segments: readonly Segment[] | null,
    fixed: readonly [number, number] | null,
  ): Radio => ({
    p1mDbm: p1mDbm + sampler.uniform(-radioParams.txSpreadDb, radioParams.txSpreadDb),
    segments,
    fixed,
    seg: -1,
    segEndMs: -Infinity,
    mean: new Float64Array(G),
    shadow: new Float64Array(G),
    shadowT: new Float64Array(G).fill(Number.NaN),
    sampler,
  });

  const addAdvertiser = (
    cls: AdvertiserClass,
    radio: Radio,
    rng: SeededRandomSource,
    fromMs: number,
    untilMs: number,
    intervalMs: number | undefined,
    shopper: ShopperState | null,
    name?: string,
  ): void => {
    const sampler = new Sampler(rng);
    const interval =
      intervalMs ??
      (typeof cls.intervalMs === 'number' ? cls.intervalMs : sampler.uniform(cls.intervalMs[0], cls.intervalMs[1]));
    const first = fromMs + sampler.unit() * interval;
    const until = Math.min(untilMs, endMs);
    if (first >= until) return;
    const rotateMs = typeof cls.rotateSeconds === 'number' ? cls.rotateSeconds * 1000 : 0;
    heap.push({
      next: first,
      order: order++,
      cls,
      radio,
      sampler,
      endMs: until,
      intervalMs: interval,
      onUntil: cls.duty ? first + sampler.exponential(cls.duty.onMeanSeconds * 1000) : Infinity,
      rotatePhaseMs: rotateMs > 0 ? sampler.unit() * rotateMs : 0,
      addressEpoch: Number.NaN,
      address: '',
      random: new Uint8Array(24),
      eidPeriod: Number.NaN,
      eid: null,
      template: null,
      scanTemplate: null,
      name,
      shopper,
    });
  };

  // Shoppers' devices.
  const truthShoppers: ShopperState[] = [];
  for (const plan of ctx.shoppers) {
    const state: ShopperState | null =
      isDetectable(plan.kind) && plan.shopperId !== null ? { plan, eids: [], heard: new Set(), cursor: 0 } : null;
    if (state !== null) truthShoppers.push(state);
    plan.devices.forEach((device, d) => {
      const deviceRng = plan.rng.fork(`device-${d}`);
      const firstClass = ADVERTISER_CLASSES[(device.advertisers[0] as { kind: keyof typeof ADVERTISER_CLASSES }).kind];
      const radio = newRadio(firstClass.p1mDbm, new Sampler(deviceRng.fork('radio')), plan.visit.segments, null);
      device.advertisers.forEach((adv, a) => {
        const cls = ADVERTISER_CLASSES[adv.kind];
        addAdvertiser(
          cls,
          radio,
          deviceRng.fork(`advertiser-${a}`),
          plan.visit.arriveMs,
          plan.visit.departMs,
          adv.intervalMs,
          cls.carriesEid ? state : null,
        );
      });
    });
  }
  // Fixed devices (beacons, printers, tills) for the whole span.
  store.fixedDevices.forEach((device, i) => {
    const kind = device.kind === 'named' ? 'named-device' : device.kind;
    const cls = ADVERTISER_CLASSES[kind];
    const rng = ctx.fixedRng.fork(`fixed-${i}`);
    const radio = newRadio(cls.p1mDbm, new Sampler(rng.fork('radio')), null, device.position);
    addAdvertiser(cls, radio, rng.fork('advertiser'), startMs, endMs, device.intervalMs, null, device.name);
  });

  // Windows and truth.
  const windowMs = ctx.windowSeconds * 1000;
  let windowStart = Math.floor(startMs / windowMs) * windowMs;
  let nextArrival = 0;
  let present: ShopperState[] = [];

  function* closeWindow(): Generator<SimEvent> {
    const from = Math.max(windowStart, startMs);
    const to = Math.min(windowStart + windowMs, endMs);
    while (
      nextArrival < truthShoppers.length &&
      (truthShoppers[nextArrival] as ShopperState).plan.visit.arriveMs < to
    ) {
      present.push(truthShoppers[nextArrival] as ShopperState);
      nextArrival++;
    }
    for (const s of present) {
      const { placement, cursor } = placeInWindow(s.plan.visit, from, to, s.cursor);
      s.cursor = cursor;
      if (placement !== null) {
        const heardBy: string[] = [];
        for (let g = 0; g < G; g++) if (s.heard.has(g)) heardBy.push((gateways[g] as SimGateway).id);
        stats.truthRecords++;
        yield {
          type: 'truth',
          record: {
            windowStart: windowStart / 1000,
            shopperId: s.plan.shopperId as string,
            kind: s.plan.kind,
            zone: (model.zones[placement.zone] as { id: string }).id,
            x: Math.round(placement.x * 100) / 100,
            y: Math.round(placement.y * 100) / 100,
            eids: [...s.eids],
            heardBy,
          },
        };
      }
      s.eids.length = 0;
      s.heard.clear();
    }
    present = present.filter((s) => s.plan.visit.departMs > to);
    windowStart += windowMs;
  }

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
    while (t >= windowStart + windowMs) yield* closeWindow();

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
  while (windowStart < endMs) yield* closeWindow();
  return stats;
}

/** Moves the radio to its position at `t` and recomputes the mean RSSI at every gateway. */
function updatePosition(radio: Radio, t: number, gateways: readonly SimGateway[], n: number, height: number): void {
  let x: number;
  let y: number;
  if (radio.segments === null) {
    const fixed = radio.fixed as readonly [number, number];
    x = fixed[0];
    y = fixed[1];
    radio.segEndMs = Infinity;
  } else {
    const segs = radio.segments;
    let i = Math.max(radio.seg, 0);
    while (i < segs.length - 1 && (segs[i] as Segment).endMs <= t) i++;
    const seg = segs[i] as Segment;
    radio.seg = i;
    radio.segEndMs = i === segs.length - 1 ? Infinity : seg.endMs;
    x = seg.x;
    y = seg.y;
  }
  for (let g = 0; g < gateways.length; g++) {
    const gw = gateways[g] as SimGateway;
    const d = slantDistance(distance([x, y], [gw.x, gw.y]), height);
    radio.mean[g] = meanRssi(radio.p1mDbm, d, n) + gw.receiverOffsetDb;
  }
}

/** Brings the advertiser's address, EID and report templates up to date for a transmission at `t`. */
function prepareAdvert(adv: Advertiser, t: number, eids: EidCalculator): void {
  const cls = adv.cls;
  let changed = adv.template === null;
  if (cls.carriesEid && adv.shopper !== null) {
    const plan = adv.shopper.plan;
    const counter = Math.floor(t / 1000) + plan.clockSkewSeconds;
    const period = periodStart(counter, plan.exponent);
    if (period !== adv.eidPeriod) {
      adv.eidPeriod = period;
      adv.eid = eids.eid(plan.identityKey as Uint8Array, plan.exponent, counter);
      changed = true;
      if (cls.rotateSeconds === 'eid') {
        adv.addressEpoch = period;
        adv.address = formatAddress(adv.sampler.bytes(6), cls.address);
      }
    }
  }
  if (cls.rotateSeconds !== 'eid') {
    const epoch =
      typeof cls.rotateSeconds === 'number' ? Math.floor((t + adv.rotatePhaseMs) / (cls.rotateSeconds * 1000)) : 0;
    if (epoch !== adv.addressEpoch) {
      adv.addressEpoch = epoch;
      adv.address = formatAddress(adv.sampler.bytes(6), cls.address);
      adv.sampler.rng.fillBytes(adv.random);
      changed = true;
    }
  }
  if (!changed) return;
  const addressType = cls.address === 'public' ? 'public' : 'random';
  const data =
    adv.eid !== null ? eidAdvert(cls.kind, adv.eid, cls.p1mDbm) : noiseAdvert(cls.kind, adv.random, adv.name);
  adv.template = encodeAdvertisingReport({
    eventType: cls.eventType,
    addressType,
    address: adv.address,
    data,
    rssi: 0,
  });
  adv.scanTemplate = cls.scanResponse
    ? encodeAdvertisingReport({
        eventType: ADV_EVENT_TYPES.SCAN_RSP,
        addressType,
        address: adv.address,
        data: scanResponse(cls.kind, adv.random),
        rssi: 0,
      })
    : null;
}

/** The next transmission: interval + advDelay, with on/off duty cycles for intermittent traffic. */
function scheduleNext(adv: Advertiser): void {
  let next = adv.next + adv.intervalMs + adv.sampler.unit() * ADV_DELAY_MAX_MS;
  const duty = adv.cls.duty;
  if (duty !== undefined && next >= adv.onUntil) {
    next = adv.onUntil + adv.sampler.uniform(duty.gapSeconds[0], duty.gapSeconds[1]) * 1000;
    adv.onUntil = next + adv.sampler.exponential(duty.onMeanSeconds * 1000);
  }
  adv.next = next;
}
