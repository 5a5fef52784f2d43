import { Type, type Static } from '@sinclair/typebox';
import { compileValidator, type Problem, type Validation } from '../validation.ts';
import { ID_PATTERN } from '../protocol/topics.ts';
import { IDEMPOTENCY_KEY_PATTERN } from './signing.ts';
import {
  MAX_RELEASE_BYTES,
  RELEASE_PAYLOAD_VERSION,
  validateReleasePayload,
  type ReleasePayload,
} from './release-payload.ts';

/**
 * Release payload v2 (privacy contract v2, docs/privacy.md): the body of one DP release sent
 * upstream. The privacy unit is one shopper over one budget period (a calendar month, quarter or
 * year in the store's time zone); every release lies inside one budget period (`budgetPeriod`)
 * and describes one time window inside it (`window`: an hour, a day, a week — cut at the period's
 * edges — or the whole period).
 *
 * Values are the RAW noisy integers, in units of `granularity` (real value = integer × g): unbiased
 * and additive across stores. Every measure states its noise exactly (σ² or the Laplace scale,
 * in integer units) and the 95% half-width of each value in real units, so that a reader can
 * show `value·g ± halfWidth95` and HQ can sum stores with exact variances. Consistent,
 * non-negative views are post-processing done by the reader.
 *
 * Layouts:
 *   cells          values[i] belongs to cells[i]
 *   upper-triangle a symmetric |cells|×|cells| matrix, its upper triangle row by row, diagonal
 *                  included: entry (i, j), i ≤ j, is values[i·n − i(i−1)/2 + (j − i)]
 *   rows           a table: values.length = rows × |cells|, row-major; cells name the columns
 *
 * Example (abridged):
 *   {"v":2,"store":"store-1","release":"footfall:2026-11-28","kind":"footfall",
 *    "budgetPeriod":{"unit":"quarter","label":"2026-Q4","startUnix":1790805600,"endUnix":1798758000,
 *                    "timeZone":"Europe/Berlin"},
 *    "window":{"unit":"day","label":"2026-11-28","start":"2026-11-28T00:00:00+01:00",
 *              "end":"2026-11-29T00:00:00+01:00","startUnix":1795820400,"endUnix":1795906800},
 *    "privacyUnit":"shopper-period","bounds":{"maxCellsPerRelease":8,"maxPerCell":1},
 *    "cost":{"rho":"1/500","rhoUpper":0.002,"epsilon":0.3,"epsilonBunSteinke":0.33,"delta":1e-6},
 *    "cells":["bakery","produce"],
 *    "measures":[{"metric":"shoppers","query":"count","layout":"cells","mechanism":"discrete-gaussian",
 *                 "sigma":5.1,"sigmaSquared":"26","granularity":"1","halfWidth95":10.0,
 *                 "sensitivity":{"l0":8,"lInf":"1","l2Squared":"8"},"rho":"1/500","values":[120,87]}]}
 */

export const RELEASE_PAYLOAD_V2 = 2;
/** Recommender statistics (an item × item matrix) are the largest releases: 16 MiB. */
export const MAX_RELEASE_V2_BYTES = 16 * 1024 * 1024;

/** An exact non-negative rational "num" or "num/den" (e.g. σ² = "80", ρ = "1/20", g = "1/1024"). */
const RationalText = Type.String({ pattern: '^\\d{1,40}(/[1-9]\\d{0,39})?$' });
const SafeInteger = Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Iso = Type.String({ minLength: 10, maxLength: 40 });
const Label = Type.String({ minLength: 1, maxLength: 40 });

export const BUDGET_PERIOD_UNITS = ['month', 'quarter', 'year'] as const;
export type BudgetPeriodUnit = (typeof BUDGET_PERIOD_UNITS)[number];
export const WINDOW_UNITS = ['hour', 'day', 'week', 'period'] as const;
export type WindowUnit = (typeof WINDOW_UNITS)[number];

