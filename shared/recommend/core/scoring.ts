import type { ShopperHistory } from './histories.ts';
import type { ItemModel } from './model.ts';

/**
 * The per-shopper step (pure, no privacy budget: it reads the released model and the shopper's own
 * purchases only; docs/recommender.md §6). For a shopper who bought the items u (minus the ones they
 * excluded), the model's evidence for item j is m_j = Σ_{i ∈ u} S_ij (S the cleaned, shrunk
 * similarity, diagonal 0), and the ranking score is a mixture of two distributions over items:
 *
 *   score_j = (1 − γ)·π_j / Σπ + γ·m⁺_j / Σ m⁺        π_j = max(popularity_j, 0), m⁺ = max(m, 0)
 *
 * with γ the model's reliability (model.ts). The popularity part is the DP popularity ranking; the
 * model part moves probability mass toward items related to what the shopper bought, in proportion
 * to how much of the model is signal. A model with no component above the noise edge (γ = 0), or a
 * shopper who bought none of the model's items, gets exactly the popularity ranking.
 *
 * Rankings: "new" never includes an item the shopper bought; "all" puts the shopper's own items
 * first (most invoices first, then by popularity) and fills with new items by score; "score" is
 * the plain score order (owned items included, not preferred: the popularity baseline's "all").
 * Ties break by catalog position, so every ranking is a deterministic function of its inputs.
 */

export interface Scorer {
  readonly model: ItemModel;
  /** π = max(popularity, 0) / max popularity, over the catalog. */
  readonly prior: Float64Array;
  /** Catalog index → position in the model's item list, or −1. */
  readonly listPosition: Int32Array;
  /** S, row-major N × N (float32 is ample for a ranking). */
  readonly similarity: Float32Array;
  /** Σ π (1 when the model has no positive popularity: π is then all zeros). */
  readonly priorMass: number;
}

/** Materialises S from the model's factors: S_pq = Σ_k F_pk w_k F_qk / (√(d_p d_q) + b·s), S_pp = 0. */
export function prepareScorer(model: ItemModel): Scorer {
  const m = model.catalog.length;
  const n = model.items.length;
  const prior = new Float64Array(m);
  let max = 0;
  for (let i = 0; i < m; i++) max = Math.max(max, model.popularity[i] as number);
  if (max > 0) for (let i = 0; i < m; i++) prior[i] = Math.max(model.popularity[i] as number, 0) / max;
  const listPosition = new Int32Array(m).fill(-1);
  model.itemIndex.forEach((i, p) => {
    listPosition[i] = p;
  });
  const k = model.rank;
  const similarity = new Float32Array(n * n);
  const scaled = new Float64Array(n * k);
  for (let p = 0; p < n; p++)
    for (let c = 0; c < k; c++) scaled[p * k + c] = (model.factors[p * k + c] as number) * (model.weights[c] as number);
  const root = Float64Array.from(model.diagonal, (d) => Math.sqrt(d));
  const dense = model.dense;
  for (let p = 0; p < n; p++) {
    for (let q = p + 1; q < n; q++) {
      let dot = 0;
      if (dense !== undefined) dot = dense[p * n + q] as number;
      else for (let c = 0; c < k; c++) dot += (scaled[p * k + c] as number) * (model.factors[q * k + c] as number);
      const denominator = (root[p] as number) * (root[q] as number) + model.shrinkageTerm;
      const s = denominator > 0 ? dot / denominator : 0;
      similarity[p * n + q] = s;
      similarity[q * n + p] = s;
    }
  }
  let priorMass = 0;
  for (let i = 0; i < m; i++) priorMass += prior[i] as number;
  return { model, prior, listPosition, similarity, priorMass: priorMass > 0 ? priorMass : 1 };
}

/** Reusable buffers (one per thread): scores over the catalog and an owned-item marker. */
export class ScoringScratch {
  scores = new Float64Array(0);
  owned = new Int32Array(0);
  list = new Float64Array(0);

  /** A zeroed buffer over the model's item list. */
  forList(n: number): Float64Array {
    if (this.list.length < n) this.list = new Float64Array(n);
    this.list.fill(0, 0, n);
    return this.list;
  }

  forCatalog(m: number): { scores: Float64Array; owned: Int32Array } {
    if (this.scores.length < m) {
      this.scores = new Float64Array(m);
      this.owned = new Int32Array(m);
    }
    return { scores: this.scores, owned: this.owned };
  }
}

/**
 * The shopper's blended score for every catalog item, written to `out` (catalog order). `items` are
 * the catalog indices the shopper bought (already without excluded purchases).
 */
export function affinity(scorer: Scorer, items: Int32Array, out: Float64Array, scratch?: ScoringScratch): Float64Array {
  const { prior, listPosition, similarity, model } = scorer;
  const m = prior.length;
  const n = model.items.length;
  const acc = (scratch ?? new ScoringScratch()).forList(n);
  let used = 0;
  if (model.blend > 0) {
    for (const item of items) {
      const p = listPosition[item] as number;
      if (p < 0) continue;
      const row = p * n;
      for (let q = 0; q < n; q++) acc[q] = (acc[q] as number) + (similarity[row + q] as number);
      used++;
    }
  }
  let mass = 0;
  for (let q = 0; q < n && used > 0; q++) mass += Math.max(acc[q] as number, 0);
  // γ < 1 always, so that popularity still orders what the model leaves at 0.
  const gamma = used > 0 && mass > 0 ? Math.min(model.blend, 1 - 1e-6) : 0;
  const priorScale = (1 - gamma) / scorer.priorMass;
  for (let i = 0; i < m; i++) out[i] = (prior[i] as number) * priorScale;
  if (gamma > 0) {
    const index = model.itemIndex;
    const modelScale = gamma / mass;
    for (let q = 0; q < n; q++) {
      const at = index[q] as number;
      out[at] = (out[at] as number) + Math.max(acc[q] as number, 0) * modelScale;
    }
  }
  return out;
}

