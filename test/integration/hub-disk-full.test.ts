import { afterEach, describe, expect, it } from 'vitest';
import { createInjectedHciSource } from '../../gateway/mod.ts';
import { createGateway } from '../../gateway/app.ts';
import { gatewayWorkspace, waitFor } from '../../gateway/testing/harness.ts';
import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { encodeEddystoneAdvert } from '../../shared/eid/carriers.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { startStatusHub, type StatusHub } from './status-page-fixture.ts';

/**
 * Disk full on the hub (docs/hub.md#storage), with the real gateway program in front of it: the
 * database is capped with SQLite's page limit (max_page_count) while windows keep coming. The hub
 * refuses what it cannot store (no PUBACK: the gateway keeps it in its outbox and sends it
 * again), says so on the technician status, keeps everything it acknowledged, and takes the
 * backlog once space returns — every window stored exactly once.
 */

const WINDOW_MS = 10_000;
let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

interface StorageView {
  state: string;
  lastError: string | null;
  refused: number;
}

async function storage(t: StatusHub): Promise<StorageView> {
  const res = await t.call('GET', '/v1/technician/status', {
    headers: { authorization: `Bearer ${t.technicianToken}` },
  });
  return (res.body as { storage: StorageView }).storage;
}

describe('hub: the database fills up', () => {
  it('refuses with a clear status, keeps what it acknowledged, and takes the backlog when space returns', async () => {
    const t = await startStatusHub({ gateways: [{ id: 'gw-test', zone: 'entrance' }] });
    cleanup.push(() => t.stop());
    const shoppers = Array.from(
      { length: 20 },
      () => t.hub.shoppers.enroll({ exponent: 9, consent: { presenceForOffers: true, analytics: true } }).shopper,
    );
    const ws = gatewayWorkspace(
      {
        gateway: 'gw-test',
        hub: { url: t.mqttsUrl(), caFile: t.caFile, reconnectMinMs: 100, reconnectMaxMs: 1000 },
        window: { seconds: WINDOW_MS / 1000 },
      },
      { credential: t.credentials.get('gw-test') as string },
    );
    cleanup.push(() => ws.remove());
    const now = Date.now();
    const t0 = now - (now % WINDOW_MS) - 40 * WINDOW_MS;
    const clock = new FakeClock(t0);
    const { source, inject } = createInjectedHciSource();
    const gateway = createGateway({
      config: ws.config,
      resolvePath: ws.resolvePath,
      ble: source,
      clock,
      logger: silentLogger(),
      leds: null,
    });
    cleanup.push(() => gateway.stop());
    await gateway.start();
    await waitFor(() => gateway.stats().hubConnected, 'the gateway to connect');

    const runWindow = (k: number): void => {
      const start = t0 + k * WINDOW_MS;
      shoppers.forEach((s, i) => {
        const eid = computeEidHex({ identityKey: s.identityKey, exponent: 9, counter: Math.floor(start / 1000) });
        inject(
          start + 100 + i,
          encodeAdvertisingReport({
            eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
            addressType: 'random',
            address: `c0:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`,
            data: encodeEddystoneAdvert(eid),
            rssi: -55,
          }),
        );
      });
      clock.set(start + WINDOW_MS);
      gateway.tick();
    };
    const stored = (): number => (t.hub.db.prepare('SELECT COUNT(*) AS n FROM batches').get() as { n: number }).n;

    for (let k = 0; k < 3; k++) runWindow(k);
    await waitFor(() => gateway.stats().outboxDepth === 0, 'the first windows acknowledged');
    expect(stored()).toBe(3);
    expect((await storage(t)).state).toBe('ok');

    // The disk is full: no page beyond what the file has now.
    const pages = t.hub.db.pragma('page_count', { simple: true }) as number;
    t.hub.db.pragma(`max_page_count = ${pages}`);
    let k = 3;
    const deadline = Date.now() + 30_000;
    let full = await storage(t);
    while (full.state !== 'full') {
      if (Date.now() > deadline) throw new Error(`the hub did not report a full database (${JSON.stringify(full)})`);
      if (gateway.stats().outboxDepth < 30) runWindow(k++);
      await new Promise((resolve) => setImmediate(resolve));
      full = await storage(t);
    }
    expect(full.state).toBe('full');
    expect(full.lastError).toMatch(/^SQLITE_FULL/);
    expect(full.refused).toBeGreaterThan(0);
    const acknowledged = stored();
    const rows = t.hub.db.prepare('SELECT seq, sightings, resolved FROM batches ORDER BY seq').all();
    const sent = k;

    // Space returns.
    t.hub.db.pragma('max_page_count = 1073741823');
    await waitFor(() => gateway.stats().outboxDepth === 0 && stored() === sent, 'the backlog to arrive', 30_000);
    expect((await storage(t)).state).toBe('ok');
    const after = t.hub.db.prepare('SELECT seq, sightings, resolved FROM batches ORDER BY seq').all() as Array<{
      seq: number;
      sightings: number;
      resolved: number;
    }>;
    // What was acknowledged is unchanged; every window is there once, whole.
    expect(after.slice(0, acknowledged)).toEqual(rows);
    expect(after.map((r) => r.seq)).toEqual([...new Set(after.map((r) => r.seq))]);
    expect(after).toHaveLength(sent);
    for (const r of after) expect(r).toMatchObject({ sightings: 20, resolved: 20 });
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM sightings').get()).toEqual({ n: sent * 20 });
  }, 90_000);
});
