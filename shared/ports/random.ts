import { randomFillSync } from 'node:crypto';

/**
 * The one funnel for randomness. Production code gets a CryptoRandomSource (node:crypto,
 * pooled); a seeded source exists only in shared/testing for tests and the simulator.
 * Privacy code must draw every random bit from here, never from V8's non-cryptographic generator.
 */
export interface RandomSource {
  /** Fills `target` with independent uniform bytes. */
  fillBytes(target: Uint8Array): void;
  /** A uniform integer in [0, 2^32). */
  nextUint32(): number;
}

const POOL_BYTES = 4096;

/**
 * node:crypto randomness drawn 4 KiB at a time (`randomFillSync`), then handed out word by
 * word: ~170M words/s instead of ~0.5M calls/s for `randomBytes(4)` (docs/references.md#measured-performance-anchors-2-cores-node-20).
 * The pool is never reused: every byte handed out is a fresh CSPRNG byte.
 */
export class CryptoRandomSource implements RandomSource {
  readonly kind = 'crypto' as const;
  readonly #pool = new Uint8Array(POOL_BYTES);
  readonly #words = new Uint32Array(this.#pool.buffer);
  #offset = POOL_BYTES;

  fillBytes(target: Uint8Array): void {
    if (target.length >= POOL_BYTES) {
      randomFillSync(target);
      return;
    }
    let written = 0;
    while (written < target.length) {
      if (this.#offset >= POOL_BYTES) this.#refill();
      const take = Math.min(target.length - written, POOL_BYTES - this.#offset);
      target.set(this.#pool.subarray(this.#offset, this.#offset + take), written);
      this.#pool.fill(0, this.#offset, this.#offset + take);
      this.#offset += take;
      written += take;
    }
  }

  nextUint32(): number {
    // Align to a word boundary; the skipped bytes are simply discarded.
    let aligned = (this.#offset + 3) & ~3;
    if (aligned + 4 > POOL_BYTES) {
      this.#refill();
      aligned = 0;
    }
    const word = this.#words[aligned >>> 2] as number;
    this.#offset = aligned + 4;
    return word;
  }

  #refill(): void {
    randomFillSync(this.#pool);
    this.#offset = 0;
  }
}

/**
 * A uniform integer in [0, bound) for 1 ≤ bound ≤ 2^32, by rejection sampling: draw 32 bits,
 * reject values at or above the largest multiple of `bound` that fits, return the remainder.
 * Exact: every accepted value is equally likely. Not for secret-dependent bounds in timing-
 * sensitive code (the number of rejections depends on the bound only).
 */
export function uniformInt(rng: RandomSource, bound: number): number {
  if (!Number.isInteger(bound) || bound < 1 || bound > 2 ** 32) {
    throw new RangeError(`uniformInt bound is ${bound}, expected an integer in 1..2^32`);
  }
  if (bound === 1) return 0;
  const limit = 2 ** 32 - (2 ** 32 % bound);
  for (;;) {
    const x = rng.nextUint32();
    if (x < limit) return x % bound;
  }
}

/** A uniform float in [0, 1) with 32 bits of resolution. Never for privacy code. */
export function uniformUnit(rng: RandomSource): number {
  return rng.nextUint32() / 2 ** 32;
}

export function randomHex(rng: RandomSource, bytes: number): string {
  const out = new Uint8Array(bytes);
  rng.fillBytes(out);
  return Buffer.from(out).toString('hex');
}
