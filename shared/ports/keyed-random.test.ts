import { describe, expect, it } from 'vitest';
import { KeyedRandomSource } from './keyed-random.ts';

describe('KeyedRandomSource', () => {
  it('is a deterministic function of the seed, different seeds giving different streams', () => {
    const a = new KeyedRandomSource('s1');
    const b = new KeyedRandomSource('s1');
    const c = new KeyedRandomSource('s2');
    const words = (r: KeyedRandomSource) => Array.from({ length: 2000 }, () => r.nextUint32());
    const wa = words(a);
    expect(words(b)).toEqual(wa);
    expect(words(c)).not.toEqual(wa);
  });

  it('gives the same bytes whether read as words or as byte runs across pool edges', () => {
    const bytes = new Uint8Array(10_000);
    new KeyedRandomSource('x').fillBytes(bytes);
    const words = new KeyedRandomSource('x');
    for (let i = 0; i < 2500; i++) {
      const w = words.nextUint32();
      expect(w).toBe(
        ((bytes[4 * i] as number) |
          ((bytes[4 * i + 1] as number) << 8) |
          ((bytes[4 * i + 2] as number) << 16) |
          ((bytes[4 * i + 3] as number) << 24)) >>>
          0,
      );
    }
  });

  it('looks uniform: byte frequencies within a χ² bound (fixed seed)', () => {
    const bytes = new Uint8Array(256 * 400);
    new KeyedRandomSource('uniformity').fillBytes(bytes);
    const counts = new Array<number>(256).fill(0);
    for (const b of bytes) counts[b] = (counts[b] as number) + 1;
    const chi = counts.reduce((s, c) => s + (c - 400) ** 2 / 400, 0);
    // χ²(255) upper 1e-6 quantile ≈ 375.
    expect(chi).toBeLessThan(375);
  });
});
