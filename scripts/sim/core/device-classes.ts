import { ADV_EVENT_TYPES } from '../../../shared/ble/hci-report.ts';
import { AD_TYPES, encodeEddystoneAdvert, encodeIosAdvert } from '../../../shared/eid/carriers.ts';

/**
 * Every kind of advertiser the simulator knows, with its advertising behaviour. The figures and
 * their sources are tabulated in docs/simulator.md; the short version:
 * - Android app: AOSP advertise modes 100 / 250 / 1000 ms (GattService constants);
 * - every advertising event is delayed by advDelay, uniform 0–10 ms (Core Spec);
 * - iOS has no documented interval: foreground 100 ms (assumption), background and OS
 *   traffic 200–1000 ms with 5–30 s gaps (docs/simulator.md#advertisers);
 * - resolvable private addresses rotate every 15 minutes; EID tags rotate theirs with the EID
 *   (Eddystone-EID guidance).
 */

export type AdvertiserKind =
  | 'android-app'
  | 'ios-app-foreground'
  | 'ios-app-background'
  | 'loyalty-tag'
  | 'apple-nearby'
  | 'google-nearby'
  | 'airpods'
  | 'galaxy-buds'
  | 'apple-watch'
  | 'named-watch'
  | 'fmdn-tracker'
  | 'ibeacon'
  | 'eddystone-uid'
  | 'named-device';

export type AddressKind = 'resolvable' | 'non-resolvable' | 'static' | 'public';

export interface AdvertiserClass {
  kind: AdvertiserKind;
  /** Carries an opt-in EID (and so appears in truth.jsonl). */
  carriesEid: boolean;
  eventType: number;
  /** Connectable adverts are answered with a scan response to the (active-scanning) gateway. */
  scanResponse: boolean;
  /** Fixed interval, or a per-device interval drawn uniformly from [min, max] once. */
  intervalMs: number | readonly [number, number];
  /** On/off behaviour: on for an exponential time with this mean, then silent for uniform [min, max] s. */
  duty?: { onMeanSeconds: number; gapSeconds: readonly [number, number] };
  /** RSSI at 1 m (dBm) for this class's nominal transmit power. */
  p1mDbm: number;
  address: AddressKind;
  /** Seconds between address changes; 'eid' = with every EID rotation; null = never. */
  rotateSeconds: number | 'eid' | null;
}

const RPA_ROTATION_S = 15 * 60;
const OS_DUTY = { onMeanSeconds: 20, gapSeconds: [5, 30] as const };