export const ReleaseMeasureV2Schema = Type.Object(
  {
    /** What the values count or sum, e.g. "shoppers", "visits", "weight", "covariance". */
    metric: Type.String({ pattern: '^[a-z][A-Za-z0-9]{0,40}$' }),
    query: Type.Union([Type.Literal('count'), Type.Literal('sum'), Type.Literal('mean')]),
    layout: Type.Union([Type.Literal('cells'), Type.Literal('upper-triangle'), Type.Literal('rows')]),
    /** For layout "rows": the number of rows. */
    rows: Type.Optional(Count),
    mechanism: Type.Union([Type.Literal('discrete-gaussian'), Type.Literal('discrete-laplace')]),
    /** Discrete Gaussian, in integer units: σ rounded up (display) and the exact σ² used by the sampler. */
    sigma: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    sigmaSquared: Type.Optional(RationalText),
    /** Discrete Laplace, in integer units: the exact scale t (noise ∝ e^{−|x|/t}) and ε = Δ1/t. */
    scale: Type.Optional(RationalText),
    epsilon: Type.Optional(RationalText),
    /** Each value is an integer number of this real unit (default "1"). */
    granularity: RationalText,
    /** Sums and means: every per-shopper value was clamped to [lo, hi] (real units) first. */
    clamp: Type.Optional(Type.Object({ lo: Type.Number(), hi: Type.Number() }, { additionalProperties: false })),
    /**
     * Add/remove one privacy unit, in integer units: at most l0 values change, each by at most
     * lInf; Δ2² = l2Squared (Δ1 = l1 when stated). Rationals, since weighted statistics have
     * fractional bounds.
     */
    sensitivity: Type.Object(
      { l0: Count, lInf: RationalText, l2Squared: RationalText, l1: Type.Optional(RationalText) },
      { additionalProperties: false },
    ),
    /** The exact zCDP cost of this measure for a shopper at the bound. */
    rho: RationalText,
    /** The 95% half-width of every value, in real units: the interval is value·g ± halfWidth95. */
    halfWidth95: Type.Number({ minimum: 0 }),
    values: Type.Array(SafeInteger),
  },
  { additionalProperties: false },
);

export const ReleasePayloadV2Schema = Type.Object(
  {
    v: Type.Literal(RELEASE_PAYLOAD_V2),
    store: Type.String({ pattern: ID_PATTERN }),
    /** The release id: also the idempotency key (unique per store, never re-computed). */
    release: Type.String({ pattern: IDEMPOTENCY_KEY_PATTERN }),
    kind: Type.String({ pattern: ID_PATTERN }),
    /** The budget period the data (and the charge) belong to. */
    budgetPeriod: Type.Object(
      {
        unit: Type.Union(BUDGET_PERIOD_UNITS.map((u) => Type.Literal(u))),
        /** "2026-11" (month), "2026-Q4" (quarter), "2026" (year). */
        label: Label,
        startUnix: Count,
        endUnix: Count,
        timeZone: Type.String({ minLength: 1, maxLength: 64 }),
      },
      { additionalProperties: false },
    ),
    /** The time window the cells describe; inside budgetPeriod. */
    window: Type.Object(
      {
        unit: Type.Union(WINDOW_UNITS.map((u) => Type.Literal(u))),
        /** "2026-11-28T10:00+01:00" (hour), "2026-11-28" (day), "2026-W48" (week; cut at period edges) or the period's label. */
        label: Label,
        /** ISO 8601 with the store's UTC offset. */
        start: Iso,
        end: Iso,
        startUnix: Count,
        endUnix: Count,
      },
      { additionalProperties: false },
    ),
    computedAt: Iso,
    privacyUnit: Type.Literal('shopper-period'),
    /** The contribution bounds the kind enforces, by name (e.g. maxCellsPerRelease, maxItemsPerShopper). */
    bounds: Type.Record(Type.String({ pattern: '^[a-z][A-Za-z0-9]{0,40}$' }), Type.Number({ minimum: 0 })),
    /** The release's cost for a shopper at the bound: ρ exact and rounded up, and the (ε, δ) it implies. */
    cost: Type.Object(
      {
        rho: RationalText,
        rhoUpper: Type.Number({ minimum: 0 }),
        epsilon: Type.Number({ minimum: 0 }),
        epsilonBunSteinke: Type.Number({ minimum: 0 }),
        delta: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
      },
      { additionalProperties: false },
    ),
    /** The public cells (zones, hours, buckets, items, columns), every one released, zeros included. */
    cells: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100_000 }),
    measures: Type.Array(ReleaseMeasureV2Schema, { minItems: 1, maxItems: 16 }),
  },
  { additionalProperties: false },
);

export type ReleaseMeasureV2 = Static<typeof ReleaseMeasureV2Schema>;
export type ReleasePayloadV2 = Static<typeof ReleasePayloadV2Schema>;

let validator: ((value: unknown) => Validation<ReleasePayloadV2>) | null = null;

/** The number of values a measure of this layout must carry for `cells` cells. */
export function expectedValueCount(measure: Pick<ReleaseMeasureV2, 'layout' | 'rows'>, cells: number): number {
  if (measure.layout === 'cells') return cells;
  if (measure.layout === 'upper-triangle') return (cells * (cells + 1)) / 2;
  return (measure.rows ?? 0) * cells;
}

