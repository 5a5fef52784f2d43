import { createHash } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogger } from '../../gateway/testing/harness.ts';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { presenceTopic, statusTopic } from '../../shared/protocol/topics.ts';
import { startTestHub, TEST_STORE, type TestHub } from '../helpers/hub-fixtures.ts';

/**
 * No identity key, bearer token, gateway credential or admin token ever appears in a hub log
 * line (at trace level, through enrollment, ingest, a refused login, a quarantined payload, an
 * erasure) or in anything the hub publishes over MQTT.
 */
describe('hub secrets never reach logs or MQTT', () => {
  const captured = captureLogger('trace');
  let t: TestHub;
  const published: Buffer[] = [];
  const secrets: Array<[string, string]> = [];

  beforeAll(async () => {
    t = await startTestHub({ logger: captured.logger, gateways: [{ id: 'gw-1', zone: 'produce' }] });
    t.hub.events.on('zoneEnter', () => undefined);
  });
  afterAll(async () => {
    await t.stop();
  });

  it('runs a busy session and then scans every log line and published byte', async () => {
    const enrolled = (
      await t.request('POST', '/v1/shoppers', { body: { consent: { presenceForOffers: true, analytics: true } } })
    ).body as { id: string; identityKey: string; token: string };
    const credential = t.credentials.get('gw-1') as string;
    secrets.push(
      ['identity key', enrolled.identityKey],
      ['identity key (base64)', Buffer.from(enrolled.identityKey, 'hex').toString('base64')],
      ['bearer token', enrolled.token],
      ['token hash', createHash('sha256').update(enrolled.token).digest('hex')],
      ['gateway credential', credential],
      ['admin token', t.adminToken],
    );

    // Everything the hub publishes, seen by a gateway allowed to read its own commands and the clock.
    const gw = await t.connectGateway('gw-1');
    gw.on('message', (_topic, payload) => published.push(Buffer.from(payload)));
    await gw.subscribeAsync([`hushpoint/v1/${TEST_STORE}/hub/clock`, `hushpoint/v1/${TEST_STORE}/gateways/gw-1/cmd/+`]);
    const now = Math.floor(Date.now() / 1000);
    const windowStart = now - (now % 10) - 10;
    const eid = computeEidHex({
      identityKey: Buffer.from(enrolled.identityKey, 'hex'),
      exponent: 9,
      counter: windowStart,
    });
    await gw.publishAsync(
      presenceTopic(TEST_STORE, 'gw-1'),
      encodePayload('PresenceBatch', {
        v: 1,
        gateway: 'gw-1',
        seq: 1,
        windowStart,
        windowSeconds: 10,
        sightings: [{ eid, band: 'near', hits: 4 }],
        dropped: 0,
      }),
      { qos: 1 },
    );
    await gw.publishAsync(statusTopic(TEST_STORE, 'gw-1'), Buffer.from(`{"credential":"${credential}"}`), {
      qos: 1,
      retain: true,
    });
    const reply = t.hub.sendCommand('gw-1', 'identify', { seconds: 1 }, { timeoutMs: 500 }).catch(() => null);
    await reply;

    // A refused login with a wrong password that looks like the real one, and the real one as a username.
    const refused = mqtt.connect(t.mqttsUrl(), {
      ca: t.caPem,
      username: 'gw-1',
      password: `${credential}x`,
      reconnectPeriod: 0,
      connectTimeout: 2000,
    });
    await new Promise<void>((resolve) => {
      refused.once('error', () => resolve());
      refused.once('close', () => resolve());
    });
    refused.end(true);

    expect((await t.request('GET', '/v1/me', { token: enrolled.token })).status).toBe(200);
    expect((await t.request('GET', '/v1/me', { token: `${enrolled.token}0` })).status).toBe(401);
    expect((await t.request('DELETE', '/v1/me', { token: enrolled.token })).status).toBe(204);
    await t.hub.finalizePresence({ all: true });
    await gw.endAsync();

    const logs = captured.lines.join('\n');
    expect(captured.lines.length).toBeGreaterThan(5);
    expect(logs).toMatch(/quarantin/);
    for (const [what, value] of secrets) {
      expect(logs.includes(value), `${what} in a log line`).toBe(false);
      expect(
        published.some((p) => p.includes(value)),
        `${what} in an MQTT publish`,
      ).toBe(false);
    }
  });
});
