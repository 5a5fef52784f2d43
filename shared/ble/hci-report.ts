/**
 * HCI LE Advertising Report events (Bluetooth Core Spec Vol 4 Part E §7.7.65.2), the raw bytes a
 * controller sends to the host for each advert it hears, and that noble's HCI socket binding
 * parses. One report per event here:
 *
 *   0x04 (HCI event packet) | 0x3E (LE Meta) | paramLen | 0x02 (subevent) | 0x01 (num reports)
 *   | eventType | addressType | address (6 bytes, little-endian) | dataLen | data | rssi (int8)
 */

export const HCI_EVENT_PKT = 0x04;
export const EVT_LE_META = 0x3e;
export const EVT_LE_ADVERTISING_REPORT = 0x02;

export const ADV_EVENT_TYPES = {
  ADV_IND: 0x00, // connectable, scannable
  ADV_DIRECT_IND: 0x01,
  ADV_SCAN_IND: 0x02, // scannable, not connectable
  ADV_NONCONN_IND: 0x03, // neither (beacons, EID frames)
  SCAN_RSP: 0x04,
} as const;

export type AddressType = 'public' | 'random';

export interface AdvertisingReport {
  eventType: number;
  addressType: AddressType;
  /** "aa:bb:cc:dd:ee:ff", most significant byte first (as printed by BlueZ and noble). */
  address: string;
  /** The AD structures, at most 31 bytes. */
  data: Uint8Array;
  /** dBm, -127..20. */
  rssi: number;
}

const ADDRESS_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function encodeAdvertisingReport(report: AdvertisingReport): Buffer {
  if (!ADDRESS_RE.test(report.address))
    throw new RangeError(`address "${report.address}" is invalid, expected aa:bb:cc:dd:ee:ff`);
  if (report.data.length > 31) throw new RangeError(`advert data is ${report.data.length} bytes, expected at most 31`);
  if (!Number.isInteger(report.rssi) || report.rssi < -127 || report.rssi > 20)
    throw new RangeError(`rssi is ${report.rssi}, expected an integer -127..20`);
  const paramLen = 1 + 1 + 1 + 1 + 6 + 1 + report.data.length + 1;
  const out = Buffer.alloc(3 + paramLen);
  let o = 0;
  out[o++] = HCI_EVENT_PKT;
  out[o++] = EVT_LE_META;
  out[o++] = paramLen;
  out[o++] = EVT_LE_ADVERTISING_REPORT;
  out[o++] = 1;
  out[o++] = report.eventType;
  out[o++] = report.addressType === 'random' ? 1 : 0;
  const addr = report.address.split(':').reverse();
  for (const byte of addr) out[o++] = parseInt(byte, 16);
  out[o++] = report.data.length;
  out.set(report.data, o);
  o += report.data.length;
  out.writeInt8(report.rssi, o);
  return out;
}

/** Decodes one single-report event; null if the bytes are not exactly that. */
export function decodeAdvertisingReport(bytes: Uint8Array): AdvertisingReport | null {
  if (
    bytes.length < 15 ||
    bytes[0] !== HCI_EVENT_PKT ||
    bytes[1] !== EVT_LE_META ||
    bytes[3] !== EVT_LE_ADVERTISING_REPORT ||
    bytes[4] !== 1
  )
    return null;
  if (bytes[2] !== bytes.length - 3) return null;
  const dataLen = bytes[13] as number;
  if (14 + dataLen + 1 !== bytes.length || dataLen > 31) return null;
  const address = Array.from(bytes.subarray(7, 13))
    .reverse()
    .map((b) => b.toString(16).padStart(2, '0'))
    .join(':');
  const rssiByte = bytes[14 + dataLen] as number;
  return {
    eventType: bytes[5] as number,
    addressType: bytes[6] === 1 ? 'random' : 'public',
    address,
    data: bytes.slice(14, 14 + dataLen),
    rssi: rssiByte > 127 ? rssiByte - 256 : rssiByte,
  };
}

export const ZERO_ADDRESS = '00:00:00:00:00:00';
