import { createServer as createHttpsServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../shared/ports/clock.ts';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { createHttpsSender } from '../../hub/privacy/adapters/https-sender.ts';
import { testCertificates } from '../helpers/hub-fixtures.ts';
import {
  addPresence,
  addShoppers,
  addVisit,
  makeService,
  openTestDb,
  ZONES,
  type TestDb,
} from './releases-fixtures.ts';
import { normalizeRelease, sha256Of } from '../../hq/storage/mod.ts';
import { startCollector, type TestCollector } from './upstream-fixtures.ts';

/**
 * Upstream down for a simulated day: the hub keeps computing releases on schedule (FakeClock,
 * job functions called as node-cron would), every send fails — first with 503s, then with
 * dropped connections — and once the collector is reachable again every release arrives, with
 * exactly the bytes of its first attempt. A recording HTTPS proxy in front of the real collector
 * captures every attempt.
 */

const T0 = Date.parse('2026-11-27T00:00:00Z');
const MIN = 60_000;
const H = 60 * MIN;

interface Attempt {
  releaseId: string;
  timestamp: string;
  body: Buffer;
  mode: Mode;
}
type Mode = 'refuse' | 'drop' | 'up';

async function startProxy(
  target: TestCollector,
  poison: ReadonlySet<string> = new Set(),
): Promise<{ url: string; attempts: Attempt[]; setMode(mode: Mode): void; close(): Promise<void> }> {
  const { server: cert, ca } = testCertificates();
  const attempts: Attempt[] = [];
  let mode: Mode = 'refuse';
  const server: Server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      attempts.push({
        releaseId: String(req.headers['x-hushpoint-release']),
        timestamp: String(req.headers['x-hushpoint-timestamp']),
        body,
        mode,
      });
      if (mode === 'refuse' || poison.has(String(req.headers['x-hushpoint-release']))) {
        // 503: the collector is down for maintenance; 500: it fails on this one release.
        const status = mode === 'refuse' ? 503 : 500;
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end(
            `{"ok":false,"error":{"code":"INTERNAL","message":"${status === 503 ? 'maintenance' : 'cannot store this release'}"}}`,
          );
        return;
      }
      if (mode === 'drop') {
        req.socket.destroy();
        return;
      }
      const forward = httpsRequest(target.url, { method: 'POST', headers: req.headers, ca: ca.certPem }, (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      });
      forward.on('error', () => res.writeHead(502).end());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/releases`,
    attempts,
    setMode(next) {
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let t: TestDb | null = null;
let collector: TestCollector | null = null;
afterEach(async () => {
  t?.close();
  t = null;
  await collector?.stop();
  collector = null;
});

describe('upstream down for a day', () => {
  it('delivers every release afterwards, byte-identical to its first attempt', async () => {
    const clock = new FakeClock(T0);
    collector = await startCollector({ clock });
    const proxy = await startProxy(collector);
    t = openTestDb();
    const pks = addShoppers(t.db, 12);
    // Shoppers come and go over the two days (27 and 28 Nov).
    for (let hour = 8; hour < 20 + 24; hour++) {
      pks.forEach((pk, i) => {
        if ((i + hour) % 3 !== 0) return;
        const start = (T0 + hour * H) / 1000 + i * 60;
        addPresence(t?.db as never, pk, ZONES[(i + hour) % 3] as string, start, 6);
        addPresence(t?.db as never, pk, ZONES[(i + hour + 1) % 3] as string, start + 60, 6);
        addVisit(t?.db as never, pk, start, start + 120);
      });
    }
    const service = makeService(t.db, {
      random: new CryptoRandomSource(),
      clock,
      firstWindowMs: T0,
      upstream: {
        enabled: true,
        url: proxy.url,
        signingKeyFile: 'unused',
        backoff: { initialSeconds: 30, maxSeconds: 900 },
      },
      sender: createHttpsSender({
        url: proxy.url,
        store: 'store-1',
        key: collector.key,
        ca: collector.caPem,
        timeoutMs: 5000,
      }),
    });
    // The release job and the sync both run every 5 minutes (the release job finds nothing due most times).
    const tick = async (): Promise<void> => {
      await service.runDue(clock.now());
      await service.syncUpstream(clock.now());
    };
    try {
      // The first day: upstream is up, nothing is due yet (27 Nov is released after it ends).
      for (let step = 0; step < 24 * 12; step++) {
        clock.set(T0 + step * 5 * MIN);
        proxy.setMode('up');
        await tick();
      }
      expect(service.releases.list()).toEqual([]);
      // The day without upstream: 503s until noon, then connections dropped. 27 Nov is released at 01:00.
      for (let step = 24 * 12; step < 48 * 12; step++) {
        clock.set(T0 + step * 5 * MIN);
        proxy.setMode(clock.now() < T0 + 36 * H ? 'refuse' : 'drop');
        await tick();
      }
      const computed = service.releases.list();
      expect(computed.map((r) => r.id)).toEqual(['footfall:2026-11-27', 'visits:2026-11-27']);
      expect(await collector.collector.store.listReleases()).toEqual([]);
      expect(service.releases.outbox().pending).toBe(computed.length);
      expect(proxy.attempts.some((a) => a.mode === 'drop')).toBe(true);

      // Upstream back: keep ticking past 01:00 (28 Nov's releases) until the outbox is empty
      // (within the 15 min backoff cap plus a few ticks).
      proxy.setMode('up');
      for (
        let step = 48 * 12;
        (service.releases.outbox().pending > 0 || clock.now() < T0 + 48 * H + 90 * MIN) && step < 48 * 12 + 40;
        step++
      ) {
        clock.set(T0 + step * 5 * MIN);
        await tick();
      }
      expect(service.releases.outbox()).toMatchObject({ pending: 0, rejected: 0 });

      const all = service.releases.list();
      expect(all.map((r) => r.id)).toEqual(
        expect.arrayContaining(['footfall:2026-11-28', 'visits:2026-11-28', 'footfall:2026-11-27']),
      );
      for (const release of all) {
        const tries = proxy.attempts.filter((a) => a.releaseId === release.id);
        expect(tries.length, release.id).toBeGreaterThan(0);
        const first = tries[0] as Attempt;
        for (const attempt of tries)
          expect(attempt.body.equals(first.body), `${release.id} attempt ${attempt.timestamp}`).toBe(true);
        expect(first.body.equals(release.body)).toBe(true);
        const received = await collector.collector.store.getRelease('store-1', release.id);
        expect(received?.body.equals(first.body), release.id).toBe(true);
      }
      // While down (23 h with something to send), the sync probed with backoff (30 s doubling to
      // 15 min), not every run; every attempt re-sent the oldest release's stored bytes with a
      // fresh timestamp (checked above).
      const downAttempts = proxy.attempts.filter((a) => a.mode !== 'up');
      expect(downAttempts.length).toBeGreaterThan((23 * 60) / 15 - 10);
      expect(downAttempts.length).toBeLessThan((23 * 60) / 15 + 20);
      const oldest = all[0] as (typeof all)[number];
      expect(downAttempts.filter((a) => a.releaseId === oldest.id).length).toBeGreaterThan(50);
      expect(await collector.collector.store.quarantined()).toEqual([]);

      // A crash after the send but before "sent" was recorded: the resend is an idempotent 200.
      const resend = all[0]?.id as string;
      t.db
        .prepare("UPDATE upstream_outbox SET state = 'pending', next_attempt_ms = 0 WHERE release_id = ?")
        .run(resend);
      expect(await service.syncUpstream(clock.now())).toMatchObject({ sent: 1, duplicates: 1 });
      expect((await collector.collector.store.getRelease('store-1', resend))?.deliveries).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('does not let one failing release hold back the others, and stops re-sending a refused one', async () => {
    const clock = new FakeClock(T0);
    collector = await startCollector({ clock });
    const poisoned = 'footfall:2026-11-27';
    const conflicting = 'visits:2026-11-27';
    const proxy = await startProxy(collector, new Set([poisoned]));
    proxy.setMode('up');
    t = openTestDb();
    const [a] = addShoppers(t.db, 1) as [number];
    addPresence(t.db, a, 'bakery', (T0 + 8 * H) / 1000, 3);
    const service = makeService(t.db, {
      random: new CryptoRandomSource(),
      clock,
      firstWindowMs: T0,
      upstream: {
        enabled: true,
        url: proxy.url,
        signingKeyFile: 'unused',
        backoff: { initialSeconds: 60, maxSeconds: 900 },
      },
      sender: createHttpsSender({
        url: proxy.url,
        store: 'store-1',
        key: collector.key,
        ca: collector.caPem,
        timeoutMs: 5000,
      }),
    });
    try {
      // 27–29 Nov and the week 2026-W48: 9 releases.
      clock.set(T0 + 3 * 24 * H + 2 * H);
      await service.runDue(clock.now());
      // The collector already holds other bytes under one id (as if the hub's database had been replaced).
      const stored = service.releases.get(conflicting) as NonNullable<ReturnType<typeof service.releases.get>>;
      const other = JSON.parse(stored.body.toString()) as { measures: Array<{ values: number[] }> };
      (other.measures[0] as { values: number[] }).values = [(other.measures[0]?.values[0] ?? 0) + 1];
      const otherBody = Buffer.from(JSON.stringify(other));
      await collector.collector.store.ingest(
        [
          {
            normalized: normalizeRelease(other as never),
            body: otherBody,
            sha256: sha256Of(otherBody),
            source: 'https',
          },
        ],
        clock.now(),
      );

      const report = await service.syncUpstream(clock.now());
      expect(report).toMatchObject({ attempted: 10, sent: 8, failed: 1, rejected: 1, unavailable: false });
      expect(service.releases.outboxState(poisoned)).toMatchObject({
        state: 'pending',
        attempts: 1,
        nextAttemptMs: clock.now() + 60_000,
        lastError: expect.stringMatching(/answered 500/),
      });
      expect(service.releases.outboxState(conflicting)).toMatchObject({
        state: 'rejected',
        lastError: expect.stringMatching(/409: UPSTREAM_REPLAY_MISMATCH/),
      });
      expect(await service.syncUpstream(clock.now() + 30_000)).toMatchObject({ attempted: 0 });
      expect(await service.syncUpstream(clock.now() + 61_000)).toMatchObject({ attempted: 1, failed: 1 });
      expect(service.releases.outboxState(poisoned)?.nextAttemptMs).toBe(clock.now() + 61_000 + 120_000);
      expect(proxy.attempts.filter((x) => x.releaseId === conflicting)).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});
