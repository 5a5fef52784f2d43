import { Type, type Static } from '@sinclair/typebox';
import { AppError } from '../../errors.ts';
import { compileValidator, formatProblems, type Validator } from '../../validation.ts';
import type { ItemModel } from './model.ts';

/**
 * The item model file body (pure; docs/recommender.md §8): versioned JSON with the period the data
 * came from, the public item lists, the cleaned factors, the parameters, the privacy cost and the
 * provenance (which stores' releases were pooled). Only DP models are written (the non-private
 * reference keeps a dense matrix and never leaves an evaluation). Signing wraps these bytes
 * (adapters/model-signing.ts); a hub keeps the last good model (adapters/model-store.ts).
 */

export const MODEL_FORMAT = 'hushpoint-item-model';
export const MODEL_FORMAT_VERSION = 1;

const Rational = Type.String({ pattern: '^\\d{1,40}(/[1-9]\\d{0,39})?$' });
const Finite = Type.Number();

export const ModelDocumentSchema = Type.Object(
  {
    format: Type.Literal(MODEL_FORMAT),
    v: Type.Literal(MODEL_FORMAT_VERSION),
    /** Monotonic per chain: a hub installs only a version above the one it has. */
    version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    modelId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9:._+-]{0,199}$' }),
    createdAt: Type.String({ minLength: 10, maxLength: 40 }),
    period: Type.Object(
      { label: Type.String({ minLength: 1, maxLength: 64 }), start: Type.String(), end: Type.String() },
      { additionalProperties: false },
    ),
    catalog: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 200_000 }),
    popularity: Type.Array(Finite),
    items: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 2000 }),
    rank: Type.Integer({ minimum: 0, maximum: 2000 }),
    factors: Type.Array(Finite),
    weights: Type.Array(Finite),
    diagonal: Type.Array(Type.Number({ minimum: 0 })),
    shrinkageTerm: Type.Number({ minimum: 0 }),
    blend: Type.Number({ minimum: 0, maximum: 1 }),
    privacy: Type.Object(
      {
        unit: Type.Literal('shopper-period'),
        rho: Rational,
        epsilon: Type.Number({ minimum: 0 }),
        delta: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
        rounds: Type.Array(
          Type.Object(
            { metric: Type.String(), rho: Rational, sigmaSquared: Rational, stores: Type.Integer({ minimum: 1 }) },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    parameters: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])),
    provenance: Type.Object(
      {
        stores: Type.Integer({ minimum: 1 }),
        storeIds: Type.Array(Type.String()),
        releaseIds: Type.Array(Type.String()),
        source: Type.String(),
        tool: Type.String(),
      },
      { additionalProperties: false },
    ),
    diagnostics: Type.Object(
      {
        covarianceSigma: Type.Number({ minimum: 0 }),
        supportSigma: Type.Number({ minimum: 0 }),
        noiseEdge: Type.Number({ minimum: 0 }),
        topEigenvalues: Type.Array(Finite),
        overlaps: Type.Array(Finite),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type ModelDocument = Static<typeof ModelDocumentSchema>;

/** Everything in a model file that is not the model itself. */
export type ModelMetadata = Omit<
  ModelDocument,
  | 'format'
  | 'v'
  | 'catalog'
  | 'popularity'
  | 'items'
  | 'rank'
  | 'factors'
  | 'weights'
  | 'diagonal'
  | 'shrinkageTerm'
  | 'blend'
  | 'diagnostics'
>;

function compact(values: ArrayLike<number>): number[] {
  return Array.from(values, (v) => (v === 0 ? 0 : Number(v.toPrecision(8))));
}

export function modelDocument(model: ItemModel, meta: ModelMetadata): ModelDocument {
  if (model.dense !== undefined) {
    throw new AppError(
      'RECO_MODEL_INVALID',
      'the non-private reference model is for evaluation only and is never written',
    );
  }
  const d = model.diagnostics;
  return {
    format: MODEL_FORMAT,
    v: MODEL_FORMAT_VERSION,
    ...meta,
    catalog: [...model.catalog],
    popularity: compact(model.popularity),
    items: [...model.items],
    rank: model.rank,
    factors: compact(model.factors),
    weights: compact(model.weights),
    diagonal: compact(model.diagonal),
    shrinkageTerm: model.shrinkageTerm,
    blend: model.blend,
    diagnostics: {
      covarianceSigma: d.covarianceSigma,
      supportSigma: d.supportSigma,
      noiseEdge: d.noiseEdge,
      topEigenvalues: compact(d.topEigenvalues),
      overlaps: compact(d.overlaps),
    },
  };
}

let validator: Validator<ModelDocument> | null = null;

/** Parses and checks a model body; every problem is named (path and what was expected). */
export function parseModelDocument(text: string, source = 'model'): { model: ItemModel; document: ModelDocument } {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new AppError('RECO_MODEL_INVALID', `${source} is not JSON: ${(error as Error).message}`);
  }
  const format = (value as { format?: unknown; v?: unknown } | null)?.format;
  const v = (value as { v?: unknown } | null)?.v;
  if (format !== MODEL_FORMAT || v !== MODEL_FORMAT_VERSION) {
    throw new AppError(
      'RECO_MODEL_INVALID',
      `${source} is format ${JSON.stringify(format)} v${JSON.stringify(v)}, expected "${MODEL_FORMAT}" v${MODEL_FORMAT_VERSION}`,
    );
  }
  validator ??= compileValidator<ModelDocument>(ModelDocumentSchema);
  const checked = validator(value);
  if (!checked.ok) {
    throw new AppError(
      'RECO_MODEL_INVALID',
      `${source} is not a valid model: ${formatProblems(checked.problems).join('; ')}`,
    );
  }
  const doc = checked.value;
  const problems: string[] = [];
  const n = doc.items.length;
  if (doc.popularity.length !== doc.catalog.length)
    problems.push(
      `/popularity has ${doc.popularity.length} values, expected ${doc.catalog.length} (one per catalog item)`,
    );
  if (doc.factors.length !== n * doc.rank)
    problems.push(`/factors has ${doc.factors.length} values, expected ${n}×${doc.rank}`);
  if (doc.weights.length !== doc.rank) problems.push(`/weights has ${doc.weights.length} values, expected ${doc.rank}`);
  if (doc.diagonal.length !== n) problems.push(`/diagonal has ${doc.diagonal.length} values, expected ${n}`);
  const position = new Map(doc.catalog.map((c, i) => [c, i]));
  if (position.size !== doc.catalog.length) problems.push('/catalog repeats an item, expected distinct codes');
  const itemIndex = Int32Array.from(doc.items, (code) => position.get(code) ?? -1);
  const unknown = doc.items.filter((_, p) => itemIndex[p] === -1);
  if (unknown.length > 0) problems.push(`/items names ${unknown.slice(0, 3).join(', ')} that the catalog lacks`);
  if (new Set(doc.items).size !== n) problems.push('/items repeats an item, expected distinct codes');
  if (problems.length > 0)
    throw new AppError('RECO_MODEL_INVALID', `${source} is inconsistent: ${problems.join('; ')}`);
  const model: ItemModel = {
    catalog: doc.catalog,
    popularity: Float64Array.from(doc.popularity),
    items: doc.items,
    itemIndex,
    rank: doc.rank,
    factors: Float64Array.from(doc.factors),
    weights: Float64Array.from(doc.weights),
    diagonal: Float64Array.from(doc.diagonal),
    shrinkageTerm: doc.shrinkageTerm,
    blend: doc.blend,
    diagnostics: { ...doc.diagnostics, stores: doc.provenance.stores },
  };
  return { model, document: doc };
}
