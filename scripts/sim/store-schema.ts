import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '../../shared/protocol/topics.ts';
import type { RoleSchema } from '../../shared/config/load-config.ts';
import type { Problem } from '../../shared/validation.ts';
import { minutesOfDay } from './core/arrivals.ts';
import { pointInPolygon, zonePolygon } from './core/geometry.ts';

/**
 * The store description the simulator reads (scripts/stores/*.yaml, docs/simulator.md).
 * Lengths are metres, radio figures dB/dBm, times seconds unless a name says otherwise.
 * Defaults live here, in the schema; the sources of the defaults are in docs/simulator.md.
 */
const Id = Type.String({ pattern: ID_PATTERN, maxLength: 64 });
const closed = { additionalProperties: false } as const;
const Share = Type.Number({ minimum: 0, maximum: 1 });
const Point = Type.Tuple([Type.Number(), Type.Number()], { description: '[x, y] in metres' });
const ClockTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' });

const Dwell = Type.Object(
  {
    meanSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }),
    distribution: Type.Union([Type.Literal('exponential'), Type.Literal('lognormal')], { default: 'exponential' }),
    /** Shape σ of the log-normal (the standard deviation of ln dwell). */
    sigma: Type.Number({ exclusiveMinimum: 0, maximum: 3, default: 0.8 }),
  },
  closed,
);

const Zone = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String({ maxLength: 200 })),
    rect: Type.Optional(
      Type.Object(
        {
          x: Type.Number(),
          y: Type.Number(),
          width: Type.Number({ exclusiveMinimum: 0 }),
          height: Type.Number({ exclusiveMinimum: 0 }),
        },
        closed,
      ),
    ),
    polygon: Type.Optional(Type.Array(Point, { minItems: 3, maxItems: 256 })),
    dwell: Dwell,
    /** Relative pull of this zone in the movement chain. */
    attraction: Type.Number({ minimum: 0, maximum: 1000, default: 1 }),
    /** Explicit next-zone weights; without them, attraction × exp(−distance / distanceScaleM). */
    next: Type.Optional(Type.Record(Type.String({ pattern: ID_PATTERN }), Type.Number({ minimum: 0 }))),
  },
  closed,
);

const Gateway = Type.Object(
  {
    id: Id,
    zone: Id,
    position: Point,
    /** Receiver gain difference of this gateway's adapter and mounting (ESPresense's rx_adj_rssi). */
    receiverOffsetDb: Type.Number({ minimum: -30, maximum: 30, default: 0 }),
  },
  closed,
);

const FixedDevice = Type.Object(
  {
    kind: Type.Union([Type.Literal('ibeacon'), Type.Literal('eddystone-uid'), Type.Literal('named')]),
    position: Point,
    intervalMs: Type.Number({ minimum: 20, maximum: 10_240, default: 1000 }),
    /** The Complete Local Name of a `named` device (a printer, a till, a speaker). */
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 26 })),
  },
  closed,
);

