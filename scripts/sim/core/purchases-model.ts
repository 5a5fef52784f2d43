import type { RandomSource } from '../../../shared/ports/random.ts';
import { uniformUnit } from '../../../shared/ports/random.ts';

/**
 * A chain's purchases from a known latent-taste model (pure, seeded; docs/simulator.md "Purchases").
 *
 * Items i = 0..M−1 have a popularity p_i ∝ (i + 10)^−e and one primary taste τ(i) (taste t owns
 * the items i ≡ t mod T, so every taste has popular and rare items). Taste t buys item i with
 *   P(i | t) ∝ p_i · (boost if τ(i) = t else 1).
 * A shopper has a taste mixture θ ~ Dirichlet(α, …, α) (α small: one or two tastes dominate), a
 * visit rate r ~ Exponential(mean visitsPerDay), and on each visit buys 1 + Poisson(basketExtra)
 * lines: with probability `repeat` an item they bought before (uniformly), otherwise a taste
 * t ~ θ and an item i ~ P(· | t). So the truth P(i | shopper) = Σ_t θ_t P(i | t) is known, stores
 * differ only in who shops there, and one store sees the same structure as the chain, just less of it.
 */

export interface TasteModelOptions {
  readonly items: number;
  readonly tastes: number;
  /** p_i ∝ (i + 10)^−popularityExponent. */
  readonly popularityExponent: number;
  readonly boost: number;
  readonly alpha: number;
  readonly visitsPerDay: number;
  readonly basketExtra: number;
  readonly repeat: number;
}

export const DEFAULT_TASTE_MODEL: TasteModelOptions = {
  items: 1500,
  tastes: 20,
  popularityExponent: 0.5,
  boost: 60,
  alpha: 0.08,
  visitsPerDay: 0.08,
  basketExtra: 2,
  repeat: 0.3,
};

export interface TasteModel {
  readonly options: TasteModelOptions;
  readonly popularity: Float64Array;
  /** Cumulative P(i | t), taste-major: cumulative[t·M + i]. */
  readonly cumulative: Float64Array;
  readonly unitPrice: Float64Array;
}

export function makeTasteModel(options: TasteModelOptions = DEFAULT_TASTE_MODEL): TasteModel {
  const { items: m, tastes } = options;
  const popularity = Float64Array.from({ length: m }, (_, i) => (i + 10) ** -options.popularityExponent);
  const cumulative = new Float64Array(tastes * m);
  for (let t = 0; t < tastes; t++) {
    let total = 0;
    for (let i = 0; i < m; i++) total += (popularity[i] as number) * (i % tastes === t ? options.boost : 1);
    let acc = 0;
    for (let i = 0; i < m; i++) {
      acc += ((popularity[i] as number) * (i % tastes === t ? options.boost : 1)) / total;
      cumulative[t * m + i] = acc;
    }
    cumulative[t * m + m - 1] = 1;
  }
  const unitPrice = Float64Array.from({ length: m }, (_, i) => 0.45 + ((i * 37) % 40) * 0.25);
  return { options, popularity, cumulative, unitPrice };
}

function gamma1(rng: RandomSource): number {
  return -Math.log(1 - uniformUnit(rng));
}

/** Gamma(α, 1) for 0 < α < 1 by Jöhnk's method (two uniforms and an exponential per try). */
function gammaSmall(rng: RandomSource, alpha: number): number {
  for (;;) {
    const x = (1 - uniformUnit(rng)) ** (1 / alpha);
    const y = (1 - uniformUnit(rng)) ** (1 / (1 - alpha));
    if (x + y <= 1 && x + y > 0) return (gamma1(rng) * x) / (x + y);
  }
}

function poisson(rng: RandomSource, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = 1 - uniformUnit(rng);
  while (p > limit) {
    k++;
    p *= 1 - uniformUnit(rng);
  }
  return k;
}

function pick(cumulative: Float64Array, from: number, length: number, u: number): number {
  let lo = 0;
  let hi = length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cumulative[from + mid] as number) < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface SimShopper {
  readonly tastes: Float64Array;
  /** Cumulative of `tastes` (for drawing a taste). */
  readonly cumulativeTastes: Float64Array;
  readonly visitRate: number;
}

export function drawShopper(model: TasteModel, rng: RandomSource): SimShopper {
  const { tastes, alpha, visitsPerDay } = model.options;
  const theta = Float64Array.from({ length: tastes }, () => gammaSmall(rng, alpha) + 1e-12);
  let total = 0;
  for (const x of theta) total += x;
  const cumulativeTastes = new Float64Array(tastes);
  let acc = 0;
  for (let t = 0; t < tastes; t++) {
    theta[t] = (theta[t] as number) / total;
    acc += theta[t] as number;
    cumulativeTastes[t] = acc;
  }
  cumulativeTastes[tastes - 1] = 1;
  return { tastes: theta, cumulativeTastes, visitRate: visitsPerDay * gamma1(rng) };
}

/** One purchase line of a simulated visit. */
export interface SimLine {
  readonly day: number;
  readonly minuteOfDay: number;
  readonly visit: number;
  readonly item: number;
  readonly quantity: number;
}

/** A shopper's visits over `days` days, in time order (visit = the shopper's visit ordinal). */
export function simulateVisits(model: TasteModel, shopper: SimShopper, days: number, rng: RandomSource): SimLine[] {
  const { items: m, tastes, basketExtra, repeat } = model.options;
  const lines: SimLine[] = [];
  const bought: number[] = [];
  const owned = new Set<number>();
  let visit = 0;
  let day = shopper.visitRate > 0 ? gamma1(rng) / shopper.visitRate : Infinity;
  while (day < days) {
    const whole = Math.floor(day);
    const minuteOfDay = 8 * 60 + Math.floor(uniformUnit(rng) * 12 * 60);
    const size = 1 + poisson(rng, basketExtra);
    for (let x = 0; x < size; x++) {
      let item: number;
      if (bought.length > 0 && uniformUnit(rng) < repeat) {
        item = bought[Math.floor(uniformUnit(rng) * bought.length)] as number;
      } else {
        const t = pick(shopper.cumulativeTastes, 0, tastes, uniformUnit(rng));
        item = pick(model.cumulative, t * m, m, uniformUnit(rng));
      }
      if (!owned.has(item)) {
        owned.add(item);
        bought.push(item);
      }
      lines.push({ day: whole, minuteOfDay, visit, item, quantity: 1 + Math.floor(uniformUnit(rng) * 6) });
    }
    visit++;
    day += gamma1(rng) / shopper.visitRate;
  }
  return lines;
}

/** The true P(item | shopper) (for an oracle ranking in tests). */
export function trueAffinity(model: TasteModel, shopper: SimShopper): Float64Array {
  const { items: m, tastes } = model.options;
  const out = new Float64Array(m);
  for (let t = 0; t < tastes; t++) {
    const w = shopper.tastes[t] as number;
    let previous = 0;
    for (let i = 0; i < m; i++) {
      const c = model.cumulative[t * m + i] as number;
      out[i] = (out[i] as number) + w * (c - previous);
      previous = c;
    }
  }
  return out;
}

/** Stock codes, customer ids and invoices of the simulated chain (valid POS values). */
export function stockCode(item: number): string {
  return String(20000 + item);
}

export function customerId(store: number, shopper: number): string {
  return String(1_000_000 + store * 100_000 + shopper);
}
