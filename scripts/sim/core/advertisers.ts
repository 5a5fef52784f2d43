import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../../shared/ble/hci-report.ts';
import { periodStart, type EidCalculator } from '../../../shared/eid/eid.ts';
import type { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import type { StoreConfig } from '../store-schema.ts';
import {
  ADV_DELAY_MAX_MS,
  ADVERTISER_CLASSES,
  eidAdvert,
  formatAddress,
  noiseAdvert,
  scanResponse,
  type AdvertiserClass,
} from './device-classes.ts';
import type { EventHeap } from './event-heap.ts';
import { distance } from './geometry.ts';
import type { Segment } from './movement.ts';
import { isDetectable, type ShopperPlan } from './population.ts';
import { meanRssi, slantDistance } from './radio.ts';
import { Sampler } from './sampler.ts';

/**
 * The simulator's advertisers: every shopper's devices and the store's fixed devices, each one
 * advertising class (device-classes.ts) on its own radio (position, per-gateway mean RSSI and
 * shadowing), scheduled in the engine's event heap by its next transmission. Pure and
 * deterministic: every draw comes from the advertiser's own seeded stream.
 */

/** Where a gateway is, as the radio model needs it. */
export interface GatewayPosition {
  x: number;
  y: number;
  receiverOffsetDb: number;
}

export interface Radio {
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

export interface ShopperState {
  readonly plan: ShopperPlan;
  readonly eids: string[];
  readonly heard: Set<number>;
  cursor: number;
}

export interface Advertiser {
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

export interface AdvertiserSetup {
  store: StoreConfig;
  gateways: number;
  shoppers: readonly ShopperPlan[];
  startMs: number;
  endMs: number;
  fixedRng: SeededRandomSource;
}

function newRadio(
  setup: AdvertiserSetup,
  p1mDbm: number,
  sampler: Sampler,
  segments: readonly Segment[] | null,
  fixed: readonly [number, number] | null,
): Radio {
  const spread = setup.store.radio.txSpreadDb;
  return {
    p1mDbm: p1mDbm + sampler.uniform(-spread, spread),
    segments,
    fixed,
    seg: -1,
    segEndMs: -Infinity,
    mean: new Float64Array(setup.gateways),
    shadow: new Float64Array(setup.gateways),
    shadowT: new Float64Array(setup.gateways).fill(Number.NaN),
    sampler,
  };
}

/** What one advertiser does: its class, radio, lifetime and (for a shopper's EID carrier) its shopper. */
interface AdvertiserSpec {
  cls: AdvertiserClass;
  radio: Radio;
  rng: SeededRandomSource;
  fromMs: number;
  untilMs: number;
  intervalMs: number | undefined;
  shopper: ShopperState | null;
  name?: string;
}

/** Schedules the advertiser's first transmission (nothing if it would fall after its end). */
function addAdvertiser(heap: EventHeap<Advertiser>, endMs: number, spec: AdvertiserSpec): void {
  const { cls } = spec;
  const sampler = new Sampler(spec.rng);
  const interval =
    spec.intervalMs ??
    (typeof cls.intervalMs === 'number' ? cls.intervalMs : sampler.uniform(cls.intervalMs[0], cls.intervalMs[1]));
  const first = spec.fromMs + sampler.unit() * interval;
  const until = Math.min(spec.untilMs, endMs);
  if (first >= until) return;
  const rotateMs = typeof cls.rotateSeconds === 'number' ? cls.rotateSeconds * 1000 : 0;
  heap.push({
    next: first,
    // Setup pushes before the engine pops anything, so the heap's size numbers the advertisers in
    // the order they were scheduled (the tie-break of equal transmission times).
    order: heap.size,
    cls,
    radio: spec.radio,
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
    name: spec.name,
    shopper: spec.shopper,
  });
}

/**
 * Puts every advertiser of the day in `heap`: the shoppers' devices (one radio per device, all
 * its advertisers on it) and then the fixed devices (beacons, printers, tills) for the whole
 * span. Returns the shoppers whose ground truth is recorded (opted in and detectable), in
 * arrival order.
 */
export function scheduleAdvertisers(setup: AdvertiserSetup, heap: EventHeap<Advertiser>): ShopperState[] {
  const truthShoppers: ShopperState[] = [];
  for (const plan of setup.shoppers) {
    const state: ShopperState | null =
      isDetectable(plan.kind) && plan.shopperId !== null ? { plan, eids: [], heard: new Set(), cursor: 0 } : null;
    if (state !== null) truthShoppers.push(state);
    plan.devices.forEach((device, d) => {
      const deviceRng = plan.rng.fork(`device-${d}`);
      const firstClass = ADVERTISER_CLASSES[(device.advertisers[0] as { kind: keyof typeof ADVERTISER_CLASSES }).kind];
      const radio = newRadio(setup, firstClass.p1mDbm, new Sampler(deviceRng.fork('radio')), plan.visit.segments, null);
      device.advertisers.forEach((adv, a) => {
        const cls = ADVERTISER_CLASSES[adv.kind];
        addAdvertiser(heap, setup.endMs, {
          cls,
          radio,
          rng: deviceRng.fork(`advertiser-${a}`),
          fromMs: plan.visit.arriveMs,
          untilMs: plan.visit.departMs,
          intervalMs: adv.intervalMs,
          shopper: cls.carriesEid ? state : null,
        });
      });
    });
  }
  setup.store.fixedDevices.forEach((device, i) => {
    const kind = device.kind === 'named' ? 'named-device' : device.kind;
    const cls = ADVERTISER_CLASSES[kind];
    const rng = setup.fixedRng.fork(`fixed-${i}`);
    const radio = newRadio(setup, cls.p1mDbm, new Sampler(rng.fork('radio')), null, device.position);
    addAdvertiser(heap, setup.endMs, {
      cls,
      radio,
      rng: rng.fork('advertiser'),
      fromMs: setup.startMs,
      untilMs: setup.endMs,
      intervalMs: device.intervalMs,
      shopper: null,
      name: device.name,
    });
  });
  return truthShoppers;
}

/** Moves the radio to its position at `t` and recomputes the mean RSSI at every gateway. */
export function updatePosition(
  radio: Radio,
  t: number,
  gateways: readonly GatewayPosition[],
  n: number,
  height: number,
): void {
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
    const gw = gateways[g] as GatewayPosition;
    const d = slantDistance(distance([x, y], [gw.x, gw.y]), height);
    radio.mean[g] = meanRssi(radio.p1mDbm, d, n) + gw.receiverOffsetDb;
  }
}

/** Brings the advertiser's address, EID and report templates up to date for a transmission at `t`. */
export function prepareAdvert(adv: Advertiser, t: number, eids: EidCalculator): void {
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
export function scheduleNext(adv: Advertiser): void {
  let next = adv.next + adv.intervalMs + adv.sampler.unit() * ADV_DELAY_MAX_MS;
  const duty = adv.cls.duty;
  if (duty !== undefined && next >= adv.onUntil) {
    next = adv.onUntil + adv.sampler.uniform(duty.gapSeconds[0], duty.gapSeconds[1]) * 1000;
    adv.onUntil = next + adv.sampler.exponential(duty.onMeanSeconds * 1000);
  }
  adv.next = next;
}
