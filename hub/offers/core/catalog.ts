import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '../../../shared/protocol/topics.ts';
import { compileValidator, type Problem } from '../../../shared/validation.ts';

/**
 * The offer catalog (docs/shopper-api.md), pure: the schema of one offer, validation of a catalog
 * document entry by entry (every invalid entry is rejected with its field path and reason, the
 * valid ones are kept), and the public index the decision engine works on.
 *
 * Everything here is public information: which offers exist, in which zones, when, and how
 * sensitive their category is. Nothing in the index depends on any shopper.
 */

export const OFFER_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
/** Categories and sensitivity classes: lowercase words joined by dashes ("price-sensitive"). */
export const NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,63}$';
/** ISO 8601 date-time with a zone designator: "2026-11-01T08:00:00Z", "2026-11-01T08:00+01:00". */
export const DATE_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})$';
export const DEFAULT_SENSITIVITY = 'standard';
export const MAX_CATALOG_OFFERS = 100_000;

export const OfferSchema = Type.Object(
  {
    id: Type.String({ pattern: OFFER_ID_PATTERN }),
    title: Type.String({ minLength: 1, maxLength: 120 }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    category: Type.String({ pattern: NAME_PATTERN }),
    brand: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    zones: Type.Array(Type.String({ pattern: ID_PATTERN, maxLength: 64 }), {
      minItems: 1,
      maxItems: 200,
      uniqueItems: true,
    }),
    validFrom: Type.String({ pattern: DATE_TIME_PATTERN }),
    validTo: Type.String({ pattern: DATE_TIME_PATTERN }),
    /** A sensitivity class of the hub config (offers.epsilon); "standard" when omitted. */
    sensitivity: Type.Optional(Type.String({ pattern: NAME_PATTERN })),
    /** Sizes the offer applies to (matched against the shopper's declared sizes). */
    sizes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 16 }), { maxItems: 50, uniqueItems: true })),
    /** The items (stock codes) the offer covers: the item model's affinity ranks it (docs/recommender.md §6). */
    items: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[\\x21-\\x7e]+$' }), {
        maxItems: 200,
        uniqueItems: true,
      }),
    ),
  },
  { additionalProperties: false },
);

export type OfferInput = Static<typeof OfferSchema>;

/** A validated offer: sensitivity filled in, times parsed. */
export interface CatalogOffer {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly category: string;
  readonly brand?: string;
  readonly zones: readonly string[];
  readonly validFrom: string;
  readonly validTo: string;
  readonly sensitivity: string;
  readonly sizes?: readonly string[];
  readonly items?: readonly string[];
  readonly validFromMs: number;
  readonly validToMs: number;
}

export interface RejectedOffer {
  /** Position in the document's `offers` list. */
  readonly index: number;
  readonly id: string | null;
  readonly problems: readonly Problem[];
}

export interface CatalogParse {
  readonly offers: readonly CatalogOffer[];
  readonly rejected: readonly RejectedOffer[];
  /** Problems with the document itself (not an object, no offers list); no offer is read then. */
  readonly documentProblems: readonly Problem[];
}

const validateOffer = compileValidator<OfferInput>(OfferSchema);

/** Unix ms of an ISO date-time matching DATE_TIME_PATTERN, or NaN when a field is out of range (e.g. 30 February). */
export function parseDateTime(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(text);
  if (match === null) return Number.NaN;
  const [year, month, day, hour, minute, second] = match.slice(1).map((v) => (v === undefined ? 0 : Number(v))) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59)
    return Number.NaN;
  return Date.parse(text);
}

/** The offer as stored and shown (without the parsed times). */
export function publicOffer(offer: CatalogOffer): OfferInput {
  return {
    id: offer.id,
    title: offer.title,
    ...(offer.description !== undefined ? { description: offer.description } : {}),
    category: offer.category,
    ...(offer.brand !== undefined ? { brand: offer.brand } : {}),
    zones: [...offer.zones],
    validFrom: offer.validFrom,
    validTo: offer.validTo,
    sensitivity: offer.sensitivity,
    ...(offer.sizes !== undefined ? { sizes: [...offer.sizes] } : {}),
    ...(offer.items !== undefined ? { items: [...offer.items] } : {}),
  };
}

/**
 * Validates one offer (schema, then: known sensitivity class, validFrom before validTo).
 * `path` prefixes the problem pointers (e.g. "/offers/3").
 */
