import { describe, expect, it } from 'vitest';
import { releaseTopic } from '../../shared/protocol/topics.ts';
import { simulateChain, type SimulatedRelease } from '../../scripts/sim/chain/chain.ts';
import { classifyRelease } from '../ingest/core/classify.ts';
import type { HqStore, IncomingRelease } from './hq-store.ts';
import { sha256Of } from './mismatch.ts';

/**
 * The behaviour every HqStore must have (SQLite and PostgreSQL run the same suite): idempotency
 * by release id with counted duplicates, mismatches quarantined, exact bytes kept, one
 * transaction per batch, and aggregates that equal the sums of the stored values.
 */

const CHAIN = simulateChain({
  stores: 3,
  days: 3,
  seed: 'store-contract',
  start: { y: 2026, m: 11, d: 28 },
  timeZone: 'Europe/Berlin',
});

export function incoming(release: Pick<SimulatedRelease, 'body' | 'topic'>): IncomingRelease {
  const classified = classifyRelease(release.body, { topic: release.topic, knownStores: null });
  if (!classified.ok) throw new Error(`fixture release refused: ${classified.reason}`);
  return {
    normalized: classified.release,
    body: release.body,
    sha256: sha256Of(release.body),
    source: 'mqtt',
    topic: release.topic,
  };
}

/** A v1 payload as a hub not yet upgraded sends it (hourly footfall, shopper-day). */
export function v1Footfall(store: string, hourIso: string, values: number[]): Buffer {
  const startUnix = Date.parse(hourIso) / 1000;
  const iso = (unix: number) => new Date(unix * 1000).toISOString().replace('.000Z', '+00:00');
  return Buffer.from(
    JSON.stringify({
      v: 1,
      store,
      release: `footfall:${iso(startUnix).slice(0, 16)}+00:00`,
      kind: 'footfall',
      period: {
        unit: 'hour',
        start: iso(startUnix),
        end: iso(startUnix + 3600),
        startUnix,
        endUnix: startUnix + 3600,
        timeZone: 'UTC',
      },
      computedAt: iso(startUnix + 3900),
      privacyUnit: 'shopper-day',
      bounds: { maxCellsPerRelease: 2, maxCellsPerDay: 8, maxPerCell: 1 },
      cost: { rho: '1/20', rhoUpper: 0.05, epsilon: 1.47, epsilonBunSteinke: 1.71, delta: 1e-6 },
      cells: ['bakery', 'produce'],
      measures: [
        {
          metric: 'shoppers',
          query: 'count',
          mechanism: 'discrete-laplace',
          scale: '20',
          epsilon: '1/10',
          sensitivity: { l0: 2, lInf: 1, l1: 2, l2Squared: 2, l2: 1.42 },
          rho: '1/200',
          values,
        },
      ],
    }),
  );
}

