import { Type, type Static } from '@sinclair/typebox';
import { compileValidator, type Problem, type Validation } from '../validation.ts';
import { ID_PATTERN } from '../protocol/topics.ts';
import { IDEMPOTENCY_KEY_PATTERN } from './signing.ts';

/**
 * The body of one DP release sent upstream (HTTPS POST body or MQTT payload), JSON, camelCase.
 * It states everything an analyst needs to use the numbers correctly (docs/privacy.md): the privacy
 * unit, the mechanism, the exact noise scale, the sensitivity, the clamp and contribution
 * bounds, and the cost (ρ, and the (ε, δ) it implies). Values are the RAW noisy integers
 * (unbiased, additive across stores); consistent non-negative views are post-processing done by
 * the reader. Nothing else about the data is sent — in particular not how many shoppers
 * contributed or were left out (those counts are not noisy).
 *
 * Example (abridged):
 *   {"v":1,"store":"store-1","release":"footfall:2026-11-28T10:00+01:00","kind":"footfall",
 *    "period":{"unit":"hour","start":"2026-11-28T10:00:00+01:00","end":"2026-11-28T11:00:00+01:00",
 *              "startUnix":1795856400,"endUnix":1795860000,"timeZone":"Europe/Berlin"},
 *    "privacyUnit":"shopper-day","bounds":{"maxCellsPerRelease":2,"maxCellsPerDay":8,"maxPerCell":1},
 *    "cost":{"rho":"1/20","rhoUpper":0.05,"epsilon":1.47,"epsilonBunSteinke":1.71,"delta":1e-6},
 *    "cells":["bakery","produce"],
 *    "measures":[{"metric":"shoppers","query":"count","mechanism":"discrete-gaussian","sigma":4.48,
 *                 "sigmaSquared":"20","sensitivity":{"l0":2,"lInf":1,"l1":2,"l2Squared":2,"l2":1.42},
 *                 "rho":"1/20","values":[12,-3]}]}
 */

export const RELEASE_PAYLOAD_VERSION = 1;
export const MAX_RELEASE_BYTES = 1024 * 1024;

/** An exact non-negative rational "num" or "num/den" (e.g. σ² = "80", ρ = "1/20"). */
const RationalText = Type.String({ pattern: '^\\d{1,40}(/[1-9]\\d{0,39})?$' });
const SafeInteger = Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Mechanism = Type.Union([Type.Literal('discrete-gaussian'), Type.Literal('discrete-laplace')]);

export const ReleaseMeasureSchema = Type.Object(
  {
    /** What the values count or sum, e.g. "shoppers", "dwellSeconds". */
    metric: Type.String({ pattern: '^[a-z][A-Za-z0-9]{0,40}$' }),
    query: Type.Union([Type.Literal('count'), Type.Literal('sum')]),
    mechanism: Mechanism,
    /** Discrete Gaussian: σ rounded up (display) and the exact σ² used by the sampler. */
    sigma: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    sigmaSquared: Type.Optional(RationalText),
    /** Discrete Laplace: the exact scale t (noise ∝ e^{−|x|/t}) and ε = Δ1/t. */
    scale: Type.Optional(RationalText),
    epsilon: Type.Optional(RationalText),
    /** Sums: every per-shopper-cell value was clamped to [lo, hi] before summing. */
    clamp: Type.Optional(Type.Object({ lo: SafeInteger, hi: SafeInteger }, { additionalProperties: false })),
    /** Add/remove one privacy unit: L0 cells, L∞ per cell, Δ1 = L0·L∞, Δ2² = L0·L∞² (Δ2 rounded up). */
    sensitivity: Type.Object(
      { l0: Count, lInf: Count, l1: Count, l2Squared: Count, l2: Type.Number({ minimum: 0 }) },
      { additionalProperties: false },
    ),
    /** The exact zCDP cost of this measure for a unit that contributes to the bound. */
    rho: RationalText,
    /** One noisy integer per cell, in the order of `cells`. */
    values: Type.Array(SafeInteger),
  },
  { additionalProperties: false },
);

