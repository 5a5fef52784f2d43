import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { createLogger } from '../../shared/ports/logger.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { presenceTopic } from '../../shared/protocol/topics.ts';
import { startTestHub, TEST_STORE, type TestHub } from '../helpers/hub-fixtures.ts';

let hubs: TestHub[] = [];
afterEach(async () => {
  for (const t of hubs) await t.stop();
  hubs = [];
});

function capture(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

const batch = (gateway: string, seq: number, extra = 0): Buffer => {
  const now = Math.floor(Date.now() / 1000);
  const payload = JSON.parse(
    encodePayload('PresenceBatch', {
      v: 1,
      gateway,
      seq,
      windowStart: now - (now % 10) - 20,
      windowSeconds: 10,
      sightings: [],
      dropped: 0,
    }).toString(),
  ) as Record<string, unknown>;
  return Buffer.from(JSON.stringify(extra > 0 ? { ...payload, pad: 'x'.repeat(extra) } : payload));
};

describe('hub broker limits', () => {
  it('cuts off a packet larger than maxPacketBytes and counts it', async () => {
    const t = await startTestHub({
      gateways: [{ id: 'gw-1', zone: 'z' }],
      config: { broker: { maxPacketBytes: 2048 } },
    });
    hubs.push(t);
    const client = await t.connectGateway('gw-1');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(presenceTopic(TEST_STORE, 'gw-1'), batch('gw-1', 1, 4096), { qos: 1 });
    await closed;
    client.end(true);
    expect(t.hub.stats().oversizedPackets).toBe(1);
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM batches').get()).toEqual({ n: 0 });
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM quarantine').get()).toEqual({ n: 0 });
  });

  it('limits the publish rate per gateway across reconnects, refusing (and logging once) past the bucket', async () => {
    const { logger, lines } = capture();
    const t = await startTestHub({
      gateways: [{ id: 'gw-1', zone: 'z' }],
      config: { broker: { publishRatePerSecond: 0.1, publishBurst: 2 } },
      logger,
    });
    hubs.push(t);
    for (let attempt = 0; attempt < 2; attempt++) {
      const client = await t.connectGateway('gw-1', { clientId: 'gw-1-fixed' });
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      for (let seq = 1; seq <= 3; seq++)
        client.publish(presenceTopic(TEST_STORE, 'gw-1'), batch('gw-1', attempt * 10 + seq), { qos: 1 });
      await closed;
      client.end(true);
    }
    expect(t.hub.stats().rateLimited).toBeGreaterThanOrEqual(2);
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM batches').get()).toEqual({ n: 2 });
    const refusals = lines.filter((l) => l.msg === 'broker refused' && l.reason === 'publish rate exceeded');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ clientId: 'gw-1-fixed', gateway: 'gw-1' });
    expect(JSON.stringify(lines)).not.toContain(t.credentials.get('gw-1'));
  });

  it('refuses connections beyond maxClients (CONNACK 3) and logs a bad credential once per client id', async () => {
    const { logger, lines } = capture();
    const t = await startTestHub({
      gateways: [
        { id: 'gw-1', zone: 'z' },
        { id: 'gw-2', zone: 'z' },
      ],
      config: { broker: { maxClients: 1 } },
      logger,
    });
    hubs.push(t);
    const first = await t.connectGateway('gw-1');
    await expect(t.connectGateway('gw-2')).rejects.toThrow(/Server unavailable/i);
    await first.endAsync();
    for (let i = 0; i < 3; i++)
      await expect(t.connectGateway('gw-2', { clientId: 'gw-2-x', credential: 'wrong' })).rejects.toThrow(
        /Bad username or password/i,
      );
    expect(lines.filter((l) => l.reason === 'bad username or credential')).toHaveLength(1);
    expect(t.hub.stats().refusedConnections).toBe(4);
    expect(JSON.stringify(lines)).not.toContain('"wrong"');
  });

  it('offers a plain listener on 127.0.0.1 only when enabled', async () => {
    const t = await startTestHub({
      gateways: [{ id: 'gw-1', zone: 'z' }],
      config: { broker: { plain: { enabled: true, port: 0 } } },
    });
    hubs.push(t);
    expect(t.hub.ports.mqtt).toBeGreaterThan(0);
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.hub.ports.mqtt}`, {
      username: 'gw-1',
      password: t.credentials.get('gw-1') as string,
      reconnectPeriod: 0,
    });
    await client.publishAsync(presenceTopic(TEST_STORE, 'gw-1'), batch('gw-1', 1), { qos: 1 });
    await client.endAsync();
    expect(t.hub.stats().batches).toBe(1);
    const off = await startTestHub();
    hubs.push(off);
    expect(off.hub.ports.mqtt).toBeNull();
  });
});
