import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { filters, releaseTopic } from '../../shared/protocol/topics.ts';
import { decodeAnyReleasePayload } from '../../shared/upstream/release-payload-v2.ts';
import { createMqttSender } from '../../hub/privacy/adapters/mqtt-sender.ts';
import { startTestMosquitto, type TestMosquitto } from '../../scripts/dev/mosquitto.ts';
import { addPresence, addShoppers, makeService, openTestDb, type TestDb } from './releases-fixtures.ts';

/**
 * Upstream over MQTT 5 to the chain's real broker (Debian's mosquitto with the files HQ writes:
 * TLS, per-store passwords, the ACL): each release is published at QoS 1 on
 * hushpoint/v1/{store}/releases/{kind} with the stored body as payload; while the broker is
 * down the sync backs off, and after it is back the release arrives with the same bytes. A
 * publish the ACL refuses (PUBACK reason 135) is a permanent refusal, not a success.
 */

const T0 = Date.parse('2026-11-28T00:00:00Z');
const H = 3_600_000;
const D = 24 * H;

let t: TestDb | null = null;
let broker: TestMosquitto | null = null;
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  await broker?.stop();
  broker = null;
  t?.close();
  t = null;
});

async function subscriber(b: TestMosquitto, received: Array<{ topic: string; payload: Buffer }>): Promise<MqttClient> {
  const client = await mqtt.connectAsync(b.url, {
    clientId: 'hq-test-consumer',
    clean: false,
    reconnectPeriod: 100,
    username: b.files.consumer.username,
    password: b.files.consumer.password,
    ca: b.caPem,
  });
  clients.push(client);
  client.on('message', (topic, payload) => received.push({ topic, payload: Buffer.from(payload) }));
  await client.subscribeAsync(filters.allReleases(), { qos: 1 });
  return client;
}

/** Polls `condition` (running `step` between polls) until it holds or the deadline passes. */
async function until(condition: () => boolean, ms = 5000, step?: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    if (step !== undefined) await step();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('upstream over MQTT', () => {
  it('publishes each stored release at QoS 1 and re-sends it verbatim after the broker was down', async () => {
    broker = await startTestMosquitto({ stores: ['store-1', 'store-2'], rng: new CryptoRandomSource() });
    const received: Array<{ topic: string; payload: Buffer }> = [];
    await subscriber(broker, received);
    t = openTestDb();
    const [a] = addShoppers(t.db, 1) as [number];
    addPresence(t.db, a, 'bakery', T0 / 1000 + 36_000, 3);
    addPresence(t.db, a, 'dairy', (T0 + D) / 1000 + 36_000, 3);
    const clock = new FakeClock(T0);
    const sender = createMqttSender({
      url: broker.url,
      store: 'store-1',
      username: 'store-1',
      password: broker.files.stores.get('store-1') as string,
      ca: broker.caPem,
      timeoutMs: 2000,
      logger: silentLogger(),
      reconnectMs: 100,
    });
    const service = makeService(t.db, {
      random: new CryptoRandomSource(),
      clock,
      firstWindowMs: T0,
      sender,
      upstream: { enabled: true, transport: 'mqtt', url: broker.url, backoff: { initialSeconds: 1, maxSeconds: 1 } },
    });
    try {
      // The first day's footfall and visits.
      await service.runDue(T0 + D + 2 * H);
      expect(await service.syncUpstream(T0 + D + 2 * H)).toMatchObject({ sent: 2, unavailable: false });
      await until(() => received.length === 2);
      for (const message of received) {
        const decoded = decodeAnyReleasePayload(message.payload);
        expect(decoded.ok).toBe(true);
        const id = decoded.ok ? decoded.value.release : '';
        expect(message.topic).toBe(releaseTopic('store-1', id.split(':')[0] as string));
        expect(message.payload.equals(service.releases.get(id)?.body as Buffer)).toBe(true);
      }

      // The broker goes away: the next day's releases and the week's (dwell, repeat, transitions,
      // synthetic visits) wait in the outbox.
      await broker.stopBroker();
      await service.runDue(T0 + 2 * D + 2 * H);
      expect(await service.syncUpstream(T0 + 2 * D + 2 * H)).toMatchObject({ sent: 0, unavailable: true });
      expect(service.releases.outbox().pending).toBe(6);

      await broker.startBroker();
      // Each sync waits out its 1 s backoff on the fake clock; poll until the sender has reconnected.
      let i = 0;
      await until(
        () => service.releases.outbox().pending === 0,
        10_000,
        async () => {
          await service.syncUpstream(T0 + 2 * D + 3 * H + i++ * 2000);
        },
      );
      await until(() => received.length === 8);
      const later = received.slice(2);
      for (const message of later) {
        const id = (JSON.parse(message.payload.toString()) as { release: string }).release;
        expect(id.endsWith(':2026-11-29') || id.endsWith(':2026-W48')).toBe(true);
        expect(message.payload.equals(service.releases.get(id)?.body as Buffer)).toBe(true);
      }
    } finally {
      await sender.close();
    }
  });

  it("treats the broker's refusal (a store publishing under another store's topic) as permanent", async () => {
    broker = await startTestMosquitto({ stores: ['store-1', 'store-2'], rng: new CryptoRandomSource() });
    const received: Array<{ topic: string; payload: Buffer }> = [];
    await subscriber(broker, received);
    t = openTestDb();
    const [a] = addShoppers(t.db, 1) as [number];
    addPresence(t.db, a, 'bakery', T0 / 1000 + 36_000, 3);
    const clock = new FakeClock(T0);
    // store-1's releases, sent with store-2's credential: the ACL lets store-2 publish only under store-2.
    const sender = createMqttSender({
      url: broker.url,
      store: 'store-1',
      username: 'store-2',
      password: broker.files.stores.get('store-2') as string,
      ca: broker.caPem,
      timeoutMs: 2000,
      logger: silentLogger(),
      reconnectMs: 100,
    });
    const service = makeService(t.db, {
      random: new CryptoRandomSource(),
      clock,
      firstWindowMs: T0,
      sender,
      upstream: { enabled: true, transport: 'mqtt', url: broker.url, backoff: { initialSeconds: 1, maxSeconds: 1 } },
    });
    try {
      await service.runDue(T0 + D + 2 * H);
      const report = await service.syncUpstream(T0 + D + 2 * H);
      expect(report).toMatchObject({ sent: 0, rejected: 2, unavailable: false });
      for (const r of service.releases.list())
        expect(service.releases.outboxState(r.id)).toMatchObject({ state: 'rejected' });
      // Nothing reached the consumer (a round trip through the broker shows it is quiet).
      const probe = await mqtt.connectAsync(broker.url, {
        clientId: 'probe',
        username: 'store-1',
        password: broker.files.stores.get('store-1') as string,
        ca: broker.caPem,
        protocolVersion: 5,
      });
      clients.push(probe);
      await probe.publishAsync(releaseTopic('store-1', 'probe'), Buffer.from('{}'), { qos: 1 });
      await until(() => received.length === 1);
      expect(received.map((m) => m.topic)).toEqual([releaseTopic('store-1', 'probe')]);
    } finally {
      await sender.close();
    }
  });
});