export const ReleasePayloadSchema = Type.Object(
  {
    v: Type.Literal(RELEASE_PAYLOAD_VERSION),
    store: Type.String({ pattern: ID_PATTERN }),
    /** The release id: also the idempotency key (unique per store, never re-computed). */
    release: Type.String({ pattern: IDEMPOTENCY_KEY_PATTERN }),
    kind: Type.String({ pattern: ID_PATTERN }),
    period: Type.Object(
      {
        unit: Type.Union([Type.Literal('hour'), Type.Literal('day')]),
        /** ISO 8601 with the store's UTC offset. */
        start: Type.String({ minLength: 10, maxLength: 40 }),
        end: Type.String({ minLength: 10, maxLength: 40 }),
        startUnix: Count,
        endUnix: Count,
        timeZone: Type.String({ minLength: 1, maxLength: 64 }),
      },
      { additionalProperties: false },
    ),
    computedAt: Type.String({ minLength: 10, maxLength: 40 }),
    privacyUnit: Type.Literal('shopper-day'),
    bounds: Type.Object(
      {
        /** The most cells one shopper contributes to in this release (L0). */
        maxCellsPerRelease: Count,
        /** The most cells of this kind one shopper contributes to per day (K, T). */
        maxCellsPerDay: Count,
        /** Each shopper counts at most this often per cell. */
        maxPerCell: Count,
      },
      { additionalProperties: false },
    ),
    /**
     * The release's cost for a shopper at the bound: ρ exact and rounded up, and the (ε, δ)-DP it
     * implies (CKS 2020 conversion; Bun–Steinke for reference). A shopper's actual charge is
     * their own share (cells contributed × ρ / maxCellsPerRelease).
     */
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
    /** The public cells, every one released (zeros included). */
    cells: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100_000 }),
    measures: Type.Array(ReleaseMeasureSchema, { minItems: 1, maxItems: 16 }),
  },
  { additionalProperties: false },
);

export type ReleaseMeasure = Static<typeof ReleaseMeasureSchema>;
export type ReleasePayload = Static<typeof ReleasePayloadSchema>;

let validator: ((value: unknown) => Validation<ReleasePayload>) | null = null;

/** Schema problems plus the rules a schema cannot say (aligned values, distinct cells, per-mechanism fields). */
export function validateReleasePayload(value: unknown): Validation<ReleasePayload> {
  validator ??= compileValidator<ReleasePayload>(ReleasePayloadSchema);
  const result = validator(value);
  if (!result.ok) return result;
  const payload = result.value;
  const problems: Problem[] = [];
  if (payload.period.endUnix <= payload.period.startUnix) {
    problems.push({
      path: '/period/endUnix',
      message: `is ${payload.period.endUnix}, expected more than startUnix ${payload.period.startUnix}`,
    });
  }
  const seen = new Set<string>();
  payload.cells.forEach((cell, i) => {
    if (seen.has(cell)) problems.push({ path: `/cells/${i}`, message: `is "${cell}" again, expected distinct cells` });
    seen.add(cell);
  });
  payload.measures.forEach((measure, i) => {
    if (measure.values.length !== payload.cells.length) {
      problems.push({
        path: `/measures/${i}/values`,
        message: `has ${measure.values.length} values, expected one per cell (${payload.cells.length})`,
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
    if (measure.query === 'sum' && measure.clamp === undefined) {
      problems.push({
        path: `/measures/${i}/clamp`,
        message: 'is required for a sum (the values must have been clamped)',
      });
    }
  });
  return problems.length > 0 ? { ok: false, problems } : result;
}

/** The bytes to store and send (validated first: an invalid release is a programming error). */
export function encodeReleasePayload(payload: ReleasePayload): Buffer {
  const checked = validateReleasePayload(payload);
  if (!checked.ok) {
    throw new RangeError(
      `refusing to encode an invalid release: ${checked.problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}`,
    );
  }
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/** Parses and validates received bytes; never throws. */
export function decodeReleasePayload(body: Uint8Array): Validation<ReleasePayload> {
  if (body.length > MAX_RELEASE_BYTES)
    return {
      ok: false,
      problems: [{ path: '', message: `is ${body.length} bytes, expected at most ${MAX_RELEASE_BYTES}` }],
    };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8')) as unknown;
  } catch (error) {
    return { ok: false, problems: [{ path: '', message: `is not valid JSON (${(error as Error).message})` }] };
  }
  return validateReleasePayload(value);
}
