import { AppError } from '../errors.ts';
import { EID_BYTES } from './eid.ts';

/**
 * The two opt-in carriers of docs/architecture.md#identifiers, as complete legacy advertising payloads
 * (AD structures: `len | type | data`, Bluetooth Core Spec Vol 3 Part C §11).
 *
 * - Eddystone: Flags, Complete List of 16-bit Service UUIDs [0xFEAA], Service Data 0xFEAA with
 *   the EID frame `0x30 | ranging (int8 dBm at 0 m) | EID (8 bytes)` — Android apps and tags.
 * - iOS (foreground): Flags, Complete List of 128-bit Service UUIDs with one UUID whose first 8
 *   bytes (canonical order) are HUSHPOINT_UUID_PREFIX and whose last 8 bytes are the EID.
 *   On air a 128-bit UUID is little-endian, so the bytes are reversed.
 */

export const EDDYSTONE_UUID16 = 0xfeaa;
export const EDDYSTONE_EID_FRAME = 0x30;
/** The fixed first half of the hushpoint 128-bit service UUID (canonical, big-endian hex). */
export const HUSHPOINT_UUID_PREFIX = '5b1e8f6a2c7d4e93';

export type Carrier = 'eddystone' | 'ios';

export interface DecodedEid {
  carrier: Carrier;
  /** 16 lowercase hex characters. */
  eid: string;
  /** Calibrated TX power at 0 m (Eddystone ranging byte); absent for the iOS carrier. */
  txPower?: number;
}

const AD_FLAGS = 0x01;
const AD_UUID16_COMPLETE = 0x03;
const AD_UUID16_INCOMPLETE = 0x02;
const AD_UUID128_INCOMPLETE = 0x06;
const AD_UUID128_COMPLETE = 0x07;
const AD_SERVICE_DATA16 = 0x16;
const FLAGS_LE_GENERAL_NO_BREDR = 0x06;

function checkEid(eid: Uint8Array | string): Buffer {
  const bytes = typeof eid === 'string' ? Buffer.from(eid, 'hex') : Buffer.from(eid);
  if (bytes.length !== EID_BYTES || (typeof eid === 'string' && !/^[0-9a-fA-F]{16}$/.test(eid))) {
    throw new AppError(
      'EID_BAD_FRAME',
      `EID is ${typeof eid === 'string' ? `"${eid}"` : `${bytes.length} bytes`}, expected 8 bytes (16 hex digits)`,
    );
  }
  return bytes;
}

/** The 21-byte Eddystone-EID advertisement (docs/references.md#ble-and-the-simulator example). */
export function encodeEddystoneAdvert(eid: Uint8Array | string, txPower = -18): Buffer {
  const id = checkEid(eid);
  if (!Number.isInteger(txPower) || txPower < -128 || txPower > 127) {
    throw new AppError('EID_BAD_FRAME', `TX power is ${txPower}, expected an integer -128..127 dBm`);
  }
  const serviceData = Buffer.concat([
    Buffer.from([EDDYSTONE_UUID16 & 0xff, EDDYSTONE_UUID16 >> 8, EDDYSTONE_EID_FRAME, txPower & 0xff]),
    id,
  ]);
  return Buffer.concat([
    Buffer.from([0x02, AD_FLAGS, FLAGS_LE_GENERAL_NO_BREDR]),
    Buffer.from([0x03, AD_UUID16_COMPLETE, EDDYSTONE_UUID16 & 0xff, EDDYSTONE_UUID16 >> 8]),
    Buffer.from([serviceData.length + 1, AD_SERVICE_DATA16]),
    serviceData,
  ]);
}

/** The 21-byte iOS-foreground advertisement: Flags + one 128-bit service UUID. */
export function encodeIosAdvert(eid: Uint8Array | string): Buffer {
  const canonical = Buffer.concat([Buffer.from(HUSHPOINT_UUID_PREFIX, 'hex'), checkEid(eid)]);
  const onAir = Buffer.from(canonical).reverse();
  return Buffer.concat([
    Buffer.from([0x02, AD_FLAGS, FLAGS_LE_GENERAL_NO_BREDR]),
    Buffer.from([0x11, AD_UUID128_COMPLETE]),
    onAir,
  ]);
}

export function encodeAdvert(carrier: Carrier, eid: Uint8Array | string, txPower?: number): Buffer {
  return carrier === 'eddystone' ? encodeEddystoneAdvert(eid, txPower) : encodeIosAdvert(eid);
}

/**
 * The EID in Eddystone service data (noble's `serviceData[i]` for uuid "feaa"), or null.
 * Allocation-free on the reject path: the gateway calls this for every advert it hears.
 */
export function eidFromEddystoneServiceData(data: Uint8Array): string | null {
  if (data.length !== 2 + EID_BYTES || data[0] !== EDDYSTONE_EID_FRAME) return null;
  return Buffer.from(data.buffer, data.byteOffset + 2, EID_BYTES).toString('hex');
}

/** The EID in a canonical 128-bit service UUID string (noble's `serviceUuids[i]`), or null. */
export function eidFromServiceUuid(uuid: string): string | null {
  if (uuid.length !== 32 || !uuid.startsWith(HUSHPOINT_UUID_PREFIX)) return null;
  const eid = uuid.slice(16).toLowerCase();
  return /^[0-9a-f]{16}$/.test(eid) ? eid : null;
}

/**
 * Decodes a raw advertising payload (AD structures) and returns the opt-in EID it carries, or
 * null for any other advert. Malformed AD structures (a length running past the end) give null.
 */
export function decodeAdvert(payload: Uint8Array): DecodedEid | null {
  let offset = 0;
  while (offset < payload.length) {
    const len = payload[offset] as number;
    if (len === 0) break;
    if (offset + 1 + len > payload.length) return null;
    const type = payload[offset + 1] as number;
    const start = offset + 2;
    const end = offset + 1 + len;
    if (type === AD_SERVICE_DATA16 && len >= 3) {
      const uuid = (payload[start] as number) | ((payload[start + 1] as number) << 8);
      if (uuid === EDDYSTONE_UUID16) {
        const frame = payload.subarray(start + 2, end);
        const eid = eidFromEddystoneServiceData(frame);
        if (eid !== null) {
          const ranging = frame[1] as number;
          return { carrier: 'eddystone', eid, txPower: ranging > 127 ? ranging - 256 : ranging };
        }
      }
    } else if (type === AD_UUID128_COMPLETE || type === AD_UUID128_INCOMPLETE) {
      for (let p = start; p + 16 <= end; p += 16) {
        const uuid = Buffer.from(payload.subarray(p, p + 16))
          .reverse()
          .toString('hex');
        const eid = eidFromServiceUuid(uuid);
        if (eid !== null) return { carrier: 'ios', eid };
      }
    }
    offset = end;
  }
  return null;
}

/** AD types used elsewhere (the simulator builds noise adverts with them). */
export const AD_TYPES = {
  FLAGS: AD_FLAGS,
  UUID16_INCOMPLETE: AD_UUID16_INCOMPLETE,
  UUID16_COMPLETE: AD_UUID16_COMPLETE,
  UUID128_COMPLETE: AD_UUID128_COMPLETE,
  SERVICE_DATA16: AD_SERVICE_DATA16,
  COMPLETE_LOCAL_NAME: 0x09,
  TX_POWER: 0x0a,
  MANUFACTURER_DATA: 0xff,
} as const;