/** Schema problems plus what a schema cannot say (windows inside the period, aligned values, per-mechanism fields). */
export function validateReleasePayloadV2(value: unknown): Validation<ReleasePayloadV2> {
  validator ??= compileValidator<ReleasePayloadV2>(ReleasePayloadV2Schema);
  const result = validator(value);
  if (!result.ok) return result;
  const payload = result.value;
  const problems: Problem[] = [];
  const { budgetPeriod: period, window } = payload;
  if (period.endUnix <= period.startUnix) {
    problems.push({
      path: '/budgetPeriod/endUnix',
      message: `is ${period.endUnix}, expected more than startUnix ${period.startUnix}`,
    });
  }
  if (window.endUnix <= window.startUnix) {
    problems.push({
      path: '/window/endUnix',
      message: `is ${window.endUnix}, expected more than startUnix ${window.startUnix}`,
    });
  }
  if (window.startUnix < period.startUnix || window.endUnix > period.endUnix) {
    problems.push({
      path: '/window',
      message: `is ${window.startUnix}..${window.endUnix}, expected inside the budget period ${period.startUnix}..${period.endUnix}`,
    });
  }
  const seen = new Set<string>();
  payload.cells.forEach((cell, i) => {
    if (seen.has(cell)) problems.push({ path: `/cells/${i}`, message: `is "${cell}" again, expected distinct cells` });
    seen.add(cell);
  });
  payload.measures.forEach((measure, i) => {
    if (measure.layout === 'rows' && measure.rows === undefined) {
      problems.push({ path: `/measures/${i}/rows`, message: 'is required for layout "rows"' });
    }
    const expected = expectedValueCount(measure, payload.cells.length);
    if (measure.values.length !== expected) {
      problems.push({
        path: `/measures/${i}/values`,
        message: `has ${measure.values.length} values, expected ${expected} for layout "${measure.layout}" over ${payload.cells.length} cells`,
      });
    }
    if (
      measure.mechanism === 'discrete-gaussian' &&
      (measure.sigmaSquared === undefined || measure.sigma === undefined)
    ) {
      problems.push({
        path: `/measures/${i}`,
        message: 'is a discrete Gaussian measure without sigma and sigmaSquared',
      });
    }
    if (measure.mechanism === 'discrete-laplace' && (measure.scale === undefined || measure.epsilon === undefined)) {
      problems.push({ path: `/measures/${i}`, message: 'is a discrete Laplace measure without scale and epsilon' });
    }
    if (measure.granularity === '0' || /^0+(\/|$)/.test(measure.granularity)) {
      problems.push({ path: `/measures/${i}/granularity`, message: 'is 0, expected a positive rational' });
    }
    if ((measure.query === 'sum' || measure.query === 'mean') && measure.clamp === undefined) {
      problems.push({
        path: `/measures/${i}/clamp`,
        message: `is required for a ${measure.query} (values are clamped)`,
      });
    }
  });
  return problems.length > 0 ? { ok: false, problems } : result;
}

/** The bytes to store and send (validated first: an invalid release is a programming error). */
export function encodeReleasePayloadV2(payload: ReleasePayloadV2): Buffer {
  const checked = validateReleasePayloadV2(payload);
  if (!checked.ok) {
    throw new RangeError(
      `refusing to encode an invalid release: ${checked.problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}`,
    );
  }
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/** A release of either version, as received upstream (hubs not yet upgraded still send v1). */
export type AnyReleasePayload = ReleasePayload | ReleasePayloadV2;

/** Parses and validates received bytes of either version (by `v`); never throws. */
export function decodeAnyReleasePayload(body: Uint8Array): Validation<AnyReleasePayload> {
  if (body.length > MAX_RELEASE_V2_BYTES) {
    return {
      ok: false,
      problems: [{ path: '', message: `is ${body.length} bytes, expected at most ${MAX_RELEASE_V2_BYTES}` }],
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8')) as unknown;
  } catch (error) {
    return { ok: false, problems: [{ path: '', message: `is not valid JSON (${(error as Error).message})` }] };
  }
  const version = value !== null && typeof value === 'object' ? (value as { v?: unknown }).v : undefined;
  if (version === RELEASE_PAYLOAD_V2) return validateReleasePayloadV2(value);
  if (version === RELEASE_PAYLOAD_VERSION) {
    if (body.length > MAX_RELEASE_BYTES) {
      return {
        ok: false,
        problems: [{ path: '', message: `is ${body.length} bytes, expected at most ${MAX_RELEASE_BYTES} for v1` }],
      };
    }
    return validateReleasePayload(value);
  }
  return { ok: false, problems: [{ path: '/v', message: `is ${JSON.stringify(version)}, expected 1 or 2` }] };
}