export type RankingMode = 'new' | 'all' | 'score';

export interface RecommendOptions {
  readonly k: number;
  /** "new": never an item the shopper bought; "all": own items first; "score": score order only. */
  readonly mode: RankingMode;
}

/**
 * The best `k` of scores[0..m) (higher first, ties by lower index), skipping marked items, into
 * top[from..from+k). One pass; since items arrive in index order, an item that does not beat the
 * current k-th strictly can never enter.
 */
function selectTop(
  scores: Float64Array,
  m: number,
  skip: Int32Array | null,
  top: Int32Array,
  from: number,
  k: number,
): number {
  let filled = 0;
  let floor = -Infinity;
  for (let i = 0; i < m; i++) {
    const si = scores[i] as number;
    if (filled === k && si <= floor) continue;
    if (skip !== null && (skip[i] as number) > 0) continue;
    let at = filled < k ? filled++ : k - 1;
    while (at > 0 && si > (scores[top[from + at - 1] as number] as number)) {
      top[from + at] = top[from + at - 1] as number;
      at--;
    }
    top[from + at] = i;
    if (filled === k) floor = scores[top[from + k - 1] as number] as number;
  }
  return filled;
}

/** The top k catalog indices for one shopper, best first. */
export function recommend(
  scorer: Scorer,
  history: Pick<ShopperHistory, 'items' | 'invoices'>,
  options: RecommendOptions,
  scratch: ScoringScratch = new ScoringScratch(),
): Int32Array {
  const prior = scorer.prior;
  const m = prior.length;
  const { scores, owned } = scratch.forCatalog(m);
  affinity(scorer, history.items, scores, scratch);
  const k = Math.min(options.k, m);
  const top = new Int32Array(k);
  if (options.mode === 'score') return top.subarray(0, selectTop(scores, m, null, top, 0, k));
  // owned[i] = invoices + 1 for a bought item, 0 otherwise (reset before returning).
  history.items.forEach((item, x) => {
    owned[item] = (history.invoices[x] as number) + 1;
  });
  let filled = 0;
  if (options.mode === 'all') {
    // Own items first: most invoices, then the prior (the item's general pull), then catalog order.
    const mine = Array.from(history.items).sort(
      (x, y) => (owned[y] as number) - (owned[x] as number) || (prior[y] as number) - (prior[x] as number) || x - y,
    );
    for (; filled < k && filled < mine.length; filled++) top[filled] = mine[filled] as number;
  }
  filled += selectTop(scores, m, owned, top, filled, k - filled);
  for (const item of history.items) owned[item] = 0;
  return filled === k ? top : top.subarray(0, filled);
}

/**
 * Offers that name the items they cover (catalog codes), indexed once per catalog: offer o covers
 * items[start[o] .. start[o+1]) (catalog indices; codes the model does not know are dropped).
 */
export interface OfferItems {
  readonly start: Int32Array;
  readonly items: Int32Array;
}

export function indexOfferItems(scorer: Scorer, offers: readonly { readonly items: readonly string[] }[]): OfferItems {
  const position = new Map(scorer.model.catalog.map((c, i) => [c, i]));
  const start = new Int32Array(offers.length + 1);
  const items: number[] = [];
  offers.forEach((offer, o) => {
    for (const code of offer.items) {
      const i = position.get(code);
      if (i !== undefined) items.push(i);
    }
    start[o + 1] = items.length;
  });
  return { start, items: Int32Array.from(items) };
}

/** The largest value of a shopper's affinity vector (what offerScores divides by; compute once per shopper). */
export function affinityMax(shopperAffinity: Float64Array): number {
  let top = 0;
  for (let i = 0; i < shopperAffinity.length; i++) top = Math.max(top, shopperAffinity[i] as number);
  return top;
}

/**
 * Per offer, the best score among the items it covers relative to the shopper's best item overall
 * (so in [0, 1]; 0 when it names none the model knows), from the shopper's `affinity` vector and its
 * `affinityMax`: what the offers ranking adds, with its own weight, to an offer's score.
 */
export function offerScores(
  offerItems: OfferItems,
  shopperAffinity: Float64Array,
  out: Float64Array,
  top: number = affinityMax(shopperAffinity),
): Float64Array {
  const { start, items } = offerItems;
  const offers = start.length - 1;
  const scale = top > 0 ? 1 / top : 0;
  for (let o = 0; o < offers; o++) {
    const from = start[o] as number;
    const to = start[o + 1] as number;
    let best = from === to ? 0 : -Infinity;
    for (let x = from; x < to; x++) best = Math.max(best, shopperAffinity[items[x] as number] as number);
    out[o] = best * scale;
  }
  return out;
}
