import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { addRational, compareRational, rational } from '../../shared/privacy/rational.ts';
import { chainHistories } from '../../scripts/sim/purchases.ts';
import { rhoForEpsilon, splitBudget } from '../../shared/recommend/core/budget.ts';
import { DEFAULT_FIT_PARAMETERS, fitExact, fitStores } from '../../shared/recommend/core/fit.ts';
import { buildCatalog } from '../../shared/recommend/core/histories.ts';
import { modelDocument, parseModelDocument, type ModelMetadata } from '../../shared/recommend/core/model-format.ts';

const chain = chainHistories({ stores: 4, shoppers: 400, days: 270, seed: 'fit-test', start: '2025-01-01' }, 180);
const stores = chain.stores.map((s, i) => ({ store: `store-${i + 1}`, shoppers: s.fit }));

describe('fitStores (the hub → HQ → hub path in one process)', () => {
  it('spends ρ₁ + ρ₂ ≤ ρ per shopper, releases per store, and pools them', () => {
    const rho = rhoForEpsilon(8, 1e-6);
    const result = fitStores(stores, chain.catalog, { rho }, new SeededRandomSource('fit-1'));
    expect(compareRational(result.rho, rho)).toBeLessThanOrEqual(0);
    expect(result.releases.map((r) => r.store)).toEqual(['store-1', 'store-2', 'store-3', 'store-4']);
    expect(result.pooled.first.stores).toBe(4);
    const first = result.releases[0]?.first;
    const second = result.releases[0]?.second;
    expect(first?.metric).toBe('itemSupport');
    expect(addRational(first?.rho ?? rational(0n), second?.rho ?? rational(0n))).toEqual(result.rho);
    expect(result.choice.second).toBe('itemCovariance');
    expect(second?.items).toEqual(result.choice.items);
    expect(result.model.items).toEqual(result.choice.items);
  });

  it('falls back to a second supports release when too few items clear the minimum support', () => {
    const rho = rhoForEpsilon(0.05, 1e-6);
    const result = fitStores(stores.slice(0, 1), chain.catalog, { rho }, new SeededRandomSource('fit-2'));
    expect(result.choice.second).toBe('itemSupport');
    expect(result.releases[0]?.second.metric).toBe('itemSupport');
    expect(result.model.rank).toBe(0);
    expect(result.model.blend).toBe(0);
  });

  it('the budget split is exact', () => {
    const { first, second } = splitBudget(rational(1n, 40n), DEFAULT_FIT_PARAMETERS.supportsShare);
    expect(first).toEqual(rational(3n, 400n));
    expect(second).toEqual(rational(7n, 400n));
  });

  it('refuses empty input and bad parameters with clear messages', () => {
    expect(() => fitStores([], chain.catalog, { rho: rational(1n, 10n) }, new SeededRandomSource(1))).toThrow(
      'no stores to fit',
    );
    expect(() =>
      fitStores(
        stores,
        chain.catalog,
        { rho: rational(1n, 10n), parameters: { ...DEFAULT_FIT_PARAMETERS, maxItems: 1 } },
        new SeededRandomSource(1),
      ),
    ).toThrow('maxItems is 1, expected an integer 2..2000');
    expect(() => rhoForEpsilon(0, 1e-6)).toThrow('epsilon is 0, expected a number > 0');
  });

  it('the non-private reference uses the exact statistics and is never written to a file', () => {
    const exact = fitExact(
      stores.flatMap((s) => s.shoppers),
      chain.catalog,
    );
    expect(exact.dense).toBeDefined();
    expect(() => modelDocument(exact, {} as ModelMetadata)).toThrow('never written');
  });
});

describe('model documents', () => {
  const result = fitStores(stores, chain.catalog, { rho: rhoForEpsilon(8, 1e-6) }, new SeededRandomSource('doc-1'));
  const meta: ModelMetadata = {
    version: 3,
    modelId: 'model-test-v3',
    createdAt: '2026-01-01T00:00:00.000Z',
    period: { label: '2025-01-01..2025-06-30', start: '2025-01-01 00:00', end: '2025-06-30 00:00' },
    privacy: { unit: 'shopper-period', rho: '1/40', epsilon: 2, delta: 1e-6, rounds: [] },
    parameters: { maxItems: 500 },
    provenance: { stores: 4, storeIds: ['s1'], releaseIds: [], source: 'test', tool: 'vitest' },
  };

  it('round-trip through JSON with the model intact (8 significant digits)', () => {
    expect(result.model.rank, 'seed doc-1').toBeGreaterThan(0);
    const text = JSON.stringify(modelDocument(result.model, meta));
    const { model, document } = parseModelDocument(text);
    expect(document.version).toBe(3);
    expect(model.items).toEqual(result.model.items);
    expect(model.rank).toBe(result.model.rank);
    model.factors.forEach((f, i) => expect(f).toBeCloseTo(result.model.factors[i] as number, 6));
  });

  it('refuse an inconsistent or foreign body, naming the problem', () => {
    const doc = modelDocument(result.model, meta);
    expect(() => parseModelDocument(JSON.stringify({ ...doc, weights: [] }))).toThrow(
      `/weights has 0 values, expected ${result.model.rank}`,
    );
    expect(() => parseModelDocument(JSON.stringify({ ...doc, format: 'other' }))).toThrow(
      'is format "other" v1, expected "hushpoint-item-model" v1',
    );
    expect(() => parseModelDocument('{')).toThrow('is not JSON');
    const catalog = buildCatalog(['1']);
    expect(catalog.codes).toEqual(['1']);
  });
});
