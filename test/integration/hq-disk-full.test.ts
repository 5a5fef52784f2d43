import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulateChain, type SimulatedRelease } from '../../scripts/sim/chain/chain.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { generateSigningKey, signedHeaders } from '../../shared/upstream/signing.ts';
import { getJson, startTestHq, type TestHq } from './hq-fixtures.ts';

/**
 * HQ's disk fills up (docs/hq.md, "Production notes"; docs/security.md §3): HQ on SQLite capped
 * with `databaseMaxMb` while stores keep sending signed releases over HTTPS, each store resending
 * until it gets a 2xx, as the hub's upstream sync does. When the database is full, new releases
 * are not acknowledged (the request waits while the writer retries; /v1/ingest says
 * writerFailing), and what was acknowledged is all there, whole. With room again (the cap raised,
 * HQ restarted) every release arrives exactly once and the acknowledged ones are counted as
 * duplicates when resent, not stored twice.
 */

const CHAIN = simulateChain({
  stores: 6,
  days: 21,
  seed: 'hq-disk-full',
  start: { y: 2026, m: 11, d: 2 },
  timeZone: 'Europe/Berlin',
});
const KEYS = new Map(
  CHAIN.stores.map((s) => [s.id, Buffer.from(generateSigningKey(new SeededRandomSource(s.id)), 'hex')]),
);

async function send(hq: TestHq, r: SimulatedRelease, timeoutMs: number): Promise<number | 'timeout'> {
  const headers = signedHeaders(KEYS.get(r.store) as Buffer, {
    store: r.store,
    releaseId: r.releaseId,
    body: r.body,
    timestamp: Math.floor(Date.now() / 1000),
  });
  try {
    const res = await fetch(`${hq.url}/v1/releases`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: r.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.status;
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') return 'timeout';
    throw error;
  }
}

describe('HQ with a full database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hp-hq-full-'));
  const TOKEN = 'hq-disk-full-analyst-token';
  const auth = { authorization: `Bearer ${TOKEN}` };
  let hq: TestHq | null = null;
  afterAll(async () => {
    await hq?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses what does not fit without acknowledging it, keeps what it acknowledged, takes the rest once there is room', async () => {
    hq = await startTestHq({ chain: CHAIN, dir, token: TOKEN, databaseMaxMb: 1 });
    const acknowledged = new Set<string>();
    let waiting: SimulatedRelease | null = null;
    for (const r of CHAIN.releases) {
      const status = await send(hq, r, 3000);
      if (status === 'timeout') {
        waiting = r;
        break;
      }
      expect(status).toBe(201);
      acknowledged.add(`${r.store}/${r.releaseId}`);
    }
    expect(waiting, `1 MiB held all ${CHAIN.releases.length} releases`).not.toBeNull();
    expect(acknowledged.size).toBeGreaterThan(50);
    const full = (await getJson(`${hq.url}/v1/ingest`, auth)).body as { releases: number; writerFailing: boolean };
    expect(full.writerFailing).toBe(true);
    expect(full.releases).toBe(acknowledged.size);
    // Everything acknowledged is there byte for byte; the waiting one is not.
    const stored = await hq.hq.store.listReleases({});
    expect(stored.map((s) => `${s.store}/${s.releaseId}`).sort()).toEqual([...acknowledged].sort());
    const sent = new Map(CHAIN.releases.map((r) => [`${r.store}/${r.releaseId}`, r.body]));
    for (const s of stored) expect(s.body.equals(sent.get(`${s.store}/${s.releaseId}`) as Buffer)).toBe(true);

    // Room again: the operator raises the cap and restarts HQ; the stores resend what was not acknowledged,
    // and one store resends everything (its outbox was restored from a backup).
    await hq.stop();
    hq = await startTestHq({ chain: CHAIN, dir, token: TOKEN, databaseMaxMb: 256 });
    for (const r of CHAIN.releases) {
      const key = `${r.store}/${r.releaseId}`;
      if (acknowledged.has(key) && r.store !== 'store-001') continue;
      const status = await send(hq, r, 30_000);
      expect([200, 201], key).toContain(status);
    }
    const after = (await getJson(`${hq.url}/v1/ingest`, auth)).body as {
      releases: number;
      duplicates: number;
      writerFailing: boolean;
    };
    expect(after.writerFailing).toBe(false);
    expect(after.releases).toBe(CHAIN.releases.length);
    const resentByStore1 = [...acknowledged].filter((k) => k.startsWith('store-001/')).length;
    expect(after.duplicates).toBe(resentByStore1);
  }, 240_000);
});
