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
/** The next day at 11:00: the day's footfall and visits are due. */
const RELEASED_AT = T0 + 26 * 3_600_000;

interface View {
  releases: {
    configured: boolean;
    error: string | null;
    enabled: boolean;
    timeZone: string;
    kinds: Array<{
      kind: string;
      releases: number;
      lastPeriodEndMs: number | null;
      latest: {
        window: string;
        metric: string;
        halfWidth95: number;
        cells: Array<{ cell: string; value: number }>;
      } | null;
    }>;
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
  plan: {
    configured: boolean;
    error: string | null;
    analytics: {
      period: string;
      periodUnit: string;
      periodCap: number;
      yearRho: number;
      dailyShopperStaysIn: boolean;
      releases: Array<{ kind: string }>;
    } | null;
    offers: { periodEpsilon: number; epsilonPerOffer: Record<string, number> } | null;
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
    clock.set(RELEASED_AT);
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
    expect(shown.get('footfall')?.lastPeriodEndMs).toBe(Date.UTC(2026, 8, 22));
    // The latest released values, each with its 95% half-width (no exact count anywhere).
    const latest = shown.get('footfall')?.latest;
    expect(latest).toMatchObject({ window: '2026-09-21', metric: 'shoppers' });
    expect(latest?.halfWidth95).toBeGreaterThan(0);
    const body = JSON.parse((t.hub.privacy.releases.get('footfall:2026-09-21')?.body as Buffer).toString()) as {
      cells: string[];
      measures: Array<{ values: number[]; halfWidth95: number }>;
    };
    expect(latest?.cells).toEqual(body.cells.map((cell, i) => ({ cell, value: body.measures[0]?.values[i] })));
    expect(latest?.halfWidth95).toBe(body.measures[0]?.halfWidth95);
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
    expect(view.releases.upstream.oldestUnsentMs).toBe(RELEASED_AT);
  });

  it('shows the budget plan from the config, and no shopper count or identity', () => {
    expect(view.plan).toMatchObject({ configured: true, error: null, problems: [] });
    const analytics = view.plan.analytics;
    expect(analytics).toMatchObject({ period: '2026-Q3', periodUnit: 'quarter', periodCap: 1, yearRho: 4 });
    expect(analytics?.releases.map((r) => r.kind)).toEqual(
      expect.arrayContaining(['footfall', 'visits', 'dwell', 'repeat', 'transitions', 'offer-response']),
    );
    expect(analytics?.dailyShopperStaysIn).toBe(true);
    expect(view.plan.offers?.epsilonPerOffer).toEqual(t.hub.config.offers.epsilon);
    expect(view.plan.offers?.periodEpsilon).toBe(t.hub.config.offers.budget.periodEpsilon);
    for (const id of SHOPPERS) expect(text).not.toContain(id);
    expect(text).not.toMatch(/"units"|shoppersEnrolled|openVisits|contributors|filtered/);
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
    expect(broken.plan).toMatchObject({
      configured: true,
      error: null,
      analytics: null,
      problems: [expect.stringContaining('privacy: no such table')],
    });
    expect(broken.plan.offers).not.toBeNull();
    expect(broken.gateways.total).toBe(2);
  });
});
