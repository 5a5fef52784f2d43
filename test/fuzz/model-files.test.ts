import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isAppError } from '../../shared/errors.ts';
import { rational } from '../../shared/privacy/rational.ts';
import {
  GRANULARITY,
  buildItemModel,
  modelDocument,
  parseModelDocument,
  prepareScorer,
  recommend,
  ScoringScratch,
} from '../../shared/recommend/mod.ts';
import {
  generateModelKeyPair,
  openSignedModel,
  parsePrivateKey,
  parsePublicKey,
  signModelBody,
} from '../../shared/recommend/adapters/model-signing.ts';
import { FuzzReport, fuzzParameters, fuzzSeed, jsonInputs } from './fuzz-harness.ts';

/**
 * Fuzz target: the item-model files HQ signs and hubs install (docs/recommender.md §8).
 * (1) A signed file with any change: refused with RECO_MODEL_INVALID or RECO_MODEL_SIGNATURE,
 * and whenever it is accepted the body is exactly the body HQ signed. (2) A body that is signed
 * but malformed (a signer bug): refused with RECO_MODEL_INVALID naming the path, or parsed into
 * a model that scores without throwing and without NaN.
 */

const items = ['10001', '10002', '10003', '20001'];
const model = buildItemModel(
  {
    supports: [
      {
        metric: 'itemSupport',
        layout: 'cells',
        items,
        values: Float64Array.from([5, 3, 8, 1]),
        granularity: GRANULARITY,
        variance: rational(4n),
        stores: 1,
        rhoPerStore: [],
      },
    ],
  },
  { shrinkage: 3 },
);
const document = modelDocument(model, {
  version: 3,
  modelId: 'm-v3',
  createdAt: '2026-01-01T00:00:00.000Z',
  period: { label: '2026-Q1', start: '2026-01-01 00:00', end: '2026-04-01 00:00' },
  privacy: { unit: 'shopper-period', rho: '1/40', epsilon: 1, delta: 1e-6, rounds: [] },
  parameters: {},
  provenance: { stores: 1, storeIds: ['s'], releaseIds: [], source: 'fuzz', tool: 'vitest' },
});
const body = JSON.stringify(document);
const hq = generateModelKeyPair();
const hqPrivate = parsePrivateKey(hq.privatePem, 'hq key');
const hqPublic = parsePublicKey(hq.publicPem, 'hq pub');
const signed = JSON.parse(signModelBody(body, hqPrivate)) as Record<string, unknown>;

function refusedWith(error: unknown, codes: string[]): boolean {
  return isAppError(error) && codes.includes(error.code);
}

describe('fuzz: signed item models', () => {
  it('a changed signed file is refused; an accepted one is exactly what HQ signed', () => {
    const seed = fuzzSeed();
    const report = new FuzzReport('model-envelope', seed);
    fc.assert(
      fc.property(jsonInputs(fc.constant(signed)), (input) => {
        try {
          const opened = openSignedModel(input.bytes.toString('utf8'), hqPublic, 'fuzz.model');
          expect(opened).toBe(body);
          report.count('accepted');
        } catch (error) {
          expect(refusedWith(error, ['RECO_MODEL_INVALID', 'RECO_MODEL_SIGNATURE']), String(error)).toBe(true);
          report.count((error as { code: string }).code);
        }
      }),
      fuzzParameters(seed),
    );
    report.write();
  });

  it('a malformed signed body is refused with its path, or scores cleanly', () => {
    const seed = fuzzSeed();
    const report = new FuzzReport('model-body', seed);
    const scratch = new ScoringScratch();
    fc.assert(
      fc.property(jsonInputs(fc.constant(document)), (input) => {
        let parsed;
        try {
          parsed = parseModelDocument(input.bytes.toString('utf8'), 'fuzz.model');
        } catch (error) {
          expect(refusedWith(error, ['RECO_MODEL_INVALID']), String(error)).toBe(true);
          report.count('refused');
          return;
        }
        const scorer = prepareScorer(parsed.model);
        const own = [0, 2].filter((i) => i < parsed.model.catalog.length);
        const history = { items: Int32Array.from(own), invoices: Int32Array.from(own, (_, k) => k + 1) };
        for (const mode of ['new', 'all', 'score'] as const) {
          const top = recommend(scorer, history, { k: 3, mode }, scratch);
          for (const i of top) expect(i >= 0 && i < parsed.model.catalog.length).toBe(true);
        }
        report.count('parsed');
      }),
      fuzzParameters(seed),
    );
    report.write();
  });
});
