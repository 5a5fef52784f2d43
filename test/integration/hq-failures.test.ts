import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { openPostgresStore, type HqStore } from '../../hq/mod.ts';
import { publishReleases, type PublishReport } from '../../scripts/sim/chain/adapters/mqtt-publisher.ts';
import { simulateChain, type SimulatedRelease } from '../../scripts/sim/chain/chain.ts';
import { startTestMosquitto, type TestMosquitto } from '../../scripts/dev/mosquitto.ts';
import { testPostgres, type TestPostgres } from '../helpers/postgres.ts';
import {
  KINDS,
  leaveConsumer,
  sentTotals,
  startConsumerProcess,
  storedTotals,
  until,
  writeHqYaml,
} from './hq-chain-fixtures.ts';
import { startTestHq, type TestHq } from './hq-fixtures.ts';

/**
 * HQ under failure, on real Mosquitto and PostgreSQL: one of two consumers killed mid-stream (and
 * a third added under load), the broker restarted, PostgreSQL restarted, a store replaying a
 * week. Each time: no release lost, none double-counted (duplicates are counted, never stored),
 * and HQ's totals equal the sums of what the stores sent.
 */

const CHAIN = simulateChain({
  stores: 10,
  days: 14,
  seed: 'hq-failures',
  start: { y: 2026, m: 11, d: 2 },
  timeZone: 'Europe/Berlin',
});
const N = CHAIN.releases.length;
const STORES = CHAIN.stores.map((s) => s.id);

let postgres: TestPostgres;
const cleanup: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  // Its own cluster: this file restarts PostgreSQL.
  postgres = await testPostgres({ ownCluster: true });
});
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  await postgres?.stop();
});

async function broker(seed: string): Promise<TestMosquitto> {
  const b = await startTestMosquitto({ stores: STORES, rng: new SeededRandomSource(seed) });
  cleanup.push(() => b.stop());
  return b;
}

function publish(b: TestMosquitto, releases: readonly SimulatedRelease[] = CHAIN.releases): Promise<PublishReport> {
  return publishReleases(releases, {
    url: b.url,
    ca: b.caPem,
    passwordOf: (s) => b.files.stores.get(s) as string,
    inFlight: 4,
    timeoutMs: 5000,
  });
}

async function consumers(b: TestMosquitto, url: string, ids: string[]): Promise<TestHq[]> {
  const started: TestHq[] = [];
  for (const id of ids) {
    const hq = await startTestHq({
      chain: CHAIN,
      postgresUrl: url,
      serve: id === ids[0],
      consumerId: id,
      mqtt: {
        url: b.url,
        caFile: b.caFile,
        username: b.files.consumer.username,
        passwordFile: b.files.consumer.passwordFile,
        connections: 8,
      },
    });
    cleanup.push(() => hq.stop());
    started.push(hq);
  }
  return started;
}

async function expectEveryReleaseOnce(
  store: HqStore,
  releases: readonly SimulatedRelease[] = CHAIN.releases,
): Promise<void> {
  await until(async () => (await store.counts()).releases === releases.length, {
    ms: 60_000,
    describe: async () => `expected ${releases.length}: ${JSON.stringify(await store.counts())}`,
  });
  const counts = await store.counts();
  expect(counts).toMatchObject({ releases: releases.length, quarantined: 0 });
  const stored = new Map((await store.listReleases()).map((r) => [`${r.store}|${r.releaseId}`, r.body]));
  for (const r of releases) expect(stored.get(`${r.store}|${r.releaseId}`)?.equals(r.body), r.releaseId).toBe(true);
  expect(await storedTotals(store, KINDS)).toEqual(sentTotals(releases));
}

async function whenStored(store: HqStore, share: number): Promise<void> {
  await until(async () => (await store.counts()).releases >= N * share, {
    ms: 30_000,
    describe: async () => JSON.stringify(await store.counts()),
  });
}

