import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { presenceTopic } from '../../shared/protocol/topics.ts';
import { freePort } from '../helpers/broker.ts';
import { TEST_STORE } from '../helpers/hub-fixtures.ts';
import { startStatusHub, type StatusHub } from './status-page-fixture.ts';

/**
 * The status page's releases, upstream sync and budget sections against the hub's real release
 * service: shoppers seen by real MQTT presence batches, an hour released with the ledger, and a
 * sync attempt to an upstream collector that is down.
 */

const T0 = Date.UTC(2026, 8, 21, 9, 0, 0); // an hour boundary (UTC)
const SHOPPERS = ['shopper-alpha', 'shopper-bravo', 'shopper-charlie', 'shopper-delta'];

interface Budget {
  name: string;
  unit: string;
  cap: number;
  units: number;
  bins: Array<{ fromPercent: number; toPercent: number; units: number; label?: string }>;
}
interface View {
  releases: {
    configured: boolean;
    error: string | null;
    enabled: boolean;
    timeZone: string;
    kinds: Array<{ kind: string; releases: number; lastPeriodEndMs: number | null }>;
    upstream: {
      enabled: boolean;
      transport: string;
      down: boolean;
      unsent: number;
      sent: number;
      rejected: number;
      oldestUnsentMs: number | null;
      lastSentMs: number | null;
      lastError: string | null;
    };
  };
  budget: {
    configured: boolean;
    error: string | null;
    date: string;
    filteredToday: number;
    distributions: Budget[];
    problems: string[];
  };
}

