import type { RandomSource } from '../ports/random.ts';

/**
 * A deterministic RandomSource (sfc32, a small fast counter generator seeded through
 * splitmix32) for tests and the store simulator, where the same seed must give the same
 * output. NEVER for privacy code or anything a shopper depends on: lint forbids importing
 * shared/testing from gateway/, hub/ and provisioning/ outside tests.
 */
export class SeededRandomSource implements RandomSource {
  readonly kind = 'seeded' as const;
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number | string) {
    let s = typeof seed === 'number' ? seed >>> 0 : hashString(seed);
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  fillBytes(target: Uint8Array): void {
    for (let i = 0; i < target.length; i += 4) {
      let w = this.nextUint32();
      for (let j = 0; j < 4 && i + j < target.length; j++) {
        target[i + j] = w & 0xff;
        w >>>= 8;
      }
    }
  }

  /** An independent child stream, e.g. one per simulated shopper. */
  fork(label: string): SeededRandomSource {
    return new SeededRandomSource(`${this.nextUint32()}:${label}`);
  }
}

function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
