import { describe, expect, it } from 'vitest';
import { decodeAdvert } from '../../../shared/eid/carriers.ts';
import {
  ADVERTISER_CLASSES,
  eidAdvert,
  formatAddress,
  noiseAdvert,
  rangingByte,
  scanResponse,
  type AdvertiserKind,
} from './device-classes.ts';

const EID = Buffer.from('a9b76a71c5f89290', 'hex');

describe('advert payloads', () => {
  const noiseKinds = (Object.keys(ADVERTISER_CLASSES) as AdvertiserKind[]).filter(
    (k) => !ADVERTISER_CLASSES[k].carriesEid,
  );

  it.each(noiseKinds)('%s: fits a legacy advert and carries no opt-in EID, whatever its random bytes', (kind) => {
    for (const fill of [0x00, 0x30, 0xff]) {
      const random = new Uint8Array(24).fill(fill);
      const data = noiseAdvert(kind, random, 'Till 1');
      expect(data.length).toBeLessThanOrEqual(31);
      expect(decodeAdvert(data)).toBeNull();
      const rsp = scanResponse(kind, random);
      expect(rsp.length).toBeLessThanOrEqual(31);
      expect(decodeAdvert(rsp)).toBeNull();
    }
  });

  it('opt-in carriers decode back to their EID', () => {
    expect(decodeAdvert(eidAdvert('android-app', EID, -59))).toEqual({
      carrier: 'eddystone',
      eid: 'a9b76a71c5f89290',
      txPower: rangingByte(-59),
    });
    expect(decodeAdvert(eidAdvert('loyalty-tag', EID, -62))).toEqual({
      carrier: 'eddystone',
      eid: 'a9b76a71c5f89290',
      txPower: -21,
    });
    expect(decodeAdvert(eidAdvert('ios-app-foreground', EID, -59))).toEqual({
      carrier: 'ios',
      eid: 'a9b76a71c5f89290',
    });
    expect(rangingByte(-59)).toBe(-18); // the Eddystone-EID example's ranging byte 0xEE, docs/references.md
  });

  it('the Find My Device tracker shares the Eddystone UUID but not the EID frame type', () => {
    const data = noiseAdvert('fmdn-tracker', new Uint8Array(24));
    expect(Buffer.from(data).toString('hex')).toContain('16aafe41');
  });
});

describe('addresses', () => {
  it('marks the address kind in the top two bits (Core Spec Vol 6 Part B §1.3)', () => {
    const bytes = Uint8Array.from([0xff, 1, 2, 3, 4, 5]);
    expect(formatAddress(bytes, 'resolvable')).toBe('7f:01:02:03:04:05');
    expect(formatAddress(bytes, 'non-resolvable')).toBe('3f:01:02:03:04:05');
    expect(formatAddress(Uint8Array.from([0, 1, 2, 3, 4, 5]), 'static')).toBe('c0:01:02:03:04:05');
    expect(formatAddress(bytes, 'public')).toBe('ff:01:02:03:04:05');
  });
});