describe('technician status API: releases, upstream sync and budget', () => {
  const clock = new FakeClock(T0);
  const keyDir = mkdtempSync(join(tmpdir(), 'hp-status-key-'));
  let t: StatusHub;
  let view: View;
  let text: string;

  beforeAll(async () => {
    const keyFile = join(keyDir, 'upstream.key');
    writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const deadPort = await freePort();
    t = await startStatusHub({
      clock,
      gateways: [
        { id: 'gw-1', zone: 'entrance' },
        { id: 'gw-2', zone: 'checkout' },
      ],
      config: {
        // The test finalises presence itself, after both gateways' batches are in. The periodic
        // finaliser must not run in between: with one gateway's batch committed and the other
        // gateway not yet heard, the watermark would close the window without the second one.
        presence: { finalizeIntervalMs: 600_000 },
        privacy: { timeZone: 'UTC' },
        upstream: {
          enabled: true,
          transport: 'https',
          url: `https://127.0.0.1:${deadPort}/v1/releases`,
          signingKeyFile: keyFile,
          timeoutSeconds: 2,
        },
      },
    });
    const keys = SHOPPERS.map((_, i) => Buffer.alloc(16, i + 1));
    t.hub.shoppers.import(SHOPPERS.map((id, i) => ({ id, identityKey: keys[i] as Buffer, exponent: 9 })));
    const windowStart = T0 / 1000 + 600;
    clock.set(T0 + 620_000);
    const eids = keys.map((identityKey) => computeEidHex({ identityKey, exponent: 9, counter: windowStart }));
    for (const [gateway, heard] of [
      ['gw-1', eids.slice(0, 3)],
      ['gw-2', eids.slice(3)],
    ] as const) {
      const client = await t.connectGateway(gateway);
      const batch = {
        v: 1 as const,
        gateway,
        seq: 1,
        windowStart,
        windowSeconds: 10,
        sightings: heard.map((eid) => ({ eid, band: 'near' as const, hits: 4 })),
        dropped: 0,
      };
      await client.publishAsync(presenceTopic(TEST_STORE, gateway), encodePayload('PresenceBatch', batch), { qos: 1 });
    }
    await t.hub.finalizePresence({ all: true });
    clock.set(T0 + 3_600_000 + 120_000);
    const report = await t.hub.privacy.runDue(clock.now());
    expect(report.failed).toEqual([]);
    expect(report.computed.length).toBeGreaterThan(0);
    const sync = await t.hub.privacy.syncUpstream(clock.now());
    expect(sync.unavailable).toBe(true);
    const res = await t.call('GET', '/v1/technician/status', {
      headers: { authorization: `Bearer ${t.technicianToken}` },
    });
    expect(res.status).toBe(200);
    view = res.body as View;
    text = res.text;
  });

  afterAll(async () => {
    await t?.stop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('lists the releases by kind as the release table holds them', () => {
    const rows = t.hub.db
      .prepare(
        'SELECT kind, COUNT(*) AS n, MAX(period_end_ms) AS lastEnd FROM privacy_releases GROUP BY kind ORDER BY kind',
      )
      .all() as Array<{ kind: string; n: number; lastEnd: number }>;
    expect(rows.length).toBeGreaterThan(0);
    expect(view.releases).toMatchObject({ configured: true, error: null, enabled: true, timeZone: 'UTC' });
    const shown = new Map(view.releases.kinds.map((k) => [k.kind, k]));
    for (const row of rows)
      expect(shown.get(row.kind)).toMatchObject({ releases: row.n, lastPeriodEndMs: row.lastEnd });
    expect(shown.get('footfall')?.lastPeriodEndMs).toBe(T0 + 3_600_000);
  });

  it('shows the upstream as down with every release unsent and the last error', () => {
    const pending = (
      t.hub.db.prepare("SELECT COUNT(*) AS n FROM upstream_outbox WHERE state = 'pending'").get() as { n: number }
    ).n;
    expect(pending).toBeGreaterThan(0);
    expect(view.releases.upstream).toMatchObject({
      enabled: true,
      transport: 'https',
      down: true,
      unsent: pending,
      sent: 0,
      rejected: 0,
      lastSentMs: null,
    });
    expect(view.releases.upstream.lastError).toMatch(/ECONNREFUSED|connect/i);
    expect(view.releases.upstream.oldestUnsentMs).toBe(T0 + 3_600_000 + 120_000);
  });

  it('shows budget use as histograms of shopper counts by share of the cap, with no identities', () => {
    const spent = t.hub.db
      .prepare('SELECT shopper_pk, SUM(rho_micro) AS micro FROM privacy_ledger GROUP BY shopper_pk')
      .all() as Array<{ shopper_pk: number; micro: number }>;
    expect(spent).toHaveLength(SHOPPERS.length);
    expect(view.budget).toMatchObject({
      configured: true,
      error: null,
      date: '2026-09-21',
      filteredToday: 0,
      problems: [],
    });
    const [day, window] = view.budget.distributions;
    expect(day).toMatchObject({ name: 'analytics-day', unit: 'ρ', cap: 0.3, units: SHOPPERS.length });
    expect(window).toMatchObject({ name: 'analytics-window', unit: 'ρ', cap: 3, units: SHOPPERS.length });
    // Each shopper lands in the bin of its own share of the daily cap (from the ledger table).
    const expected = new Array<number>(11).fill(0);
    for (const s of spent) expected[Math.min(10, Math.floor((10 * s.micro) / 300_000))]! += 1;
    expect(day?.bins.map((b) => b.units)).toEqual(expected);
    expect(day?.bins.map((b) => [b.fromPercent, b.toPercent])).toEqual([
      ...Array.from({ length: 10 }, (_, i) => [i * 10, i * 10 + 10]),
      [100, 100],
    ]);
    for (const id of SHOPPERS) expect(text).not.toContain(id);
  });

  it("adds the offers' budget use today as a further histogram", () => {
    const offers = view.budget.distributions.find((d) => d.name === 'offers-day');
    const today = t.hub.offers.stats({ fromMs: clock.now(), toMs: clock.now() }, clock.now()).budgetToday;
    expect(offers).toMatchObject({ unit: 'ε', cap: t.hub.config.offers.budget.dailyEpsilon, units: today.shoppers });
    expect(offers?.bins.map((b) => b.units)).toEqual(today.buckets.map((b) => b.shoppers));
    expect(offers?.bins.map((b) => b.label)).toEqual(['none', '≤25', '≤50', '≤75', '≤100']);
  });

  // Runs last: it damages the database on purpose.
  it("shows a failing provider as its section's error while the rest of the page still answers", async () => {
    t.hub.db.exec('DROP TABLE upstream_outbox');
    const res = await t.call('GET', '/v1/technician/status', {
      headers: { authorization: `Bearer ${t.technicianToken}` },
    });
    expect(res.status).toBe(200);
    const broken = res.body as View & { gateways: { total: number } };
    expect(broken.releases).toEqual({
      configured: true,
      error: expect.stringContaining('no such table: upstream_outbox'),
    });
    expect(broken.budget).toMatchObject({
      configured: true,
      error: null,
      problems: [expect.stringContaining('privacy: no such table')],
    });
    expect(broken.budget.distributions.map((d) => d.name)).toEqual(['offers-day']);
    expect(broken.gateways.total).toBe(2);
  });
});