export function parseOffer(
  value: unknown,
  options: { classes: readonly string[]; path?: string },
): { ok: true; offer: CatalogOffer } | { ok: false; problems: Problem[] } {
  const prefix = options.path ?? '';
  const checked = validateOffer(value);
  if (!checked.ok)
    return { ok: false, problems: checked.problems.map((p) => ({ path: `${prefix}${p.path}`, message: p.message })) };
  const input = checked.value;
  const problems: Problem[] = [];
  const sensitivity = input.sensitivity ?? DEFAULT_SENSITIVITY;
  if (!options.classes.includes(sensitivity)) {
    problems.push({
      path: `${prefix}/sensitivity`,
      message: `is "${sensitivity}", expected one of the configured classes ${options.classes.map((c) => `"${c}"`).join(', ')} (hub config offers.epsilon)`,
    });
  }
  const validFromMs = parseDateTime(input.validFrom);
  const validToMs = parseDateTime(input.validTo);
  if (Number.isNaN(validFromMs))
    problems.push({
      path: `${prefix}/validFrom`,
      message: `is "${input.validFrom}", which is not a real date and time`,
    });
  if (Number.isNaN(validToMs))
    problems.push({ path: `${prefix}/validTo`, message: `is "${input.validTo}", which is not a real date and time` });
  if (!Number.isNaN(validFromMs) && !Number.isNaN(validToMs) && validToMs <= validFromMs) {
    problems.push({
      path: `${prefix}/validTo`,
      message: `is "${input.validTo}", expected a time after validFrom "${input.validFrom}"`,
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    offer: {
      id: input.id,
      title: input.title,
      ...(input.description !== undefined ? { description: input.description } : {}),
      category: input.category,
      ...(input.brand !== undefined ? { brand: input.brand } : {}),
      zones: input.zones,
      validFrom: input.validFrom,
      validTo: input.validTo,
      sensitivity,
      ...(input.sizes !== undefined ? { sizes: input.sizes } : {}),
      ...(input.items !== undefined ? { items: input.items } : {}),
      validFromMs,
      validToMs,
    },
  };
}

/**
 * Reads a catalog document `{offers: [...]}` entry by entry: valid offers are kept, every
 * invalid one is listed with each problem's field path and reason. A second entry with an id
 * already used is rejected (the first one wins).
 */
export function parseCatalog(document: unknown, options: { classes: readonly string[] }): CatalogParse {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    return {
      offers: [],
      rejected: [],
      documentProblems: [{ path: '', message: 'is not a mapping, expected an object with an "offers" list' }],
    };
  }
  const record = document as Record<string, unknown>;
  const extra = Object.keys(record).filter((key) => key !== 'offers');
  const documentProblems: Problem[] = extra.map((key) => ({
    path: `/${key}`,
    message: 'is not allowed here (unknown field; the catalog holds only "offers")',
  }));
  const list = record.offers;
  if (!Array.isArray(list)) {
    documentProblems.push({
      path: '/offers',
      message: list === undefined ? 'is required (a list of offers)' : 'is not a list, expected a list of offers',
    });
    return { offers: [], rejected: [], documentProblems };
  }
  if (list.length > MAX_CATALOG_OFFERS) {
    documentProblems.push({
      path: '/offers',
      message: `has ${list.length} items, expected at most ${MAX_CATALOG_OFFERS}`,
    });
    return { offers: [], rejected: [], documentProblems };
  }
  const offers: CatalogOffer[] = [];
  const rejected: RejectedOffer[] = [];
  const firstIndex = new Map<string, number>();
  list.forEach((entry, index) => {
    const path = `/offers/${index}`;
    const id =
      entry !== null && typeof entry === 'object' && typeof (entry as { id?: unknown }).id === 'string'
        ? (entry as { id: string }).id
        : null;
    const parsed = parseOffer(entry, { classes: options.classes, path });
    const problems = parsed.ok ? [] : [...parsed.problems];
    if (id !== null) {
      const first = firstIndex.get(id);
      if (first !== undefined)
        problems.push({
          path: `${path}/id`,
          message: `is "${id}", already used by /offers/${first}; expected unique ids`,
        });
      else firstIndex.set(id, index);
    }
    if (parsed.ok && problems.length === 0) offers.push(parsed.offer);
    else rejected.push({ index, id, problems });
  });
  return { offers, rejected, documentProblems };
}

/**
 * The public index of a catalog: offers interned to integer categories and brands (so scoring
 * is array look-ups), offers per zone, and each offer's ε class in micro-ε.
 */
export interface CatalogIndex {
  readonly offers: readonly CatalogOffer[];
  readonly categoryIds: ReadonlyMap<string, number>;
  /**
   * Brands are matched case-insensitively (trimmed, lowercase keys); the catalog's own
   * spellings are keys too, so an exact spelling is found without normalising.
   */
  readonly brandIds: ReadonlyMap<string, number>;
  /** Number of distinct brands (ids 0..brandCount−1). */
  readonly brandCount: number;
  readonly category: Int32Array;
  /** An offer without a brand has id brandCount, a slot whose weight is always 0. */
  readonly brand: Int32Array;
  readonly validFromMs: Float64Array;
  readonly validToMs: Float64Array;
  readonly epsilonMicro: Int32Array;
  /** Offer indices per zone, ascending. */
  readonly byZone: ReadonlyMap<string, Int32Array>;
  readonly indexOf: ReadonlyMap<string, number>;
  /** Sizes interned (trimmed, lowercase); offer i's sizes are sizeList[sizeStart[i] .. sizeStart[i+1]). */
  readonly sizeIds: ReadonlyMap<string, number>;
  readonly sizeStart: Int32Array;
  readonly sizeList: Int32Array;
  /** With at most 30 distinct sizes: offer i's sizes as a bit mask (bit = size id), 0 for none; else null. */
  readonly sizeMask: Int32Array | null;
  /** Popularity prior per offer in [0, 1] from released DP aggregates; null when none is available. */
  readonly popularity: Float64Array | null;
  /** The prior, or zeros when there is none (branch-free scoring). */
  readonly popularityOrZero: Float64Array;
  /** Memo of eligibility() per zone (public data only; owned by this index). */
  readonly eligibilityMemo: Map<string, CachedEligibility>;
}

export function normaliseBrand(brand: string): string {
  return brand.trim().toLowerCase();
}

export function normaliseSize(size: string): string {
  return size.trim().toLowerCase();
}

/** Builds the index; `epsilonMicroByClass` must hold every offer's class. */
export function buildCatalogIndex(
  offers: readonly CatalogOffer[],
  epsilonMicroByClass: Readonly<Record<string, number>>,
): CatalogIndex {
  const categoryIds = new Map<string, number>();
  const brandIds = new Map<string, number>();
  const n = offers.length;
  const category = new Int32Array(n);
  const brand = new Int32Array(n);
  const validFromMs = new Float64Array(n);
  const validToMs = new Float64Array(n);
  const epsilonMicro = new Int32Array(n);
  const zones = new Map<string, number[]>();
  const indexOf = new Map<string, number>();
  let brandCount = 0;
  const sizeIds = new Map<string, number>();
  const sizeStart = new Int32Array(n + 1);
  const sizes: number[] = [];
  offers.forEach((offer, i) => {
    sizeStart[i] = sizes.length;
    for (const size of new Set((offer.sizes ?? []).map(normaliseSize))) {
      let id = sizeIds.get(size);
      if (id === undefined) sizeIds.set(size, (id = sizeIds.size));
      sizes.push(id);
    }
    let c = categoryIds.get(offer.category);
    if (c === undefined) categoryIds.set(offer.category, (c = categoryIds.size));
    category[i] = c;
    if (offer.brand === undefined) brand[i] = -1;
    else {
      const key = normaliseBrand(offer.brand);
      let b = brandIds.get(key);
      if (b === undefined) brandIds.set(key, (b = brandCount++));
      brand[i] = b;
    }
    validFromMs[i] = offer.validFromMs;
    validToMs[i] = offer.validToMs;
    const eps = epsilonMicroByClass[offer.sensitivity];
    if (eps === undefined)
      throw new RangeError(`offer "${offer.id}" has sensitivity class "${offer.sensitivity}", which has no ε`);
    epsilonMicro[i] = eps;
    for (const zone of offer.zones) {
      const list = zones.get(zone) ?? [];
      list.push(i);
      zones.set(zone, list);
    }
    indexOf.set(offer.id, i);
  });
  sizeStart[n] = sizes.length;
  let sizeMask: Int32Array | null = null;
  if (sizeIds.size <= 30) {
    sizeMask = new Int32Array(n);
    for (let i = 0; i < n; i++)
      for (let x = sizeStart[i] as number; x < (sizeStart[i + 1] as number); x++)
        sizeMask[i] = (sizeMask[i] as number) | (1 << (sizes[x] as number));
  }
  for (let i = 0; i < n; i++) if (brand[i] === -1) brand[i] = brandCount;
  for (const offer of offers)
    if (offer.brand !== undefined && !brandIds.has(offer.brand))
      brandIds.set(offer.brand, brandIds.get(normaliseBrand(offer.brand)) as number);
  const byZone = new Map<string, Int32Array>();
  for (const [zone, list] of zones) byZone.set(zone, Int32Array.from(list));
  return {
    offers,
    categoryIds,
    brandIds,
    brandCount,
    category,
    brand,
    validFromMs,
    validToMs,
    epsilonMicro,
    byZone,
    indexOf,
    sizeIds,
    sizeStart,
    sizeList: Int32Array.from(sizes),
    sizeMask,
    popularity: null,
    popularityOrZero: new Float64Array(n),
    eligibilityMemo: new Map(),
  };
}

/** The same index with a popularity prior (values are clamped to [0, 1]; missing offers get 0). */
export function withPopularity(index: CatalogIndex, prior: ((offer: CatalogOffer) => number) | null): CatalogIndex {
  if (prior === null)
    return {
      ...index,
      popularity: null,
      popularityOrZero: new Float64Array(index.offers.length),
      eligibilityMemo: new Map(),
    };
  const popularity = new Float64Array(index.offers.length);
  index.offers.forEach((offer, i) => {
    const v = prior(offer);
    popularity[i] = Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
  });
  return { ...index, popularity, popularityOrZero: popularity, eligibilityMemo: new Map() };
}

export interface Eligibility {
  /** Catalog indices, ascending (read only: shared by every decision in the same period). */
  readonly eligible: Int32Array;
  /** The smallest ε (µε) among them; +∞ when none. */
  readonly epsilonMicro: number;
  /** The eligible offers' category ids, brand ids, popularity prior and size masks, aligned with `eligible` (sequential reads when scoring). */
  readonly category: Int32Array;
  readonly brand: Int32Array;
  readonly popularity: Float64Array;
  readonly sizeMask: Int32Array | null;
}

/** The per-offer arrays of `eligible`, gathered from the index. */
export function alignEligible(
  index: CatalogIndex,
  eligible: Int32Array,
  epsilonMicro = Number.POSITIVE_INFINITY,
): Eligibility {
  const n = eligible.length;
  const category = new Int32Array(n);
  const brand = new Int32Array(n);
  const popularity = new Float64Array(n);
  const sizeMask = index.sizeMask === null ? null : new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const i = eligible[j] as number;
    category[j] = index.category[i] as number;
    brand[j] = index.brand[i] as number;
    popularity[j] = index.popularityOrZero[i] as number;
    if (sizeMask !== null) sizeMask[j] = (index.sizeMask as Int32Array)[i] as number;
  }
  return { eligible, epsilonMicro, category, brand, popularity, sizeMask };
}

