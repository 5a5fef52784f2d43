import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { readSignedModel } from '../../shared/recommend/adapters/model-file.ts';
import { parsePublicKey } from '../../shared/recommend/adapters/model-signing.ts';
import { buildCatalog } from '../../shared/recommend/mod.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { localDay, windowOfDay } from '../../shared/time/local-calendar.ts';
import { createReleaseService } from '../../hub/privacy/release-service.ts';
import { addShoppers, openTestDb, privacyConfig, upstreamConfig, type TestDb } from './releases-fixtures.ts';

/**
 * `hushpoint recommend keygen` and `hushpoint hq pool-models` as processes: a hub's item
 * statistics of a period, imported into HQ's SQLite with `hq import`, pooled into a signed model
 * that verifies with the generated public key (docs/hq.md §4a).
 */

const run = promisify(execFile);
const LAUNCHER = fileURLToPath(new URL('../../cli/hushpoint.mjs', import.meta.url));
const CODES = Array.from({ length: 40 }, (_, i) => `SKU${i}`);
const T0 = Date.UTC(2026, 3, 10);
const window = windowOfDay(localDay(T0, 'UTC'), 'period', 'quarter', 'UTC');
const dir = mkdtempSync(join(tmpdir(), 'hp-reco-hq-cli-'));
const open: TestDb[] = [];

afterAll(() => {
  for (const t of open) t.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [LAUNCHER, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

/** One store's two releases of the period, as the hub stores them (exact bytes). */
async function storeReleases(store: string, seed: string): Promise<Buffer[]> {
  const t = openTestDb();
  open.push(t);
  const rng = new SeededRandomSource(seed);
  const pks = addShoppers(t.db, 300, { prefix: store });
  const insert = t.db.prepare(
    "INSERT INTO offer_purchases (id, shopper_pk, at_ms, sku, category, source) VALUES (?, ?, ?, ?, 'grocery', 'pos')",
  );
  pks.forEach((pk, i) => {
    const taste = i % 2;
    for (let k = 0; k < 3; k++) insert.run(`${store}-${i}-${k}`, pk, T0, CODES[taste * 20 + (rng.nextUint32() % 20)]);
  });
  const service = createReleaseService({
    db: t.db,
    store,
    privacy: privacyConfig({
      budget: { periodRho: 10 },
      releases: {
        ...Object.fromEntries(
          ['footfall', 'visits', 'dwell', 'repeat', 'transitions', 'syntheticVisits'].map((k) => [
            k,
            { enabled: false },
          ]),
        ),
        itemStatistics: { enabled: true, rho: 8 },
      },
    }),
    upstream: upstreamConfig(),
    visitGapSeconds: 300,
    clock: new FakeClock(window.endMs + 7_200_000),
    random: rng,
    logger: silentLogger(),
    sender: null,
    firstWindowMs: window.startMs,
    itemStatistics: { catalog: buildCatalog(CODES), installedItems: () => null },
  });
  const report = await service.runDue(window.endMs + 7_200_000);
  expect(report.failed).toEqual([]);
  return ['item-supports', 'item-covariance'].map((kind) => {
    const record = service.releases.get(`${kind}:${window.label}`);
    if (record === null) throw new Error(`no ${kind}`);
    return record.body;
  });
}

describe('hushpoint hq pool-models (seeds "cli-a", "cli-b")', () => {
  it('pools imported item statistics into the next signed model version', async () => {
    const keygen = await cli('recommend', 'keygen', '--out', join(dir, 'model'));
    expect(keygen.code).toBe(0);
    for (const s of ['store-a', 'store-b'])
      writeFileSync(join(dir, `${s}.key`), `${'cd'.repeat(32)}\n`, { mode: 0o600 });
    const config = join(dir, 'hq.yaml');
    writeFileSync(
      config,
      'role: hq\ndatabase: hq.db\nlisten: { port: 0 }\nmodels: { dir: models, signingKeyFile: model.key.pem }\nstores:\n  - { id: store-a, signingKeyFile: store-a.key }\n  - { id: store-b, signingKeyFile: store-b.key }\nlog: { level: warn }\n',
    );
    const none = await cli('hq', 'pool-models', '--config', config);
    expect(none.code).toBe(65);
    expect(none.stdout).toMatch(/no item-supports releases received yet/);

    mkdirSync(join(dir, 'import', 'releases'), { recursive: true });
    for (const [store, seed] of [
      ['store-a', 'cli-a'],
      ['store-b', 'cli-b'],
    ] as const) {
      const bodies = await storeReleases(store, seed);
      writeFileSync(
        join(dir, 'import', 'releases', `${store}.jsonl`),
        `${bodies.map((b) => b.toString('utf8')).join('\n')}\n`,
      );
    }
    const imported = await cli('hq', 'import', '--config', config, join(dir, 'import'));
    expect(imported.stdout).toMatch(/stored 4, duplicates 0, quarantined 0/);

    const pooled = await cli('hq', 'pool-models', '--config', config, '--json');
    expect(pooled.code).toBe(0);
    expect(JSON.parse(pooled.stdout)).toMatchObject({
      status: 'published',
      version: 1,
      period: window.label,
      stores: 2,
    });
    expect(readdirSync(join(dir, 'models'))).toEqual(['1.model']);
    const key = parsePublicKey(readFileSync(join(dir, 'model.pub.pem'), 'utf8'), 'model.pub.pem');
    const { document } = readSignedModel(join(dir, 'models', '1.model'), key);
    expect(document.provenance.storeIds).toEqual(['store-a', 'store-b']);
    expect(document.period.label).toBe(window.label);
    expect(document.privacy.rounds.map((r) => r.metric)).toEqual(['itemSupport', 'itemCovariance']);

    const again = await cli('hq', 'pool-models', '--config', config, '--period', window.label);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/model version 1 of 2026-Q2 already pools these releases/);
  });

  it('says what is missing without a models section', async () => {
    const config = join(dir, 'plain.yaml');
    writeFileSync(config, 'role: hq\ndatabase: plain.db\nstores:\n  - { id: store-a, signingKeyFile: store-a.key }\n');
    const result = await cli('hq', 'pool-models', '--config', config);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/no models section, expected models: \{ dir, signingKeyFile \}/);
  });
});
