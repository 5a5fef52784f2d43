import { describe, expect, it } from 'vitest';
import { encodeEddystoneAdvert, HUSHPOINT_UUID_PREFIX } from '../../shared/eid/carriers.ts';
import { optInEid } from './opt-in-filter.ts';

const EID = '0123456789abcdef';

describe('opt-in filter', () => {
  const eddystoneData = encodeEddystoneAdvert(EID).subarray(11); // after the 16-bit UUID: frame, ranging, EID
  it.each([
    ['Eddystone-EID service data', { serviceData: [{ uuid: 'feaa', data: eddystoneData }] }, EID],
    ['hushpoint 128-bit UUID', { serviceUuids: ['feaa', `${HUSHPOINT_UUID_PREFIX}${EID}`] }, EID],
    ['Eddystone-URL frame', { serviceData: [{ uuid: 'feaa', data: Buffer.from('10ee03686970', 'hex') }] }, null],
    ['EID frame under another UUID', { serviceData: [{ uuid: 'fd6f', data: eddystoneData }] }, null],
    ['short EID frame', { serviceData: [{ uuid: 'feaa', data: eddystoneData.subarray(0, 9) }] }, null],
    ['foreign 128-bit UUID', { serviceUuids: ['0000180d00001000800000805f9b34fb'] }, null],
    ['almost the prefix', { serviceUuids: [`${HUSHPOINT_UUID_PREFIX.slice(0, 15)}0${EID}`] }, null],
    ['nothing', {}, null],
  ])('%s → %s', (_name, advertisement, expected) => {
    expect(optInEid(advertisement)).toBe(expected);
  });
});