export interface CachedEligibility extends Eligibility {
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * The offers eligible in `zone` at `nowMs` and the smallest ε among them (public: zone and
 * validity only, never the shopper's data, so n — and with it k — is public). The answer only
 * changes when `nowMs` crosses a validFrom/validTo of the zone's offers, so it is memoised per
 * index and zone for the period between two such boundaries.
 */
export function eligibility(index: CatalogIndex, zone: string, nowMs: number): Eligibility {
  const cache = index.eligibilityMemo;
  const cached = cache.get(zone);
  if (cached !== undefined && cached.fromMs <= nowMs && nowMs < cached.toMs) return cached;
  const inZone = index.byZone.get(zone) ?? new Int32Array(0);
  const { validFromMs, validToMs, epsilonMicro } = index;
  const list: number[] = [];
  let minEpsilon = Number.POSITIVE_INFINITY;
  let fromMs = Number.NEGATIVE_INFINITY;
  let toMs = Number.POSITIVE_INFINITY;
  for (let j = 0; j < inZone.length; j++) {
    const i = inZone[j] as number;
    const from = validFromMs[i] as number;
    const to = validToMs[i] as number;
    if (from > nowMs) toMs = Math.min(toMs, from);
    else fromMs = Math.max(fromMs, from);
    if (to > nowMs) toMs = Math.min(toMs, to);
    else fromMs = Math.max(fromMs, to);
    if (from <= nowMs && nowMs < to) {
      list.push(i);
      minEpsilon = Math.min(minEpsilon, epsilonMicro[i] as number);
    }
  }
  const entry: CachedEligibility = {
    ...alignEligible(index, list.length === inZone.length ? inZone : Int32Array.from(list), minEpsilon),
    fromMs,
    toMs,
  };
  cache.set(zone, entry);
  return entry;
}

/** The offers eligible in `zone` at `nowMs`, ascending catalog indices (read only). */
export function eligibleOffers(index: CatalogIndex, zone: string, nowMs: number): Int32Array {
  return eligibility(index, zone, nowMs).eligible;
}