export const ADVERTISER_CLASSES: Readonly<Record<AdvertiserKind, AdvertiserClass>> = {
  'android-app': {
    kind: 'android-app',
    carriesEid: true,
    eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
    scanResponse: false,
    intervalMs: 1000,
    p1mDbm: -59,
    address: 'resolvable',
    rotateSeconds: RPA_ROTATION_S,
  },
  'ios-app-foreground': {
    kind: 'ios-app-foreground',
    carriesEid: true,
    eventType: ADV_EVENT_TYPES.ADV_IND,
    scanResponse: true,
    intervalMs: 100,
    p1mDbm: -59,
    address: 'resolvable',
    rotateSeconds: RPA_ROTATION_S,
  },
  'ios-app-background': {
    kind: 'ios-app-background',
    carriesEid: false,
    eventType: ADV_EVENT_TYPES.ADV_IND,
    scanResponse: true,
    intervalMs: [200, 1000],
    duty: OS_DUTY,
    p1mDbm: -59,
    address: 'resolvable',
    rotateSeconds: RPA_ROTATION_S,
  },
  'loyalty-tag': {
    kind: 'loyalty-tag',
    carriesEid: true,
    eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
    scanResponse: false,
    intervalMs: 1000,
    p1mDbm: -62,
    address: 'non-resolvable',
    rotateSeconds: 'eid',
  },
  'apple-nearby': {
    kind: 'apple-nearby',
    carriesEid: false,
    eventType: ADV_EVENT_TYPES.ADV_IND,
    scanResponse: true,
    intervalMs: [200, 1000],
    duty: OS_DUTY,
    p1mDbm: -59,
    address: 'resolvable',
    rotateSeconds: RPA_ROTATION_S,
  },
  'google-nearby': {
    kind: 'google-nearby',
    carriesEid: false,
    eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
    scanResponse: false,
    intervalMs: 1000,
    duty: { onMeanSeconds: 10, gapSeconds: [5, 30] },
    p1mDbm: -59,
    address: 'resolvable',
    rotateSeconds: RPA_ROTATION_S,
  },
  airpods: {
    kind: 'airpods',
    carriesEid: false,
    eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
    scanResponse: false,
    intervalMs: [200, 1000],
    duty: OS_DUTY,
    p1mDbm: -65,
    address: 'resolvable',
    rotateSeconds: RPA_ROTATION_S,
  },
  'galaxy-buds': {
    kind: 'galaxy-buds',
    carriesEid: false,
    eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
    scanResponse: false,
    intervalMs: 1000,
    duty: OS_DUTY,
    p1mDbm: -65,
    address: 'resolvable',
    rotateSeconds: RPA_ROTATION_S,
  },
  'apple-watch': {
    kind: 'apple-watch',
    carriesEid: false,
    eventType: ADV_EVENT_TYPES.ADV_IND,
    scanResponse: true,
    intervalMs: [200, 1000],
    duty: OS_DUTY,
    p1mDbm: -62,
    address: 'resolvable',
    rotateSeconds: RPA_ROTATION_S,
  },
  'named-watch': {
    kind: 'named-watch',
    carriesEid: false,
    eventType: ADV_EVENT_TYPES.ADV_IND,
    scanResponse: true,
    intervalMs: 1000,
    p1mDbm: -62,
    address: 'resolvable',
    rotateSeconds: RPA_ROTATION_S,
  },
  'fmdn-tracker': {
    kind: 'fmdn-tracker',
    carriesEid: false,
    eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
    scanResponse: false,
    intervalMs: 2000,
    p1mDbm: -62,
    address: 'non-resolvable',
    rotateSeconds: 1024,
  },
  ibeacon: {
    kind: 'ibeacon',
    carriesEid: false,
    eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
    scanResponse: false,
    intervalMs: 1000,
    p1mDbm: -59,
    address: 'public',
    rotateSeconds: null,
  },
  'eddystone-uid': {
    kind: 'eddystone-uid',
    carriesEid: false,
    eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
    scanResponse: false,
    intervalMs: 1000,
    p1mDbm: -59,
    address: 'public',
    rotateSeconds: null,
  },
  'named-device': {
    kind: 'named-device',
    carriesEid: false,
    eventType: ADV_EVENT_TYPES.ADV_IND,
    scanResponse: true,
    intervalMs: 1000,
    p1mDbm: -59,
    address: 'static',
    rotateSeconds: null,
  },
};

/** advDelay: every advertising event is postponed by a random 0–10 ms (Core Spec Vol 6 Part B §4.4.2.2.1). */
export const ADV_DELAY_MAX_MS = 10;

/** The Android advertise modes (AOSP GattService ADVERTISING_INTERVAL_*_MILLS). */
export const ANDROID_MODE_INTERVAL_MS = { lowLatency: 100, balanced: 250, lowPower: 1000 } as const;

/** Calibrated TX power at 0 m for the Eddystone ranging byte: RSSI at 1 m + 41 dB (free-space loss at 1 m, 2.4 GHz). */
export function rangingByte(p1mDbm: number): number {
  return Math.round(p1mDbm + 41);
}

