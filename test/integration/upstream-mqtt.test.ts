import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { filters, releaseTopic } from '../../shared/protocol/topics.ts';
import { decodeReleasePayload } from '../../shared/upstream/release-payload.ts';
import { createMqttSender } from '../../hub/privacy/adapters/mqtt-sender.ts';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { addPresence, addShoppers, makeService, openTestDb, type TestDb } from './releases-fixtures.ts';

/**
 * Upstream over MQTT: each release is published at QoS 1 to a real (aedes) broker on
 * hushpoint/v1/{store}/releases/{kind} with the stored body as payload; while the broker is
 * down the sync backs off, and after it is back the release arrives with the same bytes.
 */

const T0 = Date.parse('2026-11-28T08:00:00Z');
const H = 3_600_000;

let t: TestDb | null = null;
let broker: TestBroker | null = null;
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  await broker?.close();
  broker = null;
  t?.close();
  t = null;
});

async function subscriber(url: string, received: Array<{ topic: string; payload: Buffer }>): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { clientId: `hq-${Date.now()}`, clean: false, reconnectPeriod: 100 });
  clients.push(client);
  client.on('message', (topic, payload) => received.push({ topic, payload: Buffer.from(payload) }));
  await client.subscribeAsync(filters.allReleases(), { qos: 1 });
  return client;
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('upstream over MQTT', () => {
  it('publishes each stored release at QoS 1 and re-sends it verbatim after the broker was down', async () => {
    broker = await startBroker();
    const port = broker.port;
    const received: Array<{ topic: string; payload: Buffer }> = [];
    await subscriber(broker.url, received);
    t = openTestDb();
    const [a] = addShoppers(t.db, 1) as [number];
    addPresence(t.db, a, 'bakery', T0 / 1000, 3);
    addPresence(t.db, a, 'dairy', (T0 + H) / 1000, 3);
    const clock = new FakeClock(T0);
    const sender = createMqttSender({
      url: broker.url,
      store: 'store-1',
      timeoutMs: 2000,
      logger: silentLogger(),
      reconnectMs: 100,
    });
    const service = makeService(t.db, {
      random: new CryptoRandomSource(),
      clock,
      firstPeriodMs: T0,
      sender,
      upstream: { enabled: true, transport: 'mqtt', url: broker.url, backoff: { initialSeconds: 1, maxSeconds: 1 } },
    });
    try {
      await service.runHourly(T0 + H + 5 * 60_000);
      expect(await service.syncUpstream(T0 + H + 5 * 60_000)).toMatchObject({ sent: 3, unavailable: false });
      await until(() => received.length === 3);
      for (const message of received) {
        const decoded = decodeReleasePayload(message.payload);
        expect(decoded.ok).toBe(true);
        const id = decoded.ok ? decoded.value.release : '';
        expect(message.topic).toBe(releaseTopic('store-1', id.split(':')[0] as string));
        expect(message.payload.equals(service.releases.get(id)?.body as Buffer)).toBe(true);
      }

      // The broker goes away: the next hour's releases wait in the outbox.
      await broker.close();
      broker = null;
      await service.runHourly(T0 + 2 * H + 5 * 60_000);
      expect(await service.syncUpstream(T0 + 2 * H + 5 * 60_000)).toMatchObject({ sent: 0, unavailable: true });
      expect(service.releases.outbox().pending).toBe(3);

      broker = await startBroker({ port });
      await subscriber(broker.url, received);
      let report = await service.syncUpstream(T0 + 2 * H + 7 * 60_000);
      for (let i = 0; i < 20 && report.sent < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        report = await service.syncUpstream(T0 + 2 * H + 8 * 60_000 + i * 2000);
      }
      expect(service.releases.outbox().pending).toBe(0);
      await until(() => received.length === 6);
      const later = received.slice(3);
      for (const message of later) {
        const id = (JSON.parse(message.payload.toString()) as { release: string }).release;
        expect(id.endsWith('T09:00+00:00')).toBe(true);
        expect(message.payload.equals(service.releases.get(id)?.body as Buffer)).toBe(true);
      }
    } finally {
      await sender.close();
    }
  });
});