// Longer than a screen: the contract's cases, one after another.
export function hqStoreContract(engine: string, open: () => Promise<HqStore>): void {
  const NOW = Date.parse('2026-12-02T00:00:00Z');

  describe(`HqStore contract (${engine})`, () => {
    it('stores each release once with its exact bytes; a redelivery is a counted duplicate', async () => {
      const store = await open();
      const batch = CHAIN.releases.slice(0, 40).map(incoming);
      const outcomes = await store.ingest(batch, NOW);
      expect(outcomes).toEqual(batch.map(() => 'stored'));
      const again = await store.ingest([batch[3] as IncomingRelease, batch[7] as IncomingRelease], NOW + 1);
      expect(again).toEqual(['duplicate', 'duplicate']);
      // Copies inside one batch: the first is stored, the rest are duplicates.
      const next = incoming(CHAIN.releases[40] as SimulatedRelease);
      expect(await store.ingest([next, next, batch[0] as IncomingRelease], NOW + 2)).toEqual([
        'stored',
        'duplicate',
        'duplicate',
      ]);
      const stored = await store.getRelease(next.normalized.store, next.normalized.release);
      expect(stored?.body.equals(next.body)).toBe(true);
      expect(stored?.deliveries).toBe(2);
      expect((await store.getRelease(batch[3]!.normalized.store, batch[3]!.normalized.release))?.deliveries).toBe(2);
      expect(await store.counts()).toEqual({ releases: 41, duplicates: 4, quarantined: 0 });
      await store.close();
    });

    it('refuses other bytes under a stored id (mismatch), keeps the first bytes and quarantines the copy', async () => {
      const store = await open();
      const original = CHAIN.releases.find((r) => r.kind === 'footfall') as SimulatedRelease;
      expect(await store.ingest([incoming(original)], NOW)).toEqual(['stored']);
      const tampered = Buffer.from(original.body.toString().replace('"values":[', '"values":[1'));
      const copy = incoming({ body: tampered, topic: original.topic });
      expect(await store.ingest([copy, incoming(original)], NOW + 5)).toEqual(['mismatch', 'duplicate']);
      expect((await store.getRelease(original.store, original.releaseId))?.body.equals(original.body)).toBe(true);
      const quarantined = await store.quarantined();
      expect(quarantined).toHaveLength(1);
      expect(quarantined[0]).toMatchObject({
        source: 'mqtt',
        topic: original.topic,
        store: original.store,
        releaseId: original.releaseId,
        code: 'UPSTREAM_REPLAY_MISMATCH',
        receivedMs: NOW + 5,
      });
      expect(quarantined[0]?.reason).toMatch(/already received with different bytes/);
      expect(quarantined[0]?.body?.equals(tampered)).toBe(true);
      expect(await store.counts()).toEqual({ releases: 1, duplicates: 1, quarantined: 1 });
      // The same lie alone in a batch (twice): both copies refused and quarantined.
      expect(await store.ingest([copy, copy], NOW + 6)).toEqual(['mismatch', 'mismatch']);
      expect(await store.counts()).toEqual({ releases: 1, duplicates: 1, quarantined: 3 });
      expect((await store.quarantined())[0]).toMatchObject({ code: 'UPSTREAM_REPLAY_MISMATCH', receivedMs: NOW + 6 });
      expect((await store.quarantined())[0]?.reason).toMatch(
        /already received with different bytes \(this copy sha256 [0-9a-f]{16}…\)/,
      );
      await store.close();
    });

    it('writes a batch in one transaction: a failing batch leaves nothing behind', async () => {
      const store = await open();
      const good = incoming(CHAIN.releases[0] as SimulatedRelease);
      const broken = incoming(CHAIN.releases[1] as SimulatedRelease);
      const bad: IncomingRelease = {
        ...broken,
        normalized: { ...broken.normalized, window: { ...broken.normalized.window, startUnix: Number.NaN } },
      };
      await expect(store.ingest([good, bad], NOW)).rejects.toThrow();
      expect(await store.getRelease(good.normalized.store, good.normalized.release)).toBeNull();
      expect(await store.counts()).toEqual({ releases: 0, duplicates: 0, quarantined: 0 });
      expect(await store.ingest([good], NOW)).toEqual(['stored']);
      await store.close();
    });

    it('aggregates cells by window, metric and cell (chain and per store) to the exact sums of the stored values', async () => {
      const store = await open();
      const all = CHAIN.releases.map(incoming);
      for (let i = 0; i < all.length; i += 500) await store.ingest(all.slice(i, i + 500), NOW);
      const footfall = CHAIN.releases.filter((r) => r.kind === 'footfall');
      const expected = new Map<string, bigint>();
      for (const r of footfall) {
        const p = JSON.parse(r.body.toString()) as {
          window: { start: string };
          cells: string[];
          measures: Array<{ values: number[] }>;
        };
        p.cells.forEach((cell, i) => {
          const key = `${p.window.start.slice(0, 16)}|${cell}`;
          expected.set(key, (expected.get(key) ?? 0n) + BigInt(p.measures[0]!.values[i]!));
        });
      }
      const rows = await store.aggregateCells({
        kind: 'footfall',
        fromDate: '2026-11-28',
        toDate: '2026-12-01',
        stores: null,
      });
      expect(rows).toHaveLength(expected.size);
      for (const row of rows) {
        expect(row.total).toBe(expected.get(`${row.localStart}|${row.cell}`));
        expect(row.values).toBe(3);
        expect(row.windowUnit).toBe('day');
        expect(row.metric).toBe('shoppers');
        expect(row.granularity).toBe('1');
        // σ² = 7/(2·(1/100)) = 350 per value, three stores.
        expect(row.variance).toBeCloseTo(1050, 9);
      }
      const one = await store.aggregateCells({
        kind: 'footfall',
        fromDate: '2026-11-29',
        toDate: '2026-11-30',
        stores: ['store-002'],
        byStore: true,
      });
      expect(new Set(one.map((r) => r.store))).toEqual(new Set(['store-002']));
      expect(new Set(one.map((r) => r.localStart))).toEqual(new Set(['2026-11-29T00:00']));
      expect(one.every((r) => r.values === 1)).toBe(true);
      const visits = await store.aggregateCells({
        kind: 'visits',
        windowUnit: 'hour',
        fromDate: '2026-11-28',
        toDate: '2026-11-29',
        stores: ['store-001', 'store-003'],
      });
      expect(visits).toHaveLength(13);
      expect(visits.every((r) => r.values === 2 && r.cell === 'store')).toBe(true);
      expect(
        await store.aggregateCells({ kind: 'footfall', fromDate: '2027-01-01', toDate: '2027-02-01', stores: null }),
      ).toEqual([]);
      // The first week's window starts on its Monday, before the first simulated day.
      expect(await store.dateRange()).toEqual({ first: '2026-11-23', last: '2026-11-30' });
      await store.close();
    });

    it('keeps v1 releases next to v2 (hubs not yet upgraded) and lists releases by store, kind and budget period', async () => {
      const store = await open();
      const v1 = v1Footfall('store-001', '2026-11-28T10:00:00Z', [5, -2]);
      const outcomes = await store.ingest(
        [
          incoming({ body: v1, topic: releaseTopic('store-001', 'footfall') }),
          ...CHAIN.releases.slice(0, 30).map(incoming),
        ],
        NOW,
      );
      expect(outcomes[0]).toBe('stored');
      const listed = await store.listReleases({ store: 'store-001', kind: 'footfall' });
      expect(listed.map((r) => r.version)).toContain(1);
      const v1Row = listed.find((r) => r.version === 1);
      expect(v1Row).toMatchObject({
        windowUnit: 'hour',
        windowLabel: '2026-11-28T10:00+00:00',
        budgetPeriod: '2026-11-28',
      });
      expect(v1Row?.body.equals(v1)).toBe(true);
      const hourly = await store.aggregateCells({
        kind: 'footfall',
        windowUnit: 'hour',
        fromDate: '2026-11-28',
        toDate: '2026-11-29',
        stores: null,
      });
      expect(hourly.map((r) => [r.cell, r.total])).toEqual([
        ['bakery', 5n],
        ['produce', -2n],
      ]);
      // Discrete Laplace, t = 20: Var = 2q/(1 − q)², q = e^(−1/20).
      const q = Math.exp(-1 / 20);
      expect(hourly[0]?.variance).toBeCloseTo((2 * q) / (1 - q) ** 2, 6);
      const quarter = await store.listReleases({ budgetPeriod: '2026-Q4', kind: 'visits', limit: 5 });
      expect(quarter).toHaveLength(5);
      expect(quarter.every((r) => r.kind === 'visits' && r.version === 2)).toBe(true);
      const summary = await store.stores();
      expect(summary.map((s) => s.store)).toEqual(
        ['store-001', 'store-002', 'store-003'].filter((s) => summary.some((x) => x.store === s)),
      );
      expect(summary.reduce((a, s) => a + s.releases, 0)).toBe(31);
      await store.close();
    });

    it('quarantines entries with their reason, newest first, keeping at most 64 KiB of a body', async () => {
      const store = await open();
      await store.quarantine(
        [
          {
            source: 'mqtt',
            topic: 'hushpoint/v1/store-001/releases/x',
            store: 'store-001',
            releaseId: null,
            code: 'PROTO_BAD_PAYLOAD',
            reason: 'first',
            body: Buffer.alloc(70_000, 65),
          },
          {
            source: 'https',
            topic: null,
            store: null,
            releaseId: null,
            code: 'UPSTREAM_BAD_SIGNATURE',
            reason: 'second',
            body: null,
          },
        ],
        NOW,
      );
      const listed = await store.quarantined({ limit: 10 });
      expect(listed.map((q) => q.reason)).toEqual(['second', 'first']);
      expect(listed[1]?.body?.length).toBe(64 * 1024);
      expect(listed[0]?.body).toBeNull();
      expect((await store.counts()).quarantined).toBe(2);
      await store.close();
    });
  });
}
