import { describe, expect, it } from 'vitest';
import { computeEidHex } from '../../../shared/eid/eid.ts';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import { EidResolver } from './eid-resolver.ts';

function keys(n: number, seed: number): Buffer[] {
  const rng = new SeededRandomSource(seed);
  return Array.from({ length: n }, () => {
    const key = Buffer.alloc(16);
    rng.fillBytes(key);
    return key;
  });
}

const T0 = 1_790_000_000; // a moment; 512 s periods

describe('EidResolver', () => {
  const ik = keys(50, 1);

  it('resolves the EIDs the spec computes, for the period of the window and one on each side', () => {
    const resolver = new EidResolver();
    ik.forEach((identityKey, pk) => resolver.upsert({ pk, identityKey, exponent: 9 }));
    resolver.prepare(T0);
    for (const pk of [0, 17, 49]) {
      const identityKey = ik[pk] as Buffer;
      for (const offset of [-512, 0, 511, 512]) {
        const eid = computeEidHex({ identityKey, exponent: 9, counter: T0 + offset });
        expect(resolver.resolve(eid, T0)).toBe(pk);
      }
      expect(resolver.resolve(computeEidHex({ identityKey, exponent: 9, counter: T0 + 2048 }), T0)).toBeUndefined();
    }
  });

  it('tolerates a gateway clock one period off, either way', () => {
    const resolver = new EidResolver();
    ik.forEach((identityKey, pk) => resolver.upsert({ pk, identityKey, exponent: 9 }));
    const eid = computeEidHex({ identityKey: ik[3] as Buffer, exponent: 9, counter: T0 });
    expect(resolver.resolve(eid, T0 + 512)).toBe(3);
    expect(resolver.resolve(eid, T0 - 512)).toBe(3);
    expect(resolver.resolve(eid, T0 + 3 * 512)).toBeUndefined();
  });

  it('keeps resolving across rotation boundaries and epochs (temporary-key changes)', () => {
    const resolver = new EidResolver({ cachedPeriods: 4 });
    ik.forEach((identityKey, pk) => resolver.upsert({ pk, identityKey, exponent: 9 }));
    const epochEdge = 65_536 * 27_313; // a temporary-key boundary
    for (let t = epochEdge - 3 * 512; t < epochEdge + 3 * 512; t += 256) {
      resolver.prepare(t);
      const pk = (t / 256) % ik.length;
      expect(resolver.resolve(computeEidHex({ identityKey: ik[pk] as Buffer, exponent: 9, counter: t }), t)).toBe(pk);
    }
    expect(resolver.stats().tables).toBeLessThanOrEqual(4);
  });

  it('supports per-shopper exponents', () => {
    const resolver = new EidResolver();
    resolver.upsert({ pk: 1, identityKey: ik[0] as Buffer, exponent: 4 });
    resolver.upsert({ pk: 2, identityKey: ik[1] as Buffer, exponent: 12 });
    resolver.prepare(T0);
    expect(resolver.resolve(computeEidHex({ identityKey: ik[0] as Buffer, exponent: 4, counter: T0 + 16 }), T0)).toBe(
      1,
    );
    expect(
      resolver.resolve(computeEidHex({ identityKey: ik[0] as Buffer, exponent: 4, counter: T0 + 32 }), T0),
    ).toBeUndefined();
    expect(
      resolver.resolve(computeEidHex({ identityKey: ik[1] as Buffer, exponent: 12, counter: T0 + 4000 }), T0),
    ).toBe(2);
  });

  it('adds and removes shoppers in the cached tables', () => {
    const resolver = new EidResolver();
    resolver.upsert({ pk: 1, identityKey: ik[0] as Buffer, exponent: 9 });
    resolver.prepare(T0);
    const later = computeEidHex({ identityKey: ik[5] as Buffer, exponent: 9, counter: T0 });
    expect(resolver.resolve(later, T0)).toBeUndefined();
    resolver.upsert({ pk: 6, identityKey: ik[5] as Buffer, exponent: 9 });
    expect(resolver.resolve(later, T0)).toBe(6);
    resolver.remove(6);
    expect(resolver.resolve(later, T0)).toBeUndefined();
    expect(resolver.resolve(computeEidHex({ identityKey: ik[0] as Buffer, exponent: 9, counter: T0 }), T0)).toBe(1);
    expect(resolver.size).toBe(1);
  });

  it('resolves batches far from the hub clock (replayed or late) by building their tables', () => {
    const resolver = new EidResolver();
    resolver.upsert({ pk: 9, identityKey: ik[9] as Buffer, exponent: 9 });
    resolver.prepare(T0);
    const old = T0 - 86_400;
    expect(resolver.resolve(computeEidHex({ identityKey: ik[9] as Buffer, exponent: 9, counter: old }), old)).toBe(9);
  });

  it('never evicts a table the window being resolved needs (found by the MQTT fuzz target)', () => {
    // With room for 3 tables, a window two periods from the cached ones needs its own period and
    // its neighbours; one neighbour already exists and is the oldest: it must survive the eviction.
    const resolver = new EidResolver({ cachedPeriods: 3 });
    resolver.upsert({ pk: 4, identityKey: ik[4] as Buffer, exponent: 9 });
    resolver.prepare(T0);
    for (const offset of [2, -3, 1, 5, -1, 0, 4, -4, 2]) {
      const w = T0 + offset * 512;
      expect(resolver.resolve(computeEidHex({ identityKey: ik[4] as Buffer, exponent: 9, counter: w }), w)).toBe(4);
      expect(resolver.stats().tables).toBeLessThanOrEqual(3);
      expect(resolver.stats().entries).toBe(resolver.stats().tables);
    }
  });
});
