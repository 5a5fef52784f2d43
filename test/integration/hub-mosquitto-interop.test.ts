import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { clockTopic, filters, presenceTopic } from '../../shared/protocol/topics.ts';
import { startTestHub, TEST_STORE, type TestHub } from '../helpers/hub-fixtures.ts';

/**
 * Interop with Debian's mosquitto clients (mosquitto_pub / mosquitto_sub) as gateways over the
 * hub's TLS listener, verifying the server certificate against the store CA (--cafile).
 */
const PUB = '/usr/bin/mosquitto_pub';
const SUB = '/usr/bin/mosquitto_sub';
const missing = [PUB, SUB].filter((bin) => !existsSync(bin));
if (missing.length > 0 && process.env.CI) {
  throw new Error(
    `${missing.join(', ')} not installed: CI must install Debian's mosquitto-clients (apt-get install mosquitto-clients)`,
  );
}
if (missing.length > 0)
  console.warn(`skipping mosquitto interop: ${missing.join(', ')} not installed (apt-get install mosquitto-clients)`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[], timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(missing.length > 0)('hub ⇄ mosquitto_pub / mosquitto_sub over TLS', () => {
  let t: TestHub;
  let credential: string;
  let revokedCredential: string;
  const now = Math.floor(Date.now() / 1000);
  const windowStart = now - (now % 10) - 30;
  let shopper: { pk: number; key: Buffer };

  beforeAll(async () => {
    t = await startTestHub({
      gateways: [
        { id: 'gw-a', zone: 'produce' },
        { id: 'gw-b', zone: 'bakery' },
        { id: 'gw-old', zone: 'dairy' },
      ],
    });
    credential = t.credentials.get('gw-a') as string;
    revokedCredential = t.credentials.get('gw-old') as string;
    t.hub.gateways.revoke('gw-old');
    const enrolled = t.hub.shoppers.enroll({ exponent: 9, consent: { presenceForOffers: true, analytics: true } });
    shopper = { pk: enrolled.shopper.pk, key: enrolled.shopper.identityKey };
  });
  afterAll(async () => {
    await t?.stop();
  });

  const common = (user: string, password: string): string[] => [
    '-h',
    '127.0.0.1',
    '-p',
    String(t.hub.ports.mqtts),
    '--cafile',
    t.caFile,
    '-u',
    user,
    '-P',
    password,
    '-i',
    `${user}-mosq`,
  ];

  it('accepts the right credential and stores the batch (QoS 1)', async () => {
    const payload = encodePayload('PresenceBatch', {
      v: 1,
      gateway: 'gw-a',
      seq: 1,
      windowStart,
      windowSeconds: 10,
      sightings: [
        { eid: computeEidHex({ identityKey: shopper.key, exponent: 9, counter: windowStart }), band: 'mid', hits: 4 },
      ],
      dropped: 0,
    });
    const result = await run(PUB, [
      ...common('gw-a', credential),
      '-q',
      '1',
      '-t',
      presenceTopic(TEST_STORE, 'gw-a'),
      '-m',
      payload.toString(),
    ]);
    expect(result).toMatchObject({ code: 0 });
    expect(t.hub.db.prepare('SELECT shopper_pk, zone, band, hits FROM sightings').all()).toEqual([
      { shopper_pk: shopper.pk, zone: 'produce', band: 1, hits: 4 },
    ]);
  });

  it('refuses a wrong credential (CONNACK 4)', async () => {
    const before = t.hub.stats().refusedConnections;
    const result = await run(PUB, [
      ...common('gw-a', 'not-the-credential'),
      '-q',
      '1',
      '-t',
      presenceTopic(TEST_STORE, 'gw-a'),
      '-m',
      '{}',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/bad user ?name or password/i);
    expect(t.hub.stats().refusedConnections).toBe(before + 1);
  });

  it('refuses a revoked gateway (CONNACK 5)', async () => {
    const result = await run(PUB, [
      ...common('gw-old', revokedCredential),
      '-q',
      '1',
      '-t',
      presenceTopic(TEST_STORE, 'gw-old'),
      '-m',
      '{}',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not authori[sz]ed/i);
  });

  it("refuses a publish to another gateway's topic: nothing stored, refusal counted", async () => {
    const before = t.hub.stats().refusedPublishes;
    const payload = encodePayload('PresenceBatch', {
      v: 1,
      gateway: 'gw-b',
      seq: 9,
      windowStart,
      windowSeconds: 10,
      sightings: [],
      dropped: 0,
    });
    const result = await run(PUB, [
      ...common('gw-a', credential),
      '-q',
      '1',
      '-t',
      presenceTopic(TEST_STORE, 'gw-b'),
      '-m',
      payload.toString(),
    ]);
    expect(result.code).not.toBe(0);
    expect(t.hub.db.prepare("SELECT COUNT(*) AS n FROM batches WHERE gateway = 'gw-b'").get()).toEqual({ n: 0 });
    expect(t.hub.stats().refusedPublishes).toBe(before + 1);
  });

  it('acknowledges a malformed payload (mosquitto_pub -q 1 exits 0) and quarantines it', async () => {
    const result = await run(PUB, [
      ...common('gw-a', credential),
      '-q',
      '1',
      '-t',
      presenceTopic(TEST_STORE, 'gw-a'),
      '-m',
      '{"v":1,"gateway":"gw-a","seq":"two"}',
    ]);
    expect(result).toMatchObject({ code: 0 });
    const row = t.hub.db.prepare('SELECT gateway, topic, problems, payload FROM quarantine').get() as {
      gateway: string;
      topic: string;
      problems: string;
      payload: Buffer;
    };
    expect(row.gateway).toBe('gw-a');
    expect(row.payload.toString()).toBe('{"v":1,"gateway":"gw-a","seq":"two"}');
    expect(JSON.parse(row.problems)).toEqual(
      expect.arrayContaining([
        { path: '/seq', message: expect.stringMatching(/expected integer/) },
        { path: '/windowStart', message: 'is required' },
        { path: '/sightings', message: 'is required' },
      ]),
    );
  });

  it("lets mosquitto_sub receive the hub clock, and denies another gateway's commands", async () => {
    const clock = await run(SUB, [
      ...common('gw-a', credential),
      '-q',
      '1',
      '-t',
      clockTopic(TEST_STORE),
      '-C',
      '1',
      '-W',
      '10',
    ]);
    expect(clock.code).toBe(0);
    expect(JSON.parse(clock.stdout)).toEqual({ v: 1, hubTimeMs: expect.any(Number) });
    const before = t.hub.stats().refusedSubscriptions;
    const denied = await run(SUB, [
      ...common('gw-a', credential),
      '-q',
      '1',
      '-t',
      filters.gatewayCommands(TEST_STORE, 'gw-b'),
      '-C',
      '1',
      '-W',
      '3',
    ]);
    // SUBACK 0x80: mosquitto_sub reports it and gives up (its exit code is 0 in 2.0).
    expect(denied.stderr).toMatch(/All subscription requests were denied/);
    expect(denied.stdout).toBe('');
    expect(t.hub.stats().refusedSubscriptions).toBe(before + 1);
  });
});