export const StoreSchema = Type.Object(
  {
    store: Id,
    name: Type.Optional(Type.String({ maxLength: 200 })),
    hours: Type.Object({ opens: ClockTime, closes: ClockTime }, closed),
    /** Arrivals per hour for each opening hour; when absent, the default curve scaled to peakArrivalsPerHour. */
    arrivalsPerHour: Type.Optional(
      Type.Array(Type.Number({ minimum: 0, maximum: 100_000 }), { minItems: 1, maxItems: 24 }),
    ),
    peakArrivalsPerHour: Type.Number({ minimum: 0, maximum: 100_000, default: 60 }),
    entrance: Type.Union([Type.Object({ zone: Id }, closed), Type.Object({ point: Point }, closed)]),
    zones: Type.Array(Zone, { minItems: 1, maxItems: 1000 }),
    gateways: Type.Array(Gateway, { minItems: 1, maxItems: 1000 }),
    shoppers: Type.Object(
      {
        optInFraction: Type.Number({ minimum: 0, maximum: 1, default: 0.3 }),
        /** How the opted-in shoppers split; the four shares must sum to 1. */
        optedIn: Type.Object(
          { android: Share, iosForeground: Share, iosBackground: Share, tag: Share },
          { ...closed, default: { android: 0.5, iosForeground: 0.15, iosBackground: 0.25, tag: 0.1 } },
        ),
        /** AOSP advertise modes of the Android app: 100 ms, 250 ms, 1000 ms; must sum to 1. */
        androidModes: Type.Object(
          { lowLatency: Share, balanced: Share, lowPower: Share },
          { ...closed, default: { lowLatency: 0.1, balanced: 0.3, lowPower: 0.6 } },
        ),
        /** Share of phones that are iPhones (for shoppers whose phone is not fixed by their kind). */
        iphoneShare: Type.Number({ minimum: 0, maximum: 1, default: 0.55 }),
        /** Share of not-opted-in shoppers (and tag carriers) whose phone advertises at all. */
        phoneShare: Type.Number({ minimum: 0, maximum: 1, default: 0.9 }),
        earbudsShare: Type.Number({ minimum: 0, maximum: 1, default: 0.2 }),
        watchShare: Type.Number({ minimum: 0, maximum: 1, default: 0.15 }),
        /** Share of shoppers also carrying a lost-item tracker (Find My Device network frames on 0xFEAA). */
        trackerShare: Type.Number({ minimum: 0, maximum: 1, default: 0.05 }),
        /** EID rotation exponent K given at enrolment (docs/architecture.md#identifiers). */
        exponent: Type.Integer({ minimum: 0, maximum: 15, default: 9 }),
        tagIntervalMs: Type.Number({ minimum: 20, maximum: 10_240, default: 1000 }),
        /** Loyalty tags keep their own seconds counter: each is off by up to ± this many seconds. */
        tagClockSkewSeconds: Type.Number({ minimum: 0, maximum: 3600, default: 10 }),
      },
      { ...closed, default: {} },
    ),
    movement: Type.Object(
      {
        /** After each zone visit, the chance the shopper heads for the exit. */
        leaveProbability: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.2 }),
        /** Mean seconds between moves to a new spot inside the same zone (exponential). */
        browseStepSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 3600, default: 20 }),
        distanceScaleM: Type.Number({ exclusiveMinimum: 0, maximum: 10_000, default: 15 }),
      },
      { ...closed, default: {} },
    ),
    radio: Type.Object(
      {
        pathLossExponent: Type.Number({ minimum: 1.5, maximum: 6, default: 2.7 }),
        shadowingSigmaDb: Type.Number({ minimum: 0, maximum: 20, default: 6 }),
        shadowingCorrelationSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 3600, default: 10 }),
        fadingSigmaDb: Type.Number({ minimum: 0, maximum: 20, default: 3 }),
        /** RSSI at which half the packets are received. */
        sensitivityDbm: Type.Number({ minimum: -120, maximum: -40, default: -94 }),
        /** Logistic scale of the detection falloff around the sensitivity (dB). */
        detectionSlopeDb: Type.Number({ exclusiveMinimum: 0, maximum: 20, default: 2 }),
        /** Per-device transmit power spread: uniform in ± this many dB. */
        txSpreadDb: Type.Number({ minimum: 0, maximum: 20, default: 5 }),
        /** Height of the gateways above the carried devices (added to the floor distance). */
        heightDifferenceM: Type.Number({ minimum: 0, maximum: 50, default: 1.5 }),
      },
      { ...closed, default: {} },
    ),
    fixedDevices: Type.Array(FixedDevice, { maxItems: 10_000, default: [] }),
  },
  closed,
);

export type StoreConfig = Static<typeof StoreSchema>;
export type ZoneConfig = Static<typeof Zone>;
export type GatewayPlacement = Static<typeof Gateway>;
export type FixedDeviceConfig = Static<typeof FixedDevice>;

