import { describe, expect, it } from 'vitest';
import {
  HUSHPOINT_UUID_PREFIX,
  decodeAdvert,
  eidFromEddystoneServiceData,
  eidFromServiceUuid,
  encodeEddystoneAdvert,
  encodeIosAdvert,
} from './carriers.ts';

describe('EID carriers', () => {
  it('encodes the Eddystone EID advert byte for byte like the published example', () => {
    // docs/references.md#ble-and-the-simulator: EID a9b76a71c5f89290, ranging -18 dBm (0xEE).
    expect(encodeEddystoneAdvert('a9b76a71c5f89290', -18).toString('hex')).toBe(
      '020106' + '0303aafe' + '0d16aafe30eea9b76a71c5f89290',
    );
  });

  it('round-trips both carriers through the AD-structure decoder', () => {
    const eid = '0123456789abcdef';
    expect(decodeAdvert(encodeEddystoneAdvert(eid, -20))).toEqual({ carrier: 'eddystone', eid, txPower: -20 });
    const ios = encodeIosAdvert(eid);
    expect(ios.length).toBe(21);
    expect(decodeAdvert(ios)).toEqual({ carrier: 'ios', eid });
    // On air the UUID is little-endian: the EID's last byte comes first.
    expect(ios.subarray(5, 13).toString('hex')).toBe('efcdab8967452301');
  });

  it('ignores everything that is not an opt-in frame', () => {
    const cases = [
      Buffer.from('020106', 'hex'), // flags only
      Buffer.from('0303aafe' + '0c16aafe10ee' + '0068747470', 'hex'), // Eddystone-URL frame
      Buffer.from('1aff4c000215' + '00'.repeat(20) + 'c5', 'hex'), // iBeacon manufacturer data
      Buffer.from('1107' + '00'.repeat(16), 'hex'), // a foreign 128-bit UUID
      Buffer.from('0d16aafe30ee01', 'hex'), // length runs past the end
      Buffer.alloc(0),
    ];
    for (const payload of cases) expect(decodeAdvert(payload)).toBeNull();
  });

  it('extracts EIDs from noble-shaped fields', () => {
    expect(eidFromEddystoneServiceData(Buffer.from('30eea9b76a71c5f89290', 'hex'))).toBe('a9b76a71c5f89290');
    expect(eidFromEddystoneServiceData(Buffer.from('10eea9b76a71c5f89290', 'hex'))).toBeNull();
    expect(eidFromServiceUuid(`${HUSHPOINT_UUID_PREFIX}a9b76a71c5f89290`)).toBe('a9b76a71c5f89290');
    expect(eidFromServiceUuid('0000feaa00001000800000805f9b34fb')).toBeNull();
  });

  it('rejects a malformed EID with a clear message', () => {
    expect(() => encodeEddystoneAdvert('xyz')).toThrow(/expected 8 bytes \(16 hex digits\)/);
  });
});