describe('HQ under failure (real Mosquitto and PostgreSQL)', () => {
  it('kills one of two consumer processes mid-stream, adds a third under load, restarts the killed one: nothing lost', async () => {
    const b = await broker('kill');
    const url = await postgres.database();
    const dir = mkdtempSync(join(tmpdir(), 'hp-hq-kill-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = writeHqYaml(dir, { chain: CHAIN, broker: b, postgresUrl: url });
    const c1 = await startConsumerProcess(config, 'c1');
    let c2 = await startConsumerProcess(config, 'c2');
    cleanup.push(
      () => c1.kill(),
      () => c2.kill(),
    );
    const store = await openPostgresStore(url);
    cleanup.push(() => store.close());
    const sending = publish(b);
    await whenStored(store, 0.25);
    await c2.kill('SIGKILL');
    const c3 = await startConsumerProcess(config, 'c3');
    cleanup.push(() => c3.kill());
    const report = await sending;
    expect(report).toMatchObject({ sent: N, refused: [] });
    // c2's sessions hold its share until it is back under the same id.
    c2 = await startConsumerProcess(config, 'c2');
    await expectEveryReleaseOnce(store);
  });

  it('removes a consumer for good (--leave): it stores what its sessions held first, then the others get everything', async () => {
    const b = await broker('leave');
    const url = await postgres.database();
    const dir = mkdtempSync(join(tmpdir(), 'hp-hq-leave-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = writeHqYaml(dir, { chain: CHAIN, broker: b, postgresUrl: url, connections: 4 });
    const c1 = await startConsumerProcess(config, 'l1');
    const c2 = await startConsumerProcess(config, 'l2');
    cleanup.push(
      () => c1.kill(),
      () => c2.kill(),
    );
    const store = await openPostgresStore(url);
    cleanup.push(() => store.close());
    const third = Math.floor(N / 3);
    expect(await publish(b, CHAIN.releases.slice(0, third))).toMatchObject({ sent: third, refused: [] });
    await c2.kill('SIGTERM'); // stopped: its sessions keep receiving their share
    expect(await publish(b, CHAIN.releases.slice(third, 2 * third))).toMatchObject({ refused: [] });
    const left = await leaveConsumer(config, 'l2');
    expect(left).toMatch(/hq consumer l2 left the group after storing \d+ releases/);
    expect(Number(/storing (\d+) releases/.exec(left)?.[1])).toBeGreaterThan(0);
    // From now on the group is l1 alone: nothing may wait in l2's ended sessions.
    expect(await publish(b, CHAIN.releases.slice(2 * third))).toMatchObject({ refused: [] });
    await expectEveryReleaseOnce(store);
  });

  it('restarts the broker mid-stream: stores and consumers reconnect, sessions survive, nothing lost', async () => {
    const b = await broker('restart-broker');
    const url = await postgres.database();
    const [hq] = await consumers(b, url, ['rb-1', 'rb-2']);
    const sending = publish(b);
    await whenStored(hq!.hq.store, 0.25);
    await b.restart();
    const report = await sending;
    expect(report).toMatchObject({ sent: N, refused: [] });
    await expectEveryReleaseOnce(hq!.hq.store);
  });

  it('restarts PostgreSQL mid-stream: writes are retried until it is back, nothing acknowledged is lost', async () => {
    const b = await broker('restart-postgres');
    const url = await postgres.database();
    const [hq] = await consumers(b, url, ['rp-1', 'rp-2']);
    const sending = publish(b);
    await whenStored(hq!.hq.store, 0.25);
    await postgres.cluster!.stopServer();
    await new Promise((resolve) => setTimeout(resolve, 1500)); // an outage, not a blip
    await postgres.cluster!.startServer();
    const report = await sending;
    expect(report).toMatchObject({ sent: N, refused: [] });
    await expectEveryReleaseOnce(hq!.hq.store);
    const metrics = await (await fetch(`${hq!.url}/metrics`)).text();
    expect(Number(/hq_write_retries_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
  });

  it('a store replays a week: every copy is a counted duplicate, the totals do not move', async () => {
    const b = await broker('replay');
    const url = await postgres.database();
    const [hq] = await consumers(b, url, ['rw-1', 'rw-2']);
    expect(await publish(b)).toMatchObject({ sent: N, refused: [] });
    await expectEveryReleaseOnce(hq!.hq.store);
    const before = await hq!.hq.store.counts();
    const monday = Date.parse('2026-11-09T00:00:00+01:00') / 1000;
    const week = CHAIN.releases.filter((r) => r.store === 'store-003' && r.windowEnd <= monday);
    expect(week.length).toBeGreaterThan(100);
    expect(await publish(b, week)).toMatchObject({ sent: week.length, refused: [] });
    await until(async () => (await hq!.hq.store.counts()).duplicates >= before.duplicates + week.length, {
      ms: 30_000,
      describe: async () => JSON.stringify(await hq!.hq.store.counts()),
    });
    expect(await hq!.hq.store.counts()).toEqual({
      releases: N,
      duplicates: before.duplicates + week.length,
      quarantined: 0,
    });
    await expectEveryReleaseOnce(hq!.hq.store);
  });
});
