import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import {
  clockTopic,
  commandTopic,
  filters,
  presenceTopic,
  replyTopic,
  statusTopic,
} from '../../shared/protocol/topics.ts';
import type { PresenceBatch } from '../../shared/protocol/messages.ts';
import { startTestHub, TEST_STORE, type TestHub } from '../helpers/hub-fixtures.ts';

const WINDOW = 10;

function batch(gateway: string, seq: number, windowStart: number, sightings: PresenceBatch['sightings']): Buffer {
  return encodePayload('PresenceBatch', {
    v: 1,
    gateway,
    seq,
    windowStart,
    windowSeconds: WINDOW,
    sightings,
    dropped: 0,
  });
}

describe('hub ingest over MQTT (real aedes, SQLite, mqtt.js)', () => {
  let t: TestHub;
  const now = Math.floor(Date.now() / 1000);
  const windowStart = now - (now % WINDOW) - 60;
  let alice: { id: string; key: Buffer; pk: number };

  beforeAll(async () => {
    t = await startTestHub({
      gateways: [
        { id: 'gw-1', zone: 'produce' },
        { id: 'gw-2', zone: 'bakery' },
      ],
    });
    const { shopper } = t.hub.shoppers.enroll({ exponent: 9, consent: { presenceForOffers: true, analytics: true } });
    alice = { id: shopper.id, key: shopper.identityKey, pk: shopper.pk };
  });
  afterAll(async () => {
    await t?.stop();
  });

  const eidOf = (key: Buffer, at: number): string => computeEidHex({ identityKey: key, exponent: 9, counter: at });

  it('commits a batch before the PUBACK, resolves EIDs and discards unknown ones', async () => {
    const client = await t.connectGateway('gw-1');
    const payload = batch('gw-1', 1, windowStart, [
      { eid: eidOf(alice.key, windowStart), band: 'near', hits: 7 },
      { eid: '00112233445566ff', band: 'far', hits: 1 },
    ]);
    await client.publishAsync(presenceTopic(TEST_STORE, 'gw-1'), payload, { qos: 1 });
    // The PUBACK has arrived: the rows must already be committed.
    const rows = t.hub.db
      .prepare('SELECT shopper_pk, gateway, zone, band, hits FROM sightings WHERE window_start = ?')
      .all(windowStart);
    expect(rows).toEqual([{ shopper_pk: alice.pk, gateway: 'gw-1', zone: 'produce', band: 0, hits: 7 }]);
    expect(
      t.hub.db.prepare('SELECT sightings, resolved FROM batches WHERE gateway = ? AND seq = 1').get('gw-1'),
    ).toEqual({ sightings: 2, resolved: 1 });
    const stats = t.hub.stats();
    expect(stats).toMatchObject({ batches: 1, sightings: 2, resolved: 1, unresolved: 1 });
    await client.endAsync();
  });

  it('treats a replayed (gateway, seq) as a no-op', async () => {
    const client = await t.connectGateway('gw-1');
    const payload = batch('gw-1', 1, windowStart, [{ eid: eidOf(alice.key, windowStart), band: 'mid', hits: 2 }]);
    await client.publishAsync(presenceTopic(TEST_STORE, 'gw-1'), payload, { qos: 1 });
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM sightings').get()).toEqual({ n: 1 });
    expect(t.hub.stats()).toMatchObject({ batches: 1, duplicateBatches: 1 });
    await client.endAsync();
  });

  it('acknowledges and quarantines a bad payload with every problem, and stays connected', async () => {
    const client = await t.connectGateway('gw-2');
    const bad = JSON.stringify({
      v: 1,
      gateway: 'gw-2',
      seq: -1,
      windowStart: 5,
      windowSeconds: WINDOW,
      sightings: [{ eid: 'xyz', band: 'near', hits: 1 }],
      dropped: 0,
    });
    await client.publishAsync(presenceTopic(TEST_STORE, 'gw-2'), bad, { qos: 1 });
    await client.publishAsync(presenceTopic(TEST_STORE, 'gw-2'), 'not json', { qos: 1 });
    const rows = t.hub.db.prepare('SELECT gateway, topic, problems FROM quarantine ORDER BY pk').all() as Array<{
      gateway: string;
      topic: string;
      problems: string;
    }>;
    expect(rows).toHaveLength(2);
    const problems = JSON.parse((rows[0] as { problems: string }).problems) as Array<{ path: string }>;
    expect(problems.map((p) => p.path).sort()).toEqual(['/seq', '/sightings/0/eid']);
    expect((rows[1] as { problems: string }).problems).toMatch(/not valid JSON/);
    expect(client.connected).toBe(true);
    expect(t.hub.stats().quarantined).toBe(2);
    await client.endAsync();
  });

  it('quarantines a batch that names another gateway inside a permitted topic', async () => {
    const client = await t.connectGateway('gw-2');
    await client.publishAsync(presenceTopic(TEST_STORE, 'gw-2'), batch('gw-1', 99, windowStart, []), { qos: 1 });
    const last = t.hub.db.prepare('SELECT problems FROM quarantine ORDER BY pk DESC LIMIT 1').get() as {
      problems: string;
    };
    expect(last.problems).toMatch(/expected \\"gw-2\\"/);
    await client.endAsync();
  });

  it("refuses a publish to another gateway's topic (connection closed, nothing stored)", async () => {
    const client = await t.connectGateway('gw-2');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(presenceTopic(TEST_STORE, 'gw-1'), batch('gw-1', 50, windowStart, []), { qos: 1 });
    await closed;
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM batches WHERE seq = 50').get()).toEqual({ n: 0 });
    expect(t.hub.stats().refusedPublishes).toBeGreaterThanOrEqual(1);
    client.end(true);
  });

  it('grants only its own commands and the clock, and pushes the clock on subscribe', async () => {
    const client = await t.connectGateway('gw-1');
    const clock = new Promise<Buffer>((resolve) =>
      client.on('message', (topic, payload) => topic === clockTopic(TEST_STORE) && resolve(payload)),
    );
    const granted = await client.subscribeAsync([clockTopic(TEST_STORE), filters.gatewayCommands(TEST_STORE, 'gw-1')], {
      qos: 1,
    });
    expect(granted.map((g) => g.qos)).toEqual([1, 1]);
    for (const forbidden of [filters.gatewayCommands(TEST_STORE, 'gw-2'), filters.allPresence(TEST_STORE)]) {
      await expect(client.subscribeAsync(forbidden, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    }
    const hubClock = JSON.parse((await clock).toString()) as { v: number; hubTimeMs: number };
    expect(hubClock.v).toBe(1);
    expect(Math.abs(hubClock.hubTimeMs - Date.now())).toBeLessThan(5_000);
    expect(t.hub.stats().refusedSubscriptions).toBe(2);
    await client.endAsync();
  });

  it('tracks status (retained) and the last will, and round-trips a command and its reply', async () => {
    const status = (state: 'online' | 'offline'): Buffer =>
      encodePayload('GatewayStatus', { v: 1, gateway: 'gw-1', state, version: '0.1.0' });
    const client = await t.connectGateway('gw-1', {
      will: { topic: statusTopic(TEST_STORE, 'gw-1'), payload: status('offline'), qos: 1, retain: true },
    });
    await client.publishAsync(statusTopic(TEST_STORE, 'gw-1'), status('online'), { qos: 1, retain: true });
    expect(t.hub.gateways.get('gw-1')?.state).toBe('online');
    expect(t.hub.stats().gatewaysOnline).toBe(1);

    await client.subscribeAsync(filters.gatewayCommands(TEST_STORE, 'gw-1'), { qos: 1 });
    client.on('message', (topic, payload) => {
      if (topic !== commandTopic(TEST_STORE, 'gw-1', 'identify')) return;
      const command = JSON.parse(payload.toString()) as { transaction: string };
      client.publish(
        replyTopic(TEST_STORE, 'gw-1', 'identify'),
        encodePayload('CommandReply', { v: 1, transaction: command.transaction, ok: true, data: { blinked: 3 } }),
        { qos: 1 },
      );
    });
    const reply = await t.hub.sendCommand('gw-1', 'identify', { seconds: 3 });
    expect(reply).toMatchObject({ ok: true, data: { blinked: 3 } });
    expect(t.hub.db.prepare('SELECT command, ok FROM command_replies').all()).toEqual([{ command: 'identify', ok: 1 }]);

    // An unclean disconnect publishes the will: the registry turns offline.
    client.stream.destroy();
    await expect.poll(() => t.hub.gateways.get('gw-1')?.state, { timeout: 5_000 }).toBe('offline');
    client.end(true);
  });

  it('discards sightings of a shopper who paused presence', async () => {
    const { shopper } = t.hub.shoppers.enroll({ exponent: 9, consent: { presenceForOffers: true, analytics: false } });
    t.hub.shoppers.updateConsent(shopper.id, { pausedUntilMs: Date.now() + 3_600_000 });
    const client = await t.connectGateway('gw-2');
    await client.publishAsync(
      presenceTopic(TEST_STORE, 'gw-2'),
      batch('gw-2', 7, windowStart, [
        { eid: eidOf(shopper.identityKey, windowStart), band: 'near', hits: 3 },
        { eid: eidOf(alice.key, windowStart), band: 'far', hits: 1 },
      ]),
      { qos: 1 },
    );
    expect(t.hub.db.prepare('SELECT shopper_pk FROM sightings WHERE gateway = ?').all('gw-2')).toEqual([
      { shopper_pk: alice.pk },
    ]);
    expect(t.hub.stats().pausedDiscarded).toBe(1);
    await client.endAsync();
  });

  it('collects nothing of a shopper who consented to neither offers nor analytics', async () => {
    const { shopper } = t.hub.shoppers.enroll({ exponent: 9, consent: { presenceForOffers: false, analytics: false } });
    const before = t.hub.stats().noConsentDiscarded;
    const client = await t.connectGateway('gw-2');
    await client.publishAsync(
      presenceTopic(TEST_STORE, 'gw-2'),
      batch('gw-2', 8, windowStart, [{ eid: eidOf(shopper.identityKey, windowStart), band: 'near', hits: 3 }]),
      { qos: 1 },
    );
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM sightings WHERE shopper_pk = ?').get(shopper.pk)).toEqual({
      n: 0,
    });
    expect(t.hub.stats().noConsentDiscarded).toBe(before + 1);
    // Giving analytics consent takes effect at once: the next batch is kept.
    t.hub.shoppers.updateConsent(shopper.id, { analytics: true });
    await client.publishAsync(
      presenceTopic(TEST_STORE, 'gw-2'),
      batch('gw-2', 9, windowStart + 10, [
        { eid: eidOf(shopper.identityKey, windowStart + 10), band: 'near', hits: 2 },
      ]),
      { qos: 1 },
    );
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM sightings WHERE shopper_pk = ?').get(shopper.pk)).toEqual({
      n: 1,
    });
    await client.endAsync();
  });

  it('refuses a revoked gateway and disconnects its session', async () => {
    const credential = await t.addGateway('gw-3', 'checkout');
    const client = await t.connectGateway('gw-3');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    expect(t.hub.gateways.revoke('gw-3')).toBe(true);
    await closed;
    client.end(true);
    await expect(t.connectGateway('gw-3', { credential })).rejects.toThrow(/Not authorized/i);
    await expect(t.connectGateway('gw-1', { credential: 'wrong' })).rejects.toThrow(/Bad username or password/i);
  });
});
