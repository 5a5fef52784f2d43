import { createCipheriv, createHash } from 'node:crypto';
import type { RandomSource } from './random.ts';

const POOL_BYTES = 4096;

/**
 * A RandomSource that is a deterministic function of a key: the AES-256-CTR keystream under
 * key = SHA-256("hushpoint keyed random source\0" + seed), IV 0, handed out 4 KiB at a time. For
 * a user's `--seed`: the same seed gives the same output (reproducible evaluations), and as long
 * as the seed is secret the stream is computationally indistinguishable from uniform (AES-CTR is
 * a pseudorandom generator), so a release made with a secret seed stays private; a published or
 * guessable seed lets anyone recompute the noise, and then the release is not private.
 */
export class KeyedRandomSource implements RandomSource {
  readonly kind = 'keyed' as const;
  readonly #cipher;
  readonly #zeros = new Uint8Array(POOL_BYTES);
  #pool = new Uint8Array(0);
  #offset = 0;

  constructor(seed: string) {
    const key = createHash('sha256').update(`hushpoint keyed random source\u0000${seed}`).digest();
    this.#cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }

  fillBytes(target: Uint8Array): void {
    let written = 0;
    while (written < target.length) {
      if (this.#offset >= this.#pool.length) this.#refill();
      const take = Math.min(target.length - written, this.#pool.length - this.#offset);
      target.set(this.#pool.subarray(this.#offset, this.#offset + take), written);
      this.#offset += take;
      written += take;
    }
  }

  nextUint32(): number {
    if (this.#offset + 4 > this.#pool.length) this.#refill();
    const p = this.#pool;
    const o = this.#offset;
    this.#offset += 4;
    return (
      ((p[o] as number) | ((p[o + 1] as number) << 8) | ((p[o + 2] as number) << 16) | ((p[o + 3] as number) << 24)) >>>
      0
    );
  }

  #refill(): void {
    const rest = this.#pool.subarray(this.#offset);
    const fresh = new Uint8Array(this.#cipher.update(this.#zeros));
    const pool = new Uint8Array(rest.length + fresh.length);
    pool.set(rest);
    pool.set(fresh, rest.length);
    this.#pool = pool;
    this.#offset = 0;
  }
}
