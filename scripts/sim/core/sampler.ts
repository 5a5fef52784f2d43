import type { RandomSource } from '../../../shared/ports/random.ts';

/**
 * Continuous distributions for the simulator, drawn from a seeded RandomSource so the same seed
 * gives the same store. Floating point and Box–Muller are fine HERE and only here: the simulator
 * models the physical world; it is not privacy code (docs/privacy.md forbids both in the DP core).
 */
export class Sampler {
  readonly #rng: RandomSource;
  #spare = 0;
  #hasSpare = false;

  constructor(rng: RandomSource) {
    this.#rng = rng;
  }

  get rng(): RandomSource {
    return this.#rng;
  }

  /** Uniform in [0, 1) with 53 bits of resolution. */
  unit(): number {
    return (this.#rng.nextUint32() * 2 ** 21 + (this.#rng.nextUint32() >>> 11)) / 2 ** 53;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.unit();
  }

  chance(p: number): boolean {
    return this.unit() < p;
  }

  /** Standard normal by the Box–Muller transform (the second value of each pair is kept). */
  normal(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spare;
    }
    // 32-bit uniforms are plenty here (the tails reach 6.7σ); u1 in (0, 1] keeps the log finite.
    const u1 = (this.#rng.nextUint32() + 1) / 2 ** 32;
    const u2 = this.#rng.nextUint32() / 2 ** 32;
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.#spare = r * Math.sin(theta);
    this.#hasSpare = true;
    return r * Math.cos(theta);
  }

  gaussian(mean: number, sigma: number): number {
    return mean + sigma * this.normal();
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.unit());
  }

  /** Log-normal with the given MEAN (not median) and shape σ: μ = ln(mean) − σ²/2. */
  lognormal(mean: number, sigma: number): number {
    return Math.exp(Math.log(mean) - (sigma * sigma) / 2 + sigma * this.normal());
  }

  /** An index drawn with probability proportional to `weights[i]`; -1 when all weights are 0. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) return -1;
    let x = this.unit() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i] as number;
      if (x < 0) return i;
    }
    for (let i = weights.length - 1; i >= 0; i--) if ((weights[i] as number) > 0) return i;
    return -1;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.#rng.fillBytes(out);
    return out;
  }
}
