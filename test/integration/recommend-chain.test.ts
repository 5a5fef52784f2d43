import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../shared/config/load-config.ts';
import { checkOpenApiDocument } from '../../shared/testing/openapi-check.ts';
import { createLogger, silentLogger, type Logger } from '../../shared/ports/logger.ts';
import { FakeClock, systemClock } from '../../shared/ports/clock.ts';
import { generateModelKeyPair, signModelBody } from '../../shared/recommend/adapters/model-signing.ts';
import { buildCatalog } from '../../shared/recommend/mod.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { localDay, windowOfDay } from '../../shared/time/local-calendar.ts';
import { createStoreCa, issueServerCertificate } from '../../shared/tls/certificates.ts';
import { generateSigningKey, parseSigningKey } from '../../shared/upstream/signing.ts';
import { createHq, hqRole, type Hq, type HqConfig } from '../../hq/mod.ts';
import { createHttpsSender } from '../../hub/privacy/adapters/https-sender.ts';
import { createReleaseService } from '../../hub/privacy/release-service.ts';
import {
  createModelService,
  createOfferAffinity,
  RecommendSection,
  type ModelService,
  type RecommendConfig,
} from '../../hub/recommend/mod.ts';
import { compileValidator } from '../../shared/validation.ts';
import { testPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { addShoppers, openTestDb, privacyConfig, upstreamConfig, type TestDb } from './releases-fixtures.ts';

/**
 * The recommender's whole path across processes' parts (docs/recommender.md, docs/hq.md): two
 * hubs (real SQLite) release item-supports and item-covariance for a period, send them over real
 * HTTPS to a real HQ (PostgreSQL when HUSHPOINT_TEST_PG_URL is set, SQLite otherwise), HQ pools
 * them into a signed model, and a hub fetches it over HTTPS, verifies and installs it; a
 * tampered, foreign-key or older model is refused and the last good model kept.
 */

const SEEDS = { storeA: 'chain-a', storeB: 'chain-b' };
const TASTES = 3;
const PER_TASTE = 20;
const CODES = Array.from({ length: TASTES * PER_TASTE }, (_, i) => `SKU${String(i).padStart(3, '0')}`);
const T0 = Date.UTC(2026, 3, 5); // 2026-Q2, long over
const window = windowOfDay(localDay(T0, 'UTC'), 'period', 'quarter', 'UTC');
const DUE = window.endMs + 2 * 3600_000;

interface Hub {
  readonly id: string;
  readonly t: TestDb;
  readonly keyFile: string;
}

let dir: string;
let hq: Hq;
let url: string;
let pg: TestPostgres | null = null;
const hubs: Hub[] = [];
let modelKey: ReturnType<typeof generateModelKeyPair>;
const warnings: Array<Record<string, unknown>> = [];

/** A real pino logger whose warnings land in `warnings` (JSON lines parsed). */
function recordingLogger(): Logger {
  return createLogger({
    level: 'warn',
    destination: {
      write(line: string) {
        warnings.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
}

/** Shopper i of a store has taste (i mod 3) and buys 4 items of it (chosen by a seeded draw). */
function seedPurchases(t: TestDb, seed: string, shoppers: number): void {
  const rng = new SeededRandomSource(seed);
  const pks = addShoppers(t.db, shoppers, { prefix: seed });
  const insert = t.db.prepare(
    "INSERT INTO offer_purchases (id, shopper_pk, at_ms, sku, category, source) VALUES (?, ?, ?, ?, 'grocery', 'pos')",
  );
  t.db.transaction(() => {
    pks.forEach((pk, i) => {
      const taste = i % TASTES;
      const chosen = new Set<number>();
      while (chosen.size < 4) chosen.add(taste * PER_TASTE + (rng.nextUint32() % PER_TASTE));
      let k = 0;
      for (const item of chosen) insert.run(`${seed}-${i}-${k++}`, pk, T0 + i * 60_000, CODES[item]);
    });
  })();
}

async function startHq(): Promise<void> {
  const ca = createStoreCa('hq-test');
  const server = issueServerCertificate(ca, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  writeFileSync(join(dir, 'hq.crt'), server.certPem);
  writeFileSync(join(dir, 'hq.key'), server.keyPem, { mode: 0o600 });
  modelKey = generateModelKeyPair();
  writeFileSync(join(dir, 'model.key'), modelKey.privatePem, { mode: 0o600 });
  writeFileSync(join(dir, 'model.pub.pem'), modelKey.publicPem);
  const pgUrl = process.env.HUSHPOINT_TEST_PG_URL;
  if (pgUrl !== undefined && pgUrl !== '') {
    pg = await testPostgres();
    writeFileSync(join(dir, 'postgres.url'), `${await pg.database()}\n`, { mode: 0o600 });
  }
  const document = {
    role: 'hq',
    database: 'hq.db',
    ...(pg !== null ? { postgres: { urlFile: 'postgres.url', poolSize: 2 } } : {}),
    listen: { host: '127.0.0.1', port: 0, certFile: 'hq.crt', keyFile: 'hq.key' },
    models: { dir: 'models', signingKeyFile: 'model.key' },
    stores: hubs.map((h) => ({ id: h.id, signingKeyFile: h.keyFile })),
    log: { level: 'silent' },
  };
  const checked = validateConfig(hqRole, document);
  if (!checked.ok) throw new Error(`HQ config invalid: ${JSON.stringify(checked.problems)}`);
  hq = createHq({ config: checked.config as HqConfig, resolvePath: (p) => (p.startsWith('/') ? p : join(dir, p)) });
  const port = await hq.start();
  url = `https://127.0.0.1:${port}`;
}

function hubModels(hub: Hub, logger: Logger = silentLogger()): ModelService {
  const config = compileValidator<RecommendConfig>(RecommendSection, { useDefaults: true })({
    enabled: true,
    modelDir: join(hub.t.dir, 'models'),
    hqPublicKeyFile: join(dir, 'model.pub.pem'),
    fetch: { url: `${url}/v1/models/latest` },
  });
  if (!config.ok) throw new Error('recommend config invalid');
  return createModelService({
    config: config.value,
    store: hub.id,
    upstream: { url: `${url}/v1/releases`, caFile: join(dir, 'ca.pem'), signingKeyFile: hub.keyFile },
    timeZone: 'UTC',
    resolvePath: (p) => p,
    clock: systemClock,
    logger,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hp-reco-chain-'));
  for (const [id, seed] of [
    ['store-a', SEEDS.storeA],
    ['store-b', SEEDS.storeB],
  ] as const) {
    const t = openTestDb();
    const keyFile = join(dir, `${id}.key`);
    writeFileSync(keyFile, `${generateSigningKey(new SeededRandomSource(`key-${id}`))}\n`, { mode: 0o600 });
    seedPurchases(t, seed, 400);
    hubs.push({ id, t, keyFile });
  }
  await startHq();
}, 60_000);

afterAll(async () => {
  await hq?.stop();
  await pg?.stop();
  for (const h of hubs) h.t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`recommender chain (seeds ${JSON.stringify(SEEDS)}, ${process.env.HUSHPOINT_TEST_PG_URL ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('two hubs release and send; HQ pools them into a signed model with structure', async () => {
    for (const [i, hub] of hubs.entries()) {
      const service = createReleaseService({
        db: hub.t.db,
        store: hub.id,
        privacy: privacyConfig({
          budget: { period: 'quarter', periodRho: 10 },
          releases: {
            ...Object.fromEntries(
              ['footfall', 'visits', 'dwell', 'repeat', 'transitions', 'syntheticVisits'].map((k) => [
                k,
                { enabled: false },
              ]),
            ),
            itemStatistics: { enabled: true, rho: 10 },
          },
        }),
        upstream: upstreamConfig({ enabled: true, url: `${url}/v1/releases`, signingKeyFile: hub.keyFile }),
        visitGapSeconds: 300,
        clock: new FakeClock(DUE),
        random: new SeededRandomSource(Object.values(SEEDS)[i] as string),
        logger: silentLogger(),
        firstWindowMs: window.startMs,
        itemStatistics: { catalog: buildCatalog(CODES), installedItems: () => null },
        sender: createHttpsSender({
          url: `${url}/v1/releases`,
          store: hub.id,
          key: parseSigningKey(readFileSync(hub.keyFile, 'utf8'), hub.keyFile),
          ca: readFileSync(join(dir, 'ca.pem')),
          timeoutMs: 10_000,
        }),
      });
      const report = await service.runDue(DUE);
      expect(report.failed).toEqual([]);
      expect(report.computed).toEqual([`item-supports:${window.label}`, `item-covariance:${window.label}`]);
      const sync = await service.syncUpstream(Date.now());
      expect(sync).toMatchObject({ sent: 2 });
    }
    const stored = await hq.store.listReleases({ budgetPeriod: window.label });
    expect(stored.map((r) => `${r.store} ${r.kind}`).sort()).toEqual([
      'store-a item-covariance',
      'store-a item-supports',
      'store-b item-covariance',
      'store-b item-supports',
    ]);
    const models = hq.models;
    if (models === null) throw new Error('HQ has no model publisher');
    const outcome = await models.publish();
    expect(outcome).toMatchObject({ status: 'published', version: 1, period: window.label, stores: 2 });
    if (outcome.status !== 'published') return;
    // Three planted tastes: the pooled model keeps components above the noise edge.
    expect(outcome.rank).toBeGreaterThanOrEqual(1);
    expect(outcome.blend).toBeGreaterThan(0.5);
    // Same releases again: nothing new to publish.
    expect(await models.publish()).toMatchObject({ status: 'unchanged', version: 1 });
  });

  it('refuses a malformed item statistics release at ingest over HTTPS, naming the problem', async () => {
    const hub = hubs[0] as Hub;
    const record = hub.t.db.prepare("SELECT body FROM privacy_releases WHERE kind = 'item-supports'").get() as {
      body: Buffer;
    };
    const payload = JSON.parse(record.body.toString('utf8')) as {
      release: string;
      measures: Array<{ granularity: string }>;
    };
    payload.release = `item-supports:${window.label}.bad`;
    payload.measures[0]!.granularity = '1/1024';
    const sender = createHttpsSender({
      url: `${url}/v1/releases`,
      store: hub.id,
      key: parseSigningKey(readFileSync(hub.keyFile, 'utf8'), hub.keyFile),
      ca: readFileSync(join(dir, 'ca.pem')),
      timeoutMs: 10_000,
    });
    const result = await sender.send(
      { releaseId: payload.release, kind: 'item-supports', body: Buffer.from(JSON.stringify(payload)) },
      Date.now(),
    );
    expect(result).toMatchObject({ ok: false, permanent: true, status: 400 });
    if (!result.ok)
      expect(result.message).toMatch(
        /PROTO_BAD_PAYLOAD: .*item statistics release: .*granularity 1\/1024, expected 1\/65536/,
      );
    expect(await hq.store.getRelease(hub.id, payload.release)).toBeNull();
  });

  it('a hub fetches the model over HTTPS, installs it, and keeps it against tampered, foreign and older models', async () => {
    const hub = hubs[0] as Hub;
    warnings.length = 0;
    const service = hubModels(hub, recordingLogger());
    expect(service.installed()).toBeNull();
    expect(await service.fetchNow()).toMatchObject({ status: 'installed', version: 1 });
    expect(service.installedItems()?.length).toBeGreaterThanOrEqual(20);
    expect(await service.fetchNow()).toEqual({ status: 'unchanged' });

    const models = join(dir, 'models');
    const good = JSON.parse(readFileSync(join(models, '1.model'), 'utf8')) as { body: string };
    const body = JSON.parse(good.body) as { version: number; blend: number; modelId: string };
    // A changed body under the old signature.
    const tampered = { ...good, body: JSON.stringify({ ...body, version: 2, blend: 1 }) };
    writeFileSync(join(models, '2.model'), `${JSON.stringify(tampered)}\n`);
    expect(await service.fetchNow()).toMatchObject({ status: 'refused', code: 'RECO_MODEL_SIGNATURE' });
    // A well-formed model signed by another key.
    const { createPrivateKey } = await import('node:crypto');
    const other = generateModelKeyPair();
    writeFileSync(
      join(models, '3.model'),
      signModelBody(JSON.stringify({ ...body, version: 3 }), createPrivateKey(other.privatePem)),
    );
    expect(await service.fetchNow()).toMatchObject({ status: 'refused', code: 'RECO_MODEL_SIGNATURE' });
    // HQ's own key, but an older version than the installed one (a replay).
    writeFileSync(
      join(models, '4.model'),
      signModelBody(
        JSON.stringify({ ...body, version: 1, modelId: 'replayed' }),
        createPrivateKey(modelKey.privatePem),
      ),
    );
    expect(await service.fetchNow()).toMatchObject({ status: 'refused', code: 'RECO_MODEL_INVALID' });
    expect(service.installed()?.document.version).toBe(1);
    expect(service.installed()?.document.modelId).toBe(body.modelId);
    expect(warnings.filter((w) => w.code !== undefined).map((w) => w.code)).toEqual([
      'RECO_MODEL_SIGNATURE',
      'RECO_MODEL_SIGNATURE',
      'RECO_MODEL_INVALID',
    ]);
    // A new hub process reads the kept model from its folder.
    expect(hubModels(hub).installed()?.document.version).toBe(1);
    for (const v of [2, 3, 4]) rmSync(join(models, `${v}.model`));
  });

  it("documents the model endpoints in HQ's OpenAPI document", async () => {
    const { get } = await import('node:https');
    const text = await new Promise<string>((resolve, reject) => {
      get(`${url}/openapi.json`, { ca: readFileSync(join(dir, 'ca.pem')) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      }).on('error', reject);
    });
    const document = JSON.parse(text) as { paths: Record<string, unknown> };
    expect(checkOpenApiDocument(document, hq.http?.routes ?? [])).toEqual([]);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/models/latest', '/v1/models/{version}']));
  });

  it('a store credential is required for the model endpoint', async () => {
    const hub = hubs[1] as Hub;
    const wrongKey = join(dir, 'wrong.key');
    writeFileSync(wrongKey, `${generateSigningKey(new SeededRandomSource('wrong'))}\n`);
    const service = hubModels({ ...hub, keyFile: wrongKey });
    expect(await service.fetchNow()).toMatchObject({ status: 'failed', message: expect.stringMatching(/401/) });
    expect(service.installed()).toBeNull();
  });

  it("the installed model moves a shopper's offer affinity toward offers covering their taste", async () => {
    const hub = hubs[1] as Hub;
    const service = hubModels(hub);
    expect(await service.fetchNow()).toMatchObject({ status: 'installed' });
    const source = createOfferAffinity({ model: () => service.installed(), weight: 2 });
    const offers = Array.from({ length: TASTES }, (_, t) => ({
      items: CODES.slice(t * PER_TASTE + 10, t * PER_TASTE + 20),
    }));
    const catalog = { offers } as unknown as Parameters<typeof source>[2];
    // A shopper who bought taste 1's first items only.
    const purchases = CODES.slice(PER_TASTE, PER_TASTE + 3).map((sku, i) => ({
      id: `p${i}`,
      sku,
      category: 'grocery',
      brand: null,
      atMs: 0,
    }));
    const signals = {
      preferences: { categories: [], brands: [], sizes: [] },
      purchases,
      exclusions: [],
      dismissedOfferIds: [],
      redeemedOfferIds: [],
    };
    const affinity = source(1, signals, catalog);
    expect(affinity).not.toBeNull();
    const scores = Array.from(affinity?.scores ?? []);
    expect(scores[1]).toBeGreaterThan(scores[0] as number);
    expect(scores[1]).toBeGreaterThan(scores[2] as number);
    expect(affinity?.weight).toBeGreaterThan(0);
    // Cached: the same object for the same purchases and model.
    expect(source(1, signals, catalog)).toBe(affinity);
  });
});