function sumCheck(problems: Problem[], path: string, shares: Record<string, number>): void {
  const total = Object.values(shares).reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) > 1e-6) {
    problems.push({
      path,
      message: `shares sum to ${Number(total.toFixed(6))}, expected 1 (${Object.keys(shares).join(' + ')})`,
    });
  }
}

function semanticCheck(store: StoreConfig): Problem[] {
  const problems: Problem[] = [];
  const zoneIds = new Map<string, number>();
  store.zones.forEach((zone, i) => {
    if (zoneIds.has(zone.id))
      problems.push({
        path: `/zones/${i}/id`,
        message: `is "${zone.id}", which zone ${zoneIds.get(zone.id)} already uses; zone ids must be unique`,
      });
    else zoneIds.set(zone.id, i);
    if ((zone.rect === undefined) === (zone.polygon === undefined)) {
      problems.push({ path: `/zones/${i}`, message: 'needs exactly one of "rect" or "polygon"' });
    }
  });
  store.zones.forEach((zone, i) => {
    for (const target of Object.keys(zone.next ?? {})) {
      if (!zoneIds.has(target))
        problems.push({ path: `/zones/${i}/next/${target}`, message: `names zone "${target}", which does not exist` });
    }
  });
  const gatewayIds = new Map<string, number>();
  store.gateways.forEach((gw, i) => {
    if (gatewayIds.has(gw.id))
      problems.push({
        path: `/gateways/${i}/id`,
        message: `is "${gw.id}", which gateway ${gatewayIds.get(gw.id)} already uses; gateway ids must be unique`,
      });
    else gatewayIds.set(gw.id, i);
    const zi = zoneIds.get(gw.zone);
    const zone = zi === undefined ? undefined : store.zones[zi];
    if (zone === undefined) {
      problems.push({
        path: `/gateways/${i}/zone`,
        message: `is "${gw.zone}", expected one of the zone ids (${[...zoneIds.keys()].slice(0, 10).join(', ')})`,
      });
    } else if (
      (zone.rect !== undefined) !== (zone.polygon !== undefined) &&
      !pointInPolygon(gw.position, zonePolygon(zone))
    ) {
      problems.push({
        path: `/gateways/${i}/position`,
        message: `is [${gw.position.join(', ')}], which is outside zone "${gw.zone}"`,
      });
    }
  });
  if ('zone' in store.entrance && !zoneIds.has(store.entrance.zone)) {
    problems.push({ path: '/entrance/zone', message: `is "${store.entrance.zone}", expected one of the zone ids` });
  }
  if ('point' in store.entrance) {
    const point = store.entrance.point;
    const inside = store.zones.some(
      (z) => (z.rect !== undefined) !== (z.polygon !== undefined) && pointInPolygon(point, zonePolygon(z)),
    );
    if (!inside)
      problems.push({ path: '/entrance/point', message: `is [${point.join(', ')}], which is inside no zone` });
  }
  const opens = minutesOfDay(store.hours.opens);
  const closes = minutesOfDay(store.hours.closes);
  if (closes <= opens)
    problems.push({
      path: '/hours/closes',
      message: `is ${store.hours.closes}, expected later than opens (${store.hours.opens})`,
    });
  else if (store.arrivalsPerHour !== undefined) {
    const hours = Math.ceil((closes - opens) / 60);
    if (store.arrivalsPerHour.length !== hours) {
      problems.push({
        path: '/arrivalsPerHour',
        message: `has ${store.arrivalsPerHour.length} values, expected ${hours} (one per opening hour, ${store.hours.opens}–${store.hours.closes})`,
      });
    }
  }
  sumCheck(problems, '/shoppers/optedIn', store.shoppers.optedIn);
  sumCheck(problems, '/shoppers/androidModes', store.shoppers.androidModes);
  store.fixedDevices.forEach((device, i) => {
    if (device.kind === 'named' && device.name === undefined)
      problems.push({ path: `/fixedDevices/${i}/name`, message: 'is required for a "named" device' });
  });
  return problems;
}

export const storeRole: RoleSchema<StoreConfig> = { role: 'store', schema: StoreSchema, semanticCheck };