/** "aa:bb:cc:dd:ee:ff" from 6 random bytes, with the top two bits set for the address kind (Core Spec Vol 6 Part B §1.3). */
export function formatAddress(bytes: Uint8Array, kind: AddressKind): string {
  const b = Array.from(bytes.subarray(0, 6));
  const top = b[0] as number;
  if (kind === 'resolvable') b[0] = (top & 0x3f) | 0x40;
  else if (kind === 'non-resolvable') b[0] = top & 0x3f;
  else if (kind === 'static') b[0] = top | 0xc0;
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function ad(type: number, ...data: (number[] | Uint8Array)[]): Buffer {
  const body = Buffer.concat(data.map((d) => Buffer.from(d)));
  return Buffer.concat([Buffer.from([body.length + 1, type]), body]);
}

const FLAGS_LE_ONLY = ad(AD_TYPES.FLAGS, [0x06]);
const FLAGS_APPLE = ad(AD_TYPES.FLAGS, [0x1a]);
const APPLE = [0x4c, 0x00];
const SAMSUNG = [0x75, 0x00];
/** The one overflow-area bit for the hushpoint service UUID (every hushpoint iPhone sets the same bit). */
const OVERFLOW_BITMASK = [0, 0, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** The advert (and scan response) payloads of the opt-in carriers. */
export function eidAdvert(kind: AdvertiserKind, eid: Uint8Array, p1mDbm: number): Buffer {
  return kind === 'ios-app-foreground' ? encodeIosAdvert(eid) : encodeEddystoneAdvert(eid, rangingByte(p1mDbm));
}

/** The local name the hushpoint iOS app puts in its scan response (it does not fit beside the 128-bit UUID). */
export const IOS_APP_LOCAL_NAME = 'Hushpoint';

/**
 * The payload of a non-EID advert. `random` supplies the bytes that real devices change with
 * their address (auth tags, status bytes, tracker EIDs), so they are drawn again on rotation.
 */
export function noiseAdvert(kind: AdvertiserKind, random: Uint8Array, name?: string): Buffer {
  const r = (from: number, to: number): Uint8Array => random.subarray(from, to);
  switch (kind) {
    case 'ios-app-background':
      // Apple "overflow area": the app's 128-bit UUID becomes one bit of a 16-byte mask (type 0x01).
      return Buffer.concat([FLAGS_APPLE, ad(AD_TYPES.MANUFACTURER_DATA, APPLE, [0x01], OVERFLOW_BITMASK)]);
    case 'apple-nearby':
    case 'apple-watch':
      // Continuity "Nearby Info" (type 0x10): status flags, action code, 3-byte auth tag.
      return Buffer.concat([FLAGS_APPLE, ad(AD_TYPES.MANUFACTURER_DATA, APPLE, [0x10, 0x05], r(0, 5))]);
    case 'google-nearby':
      // Google 0xFEF3 service data (Nearby), 16 opaque bytes.
      return Buffer.concat([
        FLAGS_LE_ONLY,
        ad(AD_TYPES.UUID16_COMPLETE, [0xf3, 0xfe]),
        ad(AD_TYPES.SERVICE_DATA16, [0xf3, 0xfe], r(0, 16)),
      ]);
    case 'airpods':
      // Continuity "Proximity Pairing" (type 0x07, 25 bytes): model, status, battery, encrypted part.
      return ad(AD_TYPES.MANUFACTURER_DATA, APPLE, [0x07, 0x19, 0x01, 0x0e, 0x20], r(0, 22));
    case 'galaxy-buds':
      return Buffer.concat([FLAGS_LE_ONLY, ad(AD_TYPES.MANUFACTURER_DATA, SAMSUNG, [0x42, 0x09], r(0, 20))]);
    case 'named-watch':
      return Buffer.concat([FLAGS_LE_ONLY, ad(AD_TYPES.MANUFACTURER_DATA, SAMSUNG, [0x01, 0x00], r(0, 8))]);
    case 'fmdn-tracker':
      // Google Find My Device network: Eddystone UUID 0xFEAA but frame type 0x41 and a 20-byte EID —
      // the same service UUID as our carrier, so it tests the gateway's frame check.
      return Buffer.concat([
        ad(AD_TYPES.UUID16_COMPLETE, [0xaa, 0xfe]),
        ad(AD_TYPES.SERVICE_DATA16, [0xaa, 0xfe, 0x41], r(0, 20), [0x00]),
      ]);
    case 'ibeacon':
      // iBeacon: 4C 00 02 15, proximity UUID (16), major (2), minor (2), measured power −59.
      return Buffer.concat([FLAGS_LE_ONLY, ad(AD_TYPES.MANUFACTURER_DATA, APPLE, [0x02, 0x15], r(0, 20), [0xc5])]);
    case 'eddystone-uid':
      // Eddystone-UID (frame 0x00): ranging, 10-byte namespace, 6-byte instance, 2 reserved bytes.
      return Buffer.concat([
        FLAGS_LE_ONLY,
        ad(AD_TYPES.UUID16_COMPLETE, [0xaa, 0xfe]),
        ad(AD_TYPES.SERVICE_DATA16, [0xaa, 0xfe, 0x00, 0xee], r(0, 16), [0x00, 0x00]),
      ]);
    case 'named-device':
      return Buffer.concat([FLAGS_LE_ONLY, ad(AD_TYPES.COMPLETE_LOCAL_NAME, Buffer.from(name ?? 'Device', 'utf8'))]);
    default:
      throw new RangeError(`${kind} adverts carry an EID: use eidAdvert`);
  }
}

/** Scan response payloads of the connectable classes (empty for Apple's OS traffic, as iPhones answer). */
export function scanResponse(kind: AdvertiserKind, random: Uint8Array): Buffer {
  switch (kind) {
    case 'ios-app-foreground':
      return ad(AD_TYPES.COMPLETE_LOCAL_NAME, Buffer.from(IOS_APP_LOCAL_NAME, 'utf8'));
    case 'named-watch': {
      const suffix = Buffer.from(random.subarray(0, 2)).toString('hex').toUpperCase();
      return ad(AD_TYPES.COMPLETE_LOCAL_NAME, Buffer.from(`Galaxy Watch6 (${suffix})`, 'utf8'));
    }
    case 'named-device':
      return ad(AD_TYPES.TX_POWER, [0x00]);
    default:
      return Buffer.alloc(0);
  }
}
