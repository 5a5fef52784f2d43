import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rational } from '../../shared/privacy/rational.ts';
import { generateModelKeyPair, signModelBody } from '../../shared/recommend/adapters/model-signing.ts';
import { buildCatalog, fitStores, modelDocument, type ShopperHistory } from '../../shared/recommend/mod.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { generateSigningKey } from '../../shared/upstream/signing.ts';
import { createHub, type Hub } from '../../hub/app.ts';
import { writeHubFiles } from '../helpers/hub-fixtures.ts';
import { addShoppers } from './releases-fixtures.ts';

/**
 * The hub's composition root wires the recommender (docs/recommender.md §11): the item statistics
 * release kinds with the catalog file, the installed model kept in recommend.modelDir and verified
 * with HQ's key, and the model's affinity in the offers ranking — which moves offers covering the
 * shopper's taste up, and changes nothing when recommend is off.
 */

const SEED = 'hub-model';
const CODES = Array.from({ length: 60 }, (_, i) => `SKU${i}`);
const NOW = Date.parse('2026-11-20T12:00:00Z');

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function strongModelText(privatePem: string): string {
  const rng = new SeededRandomSource(SEED);
  const shoppers: ShopperHistory[] = Array.from({ length: 1500 }, (_, i) => {
    const set = new Set<number>();
    while (set.size < 4) set.add((i % 3) * 20 + (rng.nextUint32() % 20));
    const items = Int32Array.from(set).sort();
    return { shopperId: `u${i}`, items, invoices: new Int32Array(items.length).fill(1) };
  });
  const fit = fitStores([{ store: 'chain', shoppers }], buildCatalog(CODES), { rho: rational(5n) }, rng);
  const document = modelDocument(fit.model, {
    version: 3,
    modelId: 'chain-2026-Q3-v3',
    createdAt: '2026-10-02T00:00:00Z',
    period: { label: '2026-Q3', start: '2026-07-01', end: '2026-10-01' },
    privacy: { unit: 'shopper-period', rho: '5', epsilon: 1, delta: 1e-6, rounds: [] },
    parameters: {},
    provenance: { stores: 1, storeIds: ['chain'], releaseIds: [], source: 'test', tool: 'test' },
  });
  return signModelBody(JSON.stringify(document), createPrivateKey(privatePem));
}

async function hubWith(recommend: boolean): Promise<Hub> {
  const dir = mkdtempSync(join(tmpdir(), 'hp-reco-hub-'));
  const keys = generateModelKeyPair();
  writeFileSync(join(dir, 'hq-model.pub.pem'), keys.publicPem);
  writeFileSync(join(dir, 'store.key'), `${generateSigningKey(new SeededRandomSource('store'))}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'catalog.txt'), `# the chain's item codes\n${CODES.join('\n')}\n`);
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'models', 'current.model'), strongModelText(keys.privatePem));
  const offer = (id: string, t: number) => ({
    id,
    title: id,
    category: 'grocery',
    zones: ['bakery'],
    validFrom: '2026-11-01T00:00:00Z',
    validTo: '2026-12-01T00:00:00Z',
    items: CODES.slice(t * 20 + 10, t * 20 + 20),
  });
  writeFileSync(
    join(dir, 'offers.yaml'),
    JSON.stringify({ offers: [offer('taste-0', 0), offer('taste-1', 1), offer('taste-2', 2)] }),
  );
  const files = writeHubFiles(
    {
      privacy: { releases: { itemStatistics: { enabled: true, catalogFile: 'catalog.txt' } } },
      upstream: { signingKeyFile: 'store.key' },
      offers: { catalogFile: 'offers.yaml' },
      recommend: {
        enabled: recommend,
        modelDir: 'models',
        hqPublicKeyFile: 'hq-model.pub.pem',
        fetch: { url: 'https://127.0.0.1:9/v1/models/latest' },
      },
    },
    dir,
  );
  const hub = createHub({ config: files.config, resolvePath: (p) => (p.startsWith('/') ? p : join(dir, p)) });
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  await hub.start();
  cleanup.push(() => hub.stop());
  return hub;
}

function buyer(hub: Hub, skus: readonly string[]): number {
  const [pk] = addShoppers(hub.db, 1, { prefix: `buyer-${skus.join('-')}` }) as [number];
  const insert = hub.db.prepare(
    "INSERT INTO offer_purchases (id, shopper_pk, at_ms, sku, category, source) VALUES (?, ?, ?, ?, 'grocery', 'pos')",
  );
  skus.forEach((sku, i) => insert.run(`buy-${pk}-${i}`, pk, NOW - 86_400_000, sku));
  return pk;
}

describe(`the recommender in the hub (model seed "${SEED}")`, () => {
  it('registers the item statistics kinds and uses the installed model in the offers ranking', async () => {
    const hub = await hubWith(true);
    expect(hub.privacy.kinds()).toEqual(
      expect.arrayContaining([
        { kind: 'item-supports', window: 'period' },
        { kind: 'item-covariance', window: 'period' },
      ]),
    );
    expect(hub.recommend.installed()?.document.version).toBe(3);
    expect(hub.recommend.installedItems()?.length).toBeGreaterThanOrEqual(20);
    expect(hub.recommend.schedules()).toEqual([{ name: 'model-fetch', expression: '41 * * * *', timezone: 'UTC' }]);
    // A shopper of taste 2 and one of taste 1: the offer covering their taste comes first.
    expect(hub.offers.ranking(buyer(hub, ['SKU40', 'SKU41', 'SKU42']), 'bakery', NOW)[0]).toBe('taste-2');
    expect(hub.offers.ranking(buyer(hub, ['SKU20', 'SKU21', 'SKU22']), 'bakery', NOW)[0]).toBe('taste-1');
  });

  it('ranks exactly as before when recommend is off', async () => {
    const hub = await hubWith(false);
    expect(hub.recommend.installed()).toBeNull();
    const pk = buyer(hub, ['SKU40', 'SKU41', 'SKU42']);
    // Equal scores without the model: catalog order.
    expect(hub.offers.ranking(pk, 'bakery', NOW)).toEqual(['taste-0', 'taste-1', 'taste-2']);
  });
});
