import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseTopic } from '../../shared/protocol/topics.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { storeId } from '../../scripts/sim/chain/core/chain-model.ts';
import { simulateChain } from '../../scripts/sim/chain/chain.ts';
import { startTestMosquitto, type TestMosquitto } from '../../scripts/dev/mosquitto.ts';
import { hushpoint } from '../helpers/cli.ts';
import { testPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { KINDS, sentTotals, storedTotals, until } from './hq-chain-fixtures.ts';
import { startTestHq, type TestHq } from './hq-fixtures.ts';

/**
 * `hushpoint sim chain --stores 50 --days 7` through Debian's Mosquitto (TLS, a password per
 * store, the ACL HQ generates) into HQ on PostgreSQL with two consumers on the MQTT 5 shared
 * subscription: every release arrives exactly once, byte for byte, and HQ's totals are the sums
 * of what the stores sent. Then the broker's ACL and HQ's quarantine against a misbehaving store.
 */

const STORES = Array.from({ length: 50 }, (_, i) => storeId(i));
const SIM = {
  stores: 50,
  days: 7,
  seed: 'chain-e2e',
  start: { y: 2026, m: 11, d: 2 },
  timeZone: 'Europe/Berlin',
} as const;
const CHAIN = simulateChain(SIM);

let postgres: TestPostgres;
let broker: TestMosquitto;
let first: TestHq;
let second: TestHq;
const dirs: string[] = [];

beforeAll(async () => {
  postgres = await testPostgres();
  broker = await startTestMosquitto({ stores: STORES, rng: new SeededRandomSource('broker-passwords') });
  const url = await postgres.database();
  const mqttSection = (consumerId: string) => ({
    url: broker.url,
    caFile: broker.caFile,
    username: broker.files.consumer.username,
    passwordFile: broker.files.consumer.passwordFile,
    consumerId,
    connections: 8,
  });
  first = await startTestHq({ chain: CHAIN, postgresUrl: url, mqtt: mqttSection('hq-a') });
  second = await startTestHq({ chain: CHAIN, postgresUrl: url, mqtt: mqttSection('hq-b'), serve: false });
  dirs.push(first.dir, second.dir);
  await until(async () => first.hq.consumer!.status().connected === 8 && second.hq.consumer!.status().connected === 8, {
    ms: 15_000,
    describe: () => `connections ${first.hq.consumer!.status().connected} + ${second.hq.consumer!.status().connected}`,
  });
});

afterAll(async () => {
  await first?.stop();
  await second?.stop();
  await broker?.stop();
  await postgres?.stop();
});

describe('a chain of 50 stores over Mosquitto into HQ', () => {
  it('delivers every release of `hushpoint sim chain --stores 50 --days 7` exactly once, byte for byte', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hp-chain-'));
    dirs.push(out);
    const run = await hushpoint(
      [
        'sim',
        'chain',
        '--stores',
        '50',
        '--days',
        '7',
        '--seed',
        SIM.seed,
        '--start',
        '2026-11-02',
        '--broker',
        broker.url,
        '--ca',
        broker.caFile,
        '--credentials',
        join(broker.files.dir, 'stores'),
        '--json',
      ],
      { timeoutMs: 120_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { releases: number; sent: number; refused: number };
    expect(report).toMatchObject({ releases: CHAIN.releases.length, sent: CHAIN.releases.length, refused: 0 });
    const store = first.hq.store;
    await until(async () => (await store.counts()).releases === CHAIN.releases.length, {
      ms: 60_000,
      describe: async () => JSON.stringify(await store.counts()),
    });
    const counts = await store.counts();
    expect(counts).toMatchObject({ releases: CHAIN.releases.length, quarantined: 0 });
    // Both consumers took a share of the stream.
    expect(first.hq.consumer!.status().received).toBeGreaterThan(CHAIN.releases.length / 5);
    expect(second.hq.consumer!.status().received).toBeGreaterThan(CHAIN.releases.length / 5);
    const stored = await store.listReleases();
    const byId = new Map(stored.map((r) => [`${r.store}|${r.releaseId}`, r]));
    for (const r of CHAIN.releases) {
      const s = byId.get(`${r.store}|${r.releaseId}`);
      expect(s?.body.equals(r.body), `${r.store} ${r.releaseId}`).toBe(true);
      expect(s?.source).toBe('mqtt');
    }
    expect(await storedTotals(store, KINDS)).toEqual(sentTotals(CHAIN.releases));
  });

  it("refuses a store publishing under another store's topic (broker ACL) and quarantines lies and junk", async () => {
    const password = broker.files.stores.get('store-001') as string;
    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: 'store-001-misbehaving',
      username: 'store-001',
      password,
      ca: broker.caPem,
    });
    try {
      const theirs = CHAIN.releases.find((r) => r.store === 'store-002') as (typeof CHAIN.releases)[number];
      await expect(client.publishAsync(theirs.topic, theirs.body, { qos: 1 })).rejects.toMatchObject({ code: 135 });
      const before = await first.hq.store.counts();
      // Its own topic, another store's release inside: refused by HQ (AUTH_FORBIDDEN), acknowledged.
      await client.publishAsync(releaseTopic('store-001', theirs.kind), theirs.body, { qos: 1 });
      await client.publishAsync(releaseTopic('store-001', 'footfall'), Buffer.from('{"v":2,"store":"store-001"'), {
        qos: 1,
      });
      await until(async () => (await first.hq.store.counts()).quarantined === before.quarantined + 2, {
        ms: 10_000,
        describe: async () => JSON.stringify(await first.hq.store.counts()),
      });
      const entries = await first.hq.store.quarantined({ limit: 2 });
      expect(entries.map((e) => e.code).sort()).toEqual(['AUTH_FORBIDDEN', 'PROTO_BAD_PAYLOAD']);
      expect(entries.find((e) => e.code === 'AUTH_FORBIDDEN')?.reason).toMatch(
        /names store "store-002" but came from store "store-001"/,
      );
      expect(entries.every((e) => e.topic?.startsWith('hushpoint/v1/store-001/releases/'))).toBe(true);
      expect((await first.hq.store.counts()).releases).toBe(before.releases);
    } finally {
      await client.endAsync();
    }
    const wrong = await mqtt
      .connectAsync(broker.url, {
        protocolVersion: 5,
        username: 'store-001',
        password: 'guess',
        ca: broker.caPem,
        reconnectPeriod: 0,
      })
      .then(
        (c) => c.endAsync().then(() => 'connected'),
        (error: { code?: number }) => error.code,
      );
    expect(wrong).toBe(135); // CONNACK "not authorized": Mosquitto 2 answers a wrong password so under MQTT 5
  });
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
