import { uniformInt, type RandomSource } from '../../ports/random.ts';
import { bitLength } from '../rational.ts';
import { MAX_SAFE_BIG } from './integer.ts';

const TWO_POW_53 = 2 ** 53;

/**
 * A uniform integer in [0, n) for 1 ≤ n ≤ 2^53 − 1.
 *
 * n ≤ 2^32: `uniformInt` (one 32-bit word, rejection above the largest multiple of n).
 * Otherwise: x = (21 bits)·2^32 + (32 bits) is uniform on [0, 2^53) and exact as a double; accept x
 * below the largest multiple of n that is ≤ 2^53 (each residue then has the same number of
 * preimages) and return x mod n. Rejection probability < 1/2. 2^53 % n and 2^53 − r are exact.
 */
export function sampleUniformBelow(rng: RandomSource, n: number): number {
  if (n <= 2 ** 32) return uniformInt(rng, n);
  if (!Number.isSafeInteger(n)) throw new RangeError(`uniform bound is ${n}, expected an integer in 1..2^53-1`);
  const limit = TWO_POW_53 - (TWO_POW_53 % n);
  for (;;) {
    const x = (rng.nextUint32() & 0x1fffff) * 2 ** 32 + rng.nextUint32();
    if (x < limit) return x % n;
  }
}

/**
 * A uniform integer in [0, n) for any bigint n ≥ 1: OpenDP's `sample_uniform_ubig_below`
 * (rust/src/traits/samplers/uniform): draw L = ⌈bits(n)/8⌉ random bytes as a big-endian integer x,
 * uniform on [0, 2^(8L)); accept x below the largest multiple of n that is ≤ 2^(8L) and return
 * x mod n. Every residue has exactly limit/n accepted preimages, so the result is exactly uniform;
 * since n > 2^(8L−8), each try is accepted with probability > 1/2. Bounds ≤ 2^53 − 1 take the
 * number path above (one or two 32-bit words, no BigInt work).
 */
export function sampleUniformBigBelow(rng: RandomSource, n: bigint): bigint {
  if (n < 1n) throw new RangeError(`uniform bound is ${n}, expected at least 1`);
  if (n <= MAX_SAFE_BIG) return BigInt(sampleUniformBelow(rng, Number(n)));
  const byteLength = Math.ceil(bitLength(n) / 8);
  const space = 1n << BigInt(8 * byteLength);
  const limit = space - (space % n);
  const bytes = new Uint8Array(byteLength);
  for (;;) {
    rng.fillBytes(bytes);
    let x = 0n;
    for (const byte of bytes) x = (x << 8n) | BigInt(byte);
    if (x < limit) return x % n;
  }
}
