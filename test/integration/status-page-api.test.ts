import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { commandTopic, presenceTopic, replyTopic, statusTopic } from '../../shared/protocol/topics.ts';
import type { GatewayStatus } from '../../shared/protocol/messages.ts';
import { packageVersion } from '../../shared/version.ts';
import { TEST_STORE } from '../helpers/hub-fixtures.ts';
import { startStatusHub, type StatusHub } from './status-page-fixture.ts';

interface ViewGateway {
  id: string;
  zone: string;
  connection: string;
  advertsPerSecond: number | null;
  outboxDepth: number | null;
  clockOffsetMs: number | null;
  clockLevel: string;
  version: string | null;
  versionMismatch: boolean;
  lastSeenMs: number | null;
  lastSeenAgoSeconds: number | null;
}
interface View {
  store: string;
  hub: { version: string; timeMs: number };
  refreshSeconds: number;
  gateways: { total: number; online: number; items: ViewGateway[] };
  quarantine: {
    total: number;
    latest: Array<{ gateway: string; topic: string; reason: string; problems: number; bytes: number; excerpt: string }>;
  };
  counters: Array<{ group: string; items: Array<{ name: string; value: number }> }>;
  releases: Record<string, unknown>;
  budget: Record<string, unknown>;
}

let hubs: StatusHub[] = [];
afterEach(async () => {
  for (const t of hubs) await t.stop();
  hubs = [];
});

async function start(options: Parameters<typeof startStatusHub>[0] = {}): Promise<StatusHub> {
  const t = await startStatusHub(options);
  hubs.push(t);
  return t;
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function counter(view: View, name: string): number | undefined {
  return view.counters.flatMap((g) => g.items).find((i) => i.name === name)?.value;
}

/** A real mqtt.js client logged in as the gateway answers identify commands as a gateway does. */
async function answerCommands(
  client: MqttClient,
  gateway: string,
  received: string[],
  answer: (transaction: string, seconds: number | undefined) => unknown,
): Promise<void> {
  client.on('message', (topic, payload) => {
    if (topic !== commandTopic(TEST_STORE, gateway, 'identify')) return;
    const command = JSON.parse(payload.toString()) as { transaction: string; args?: { seconds?: number } };
    received.push(command.transaction);
    // The hub has the reply once it is committed; the PUBACK may still be on its way when the test ends.
    client
      .publishAsync(
        replyTopic(TEST_STORE, gateway, 'identify'),
        JSON.stringify(answer(command.transaction, command.args?.seconds)),
        { qos: 1 },
      )
      .catch(() => undefined);
  });
  await client.subscribeAsync(commandTopic(TEST_STORE, gateway, 'identify'), { qos: 1 });
}

describe('technician status API: access', () => {
  it('answers 401 without a credential, 403 for a wrong token, and 200 for the technician token', async () => {
    const t = await start({ gateways: [{ id: 'gw-1', zone: 'entrance' }] });
    const none = await t.call('GET', '/v1/technician/status');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="hushpoint technician"');
    expect(none.body).toMatchObject({
      error: { code: 'AUTH_BAD_CREDENTIAL', message: expect.stringContaining('Bearer <technician token>') },
    });

    const malformed = await t.call('GET', '/v1/technician/status', {
      headers: { authorization: `Basic ${t.technicianToken}` },
    });
    expect(malformed.status).toBe(401);
    const wrong = await t.call('GET', '/v1/technician/status', { headers: bearer(`${t.technicianToken}x`) });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual({
      error: { code: 'AUTH_FORBIDDEN', message: 'The bearer token is not the technician token' },
    });
    const admin = await t.call('GET', '/v1/technician/status', { headers: bearer(t.adminToken) });
    expect(admin.status).toBe(403);
    const unknownSession = await t.call('GET', '/v1/technician/status', {
      headers: { cookie: 'hp_technician=not-a-session' },
    });
    expect(unknownSession.status).toBe(401);
    expect(unknownSession.body).toMatchObject({ error: { message: expect.stringContaining('sign in again') } });

    const identifyNone = await t.call('POST', '/v1/technician/gateways/gw-1/identify', { body: {} });
    expect(identifyNone.status).toBe(401);
    const identifyWrong = await t.call('POST', '/v1/technician/gateways/gw-1/identify', {
      headers: bearer('wrong-token-0123456789'),
      body: {},
    });
    expect(identifyWrong.status).toBe(403);

    const ok = await t.call('GET', '/v1/technician/status', { headers: bearer(t.technicianToken) });
    expect(ok.status).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    expect((ok.body as View).store).toBe(TEST_STORE);
  });

  it('is disabled, saying which setting is missing, when hub.yaml names no technician token file', async () => {
    const t = await start({ technicianToken: false });
    const res = await t.call('GET', '/v1/technician/status', { headers: bearer('any-token-0123456789') });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: {
        code: 'AUTH_FORBIDDEN',
        message: 'The technician page is disabled: hub.yaml names no api.technicianTokenFile',
      },
    });
    const login = await t.call('POST', '/v1/technician/session', { body: { token: 'any-token-0123456789' } });
    expect(login.status).toBe(403);
  });

  it('signs a browser in with an HttpOnly, Secure, SameSite=Strict session cookie, checks the origin of changes, and signs it out', async () => {
    const t = await start({ gateways: [{ id: 'gw-1', zone: 'entrance' }] });
    const origin = `https://127.0.0.1:${t.hub.ports.api}`;
    const empty = await t.call('POST', '/v1/technician/session', { body: {} });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ error: { code: 'API_BAD_REQUEST', field: '/token' } });
    const wrong = await t.call('POST', '/v1/technician/session', {
      headers: { origin },
      body: { token: 'not-the-token-0123456789' },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const foreign = await t.call('POST', '/v1/technician/session', {
      headers: { origin: 'https://evil.example' },
      body: { token: t.technicianToken },
    });
    expect(foreign.status).toBe(403);

    const login = await t.call('POST', '/v1/technician/session', {
      headers: { origin },
      body: { token: t.technicianToken },
    });
    expect(login.status).toBe(204);
    const setCookie = login.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(
      /^hp_technician=[A-Za-z0-9_-]{43}; Path=\/v1\/technician; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/,
    );
    expect(setCookie).not.toContain(t.technicianToken);
    const cookie = setCookie.split(';')[0] as string;

    const status = await t.call('GET', '/v1/technician/status', { headers: { cookie } });
    expect(status.status).toBe(200);
    // A change with the cookie must come from the hub's own page.
    const noOrigin = await t.call('POST', '/v1/technician/gateways/gw-9/identify', { headers: { cookie }, body: {} });
    expect(noOrigin.status).toBe(403);
    const evil = await t.call('POST', '/v1/technician/gateways/gw-9/identify', {
      headers: { cookie, origin: 'https://evil.example' },
      body: {},
    });
    expect(evil.status).toBe(403);
    const own = await t.call('POST', '/v1/technician/gateways/gw-9/identify', {
      headers: { cookie, origin },
      body: {},
    });
    expect(own.status).toBe(404);
    expect(own.body).toEqual({ error: { code: 'API_NOT_FOUND', message: 'No gateway "gw-9" is registered' } });

    const logout = await t.call('DELETE', '/v1/technician/session', { headers: { cookie, origin } });
    expect(logout.status).toBe(204);
    expect(logout.headers['set-cookie']?.[0]).toContain('hp_technician=; Path=/v1/technician; Max-Age=0');
    expect((await t.call('GET', '/v1/technician/status', { headers: { cookie } })).status).toBe(401);

    // Wrong tokens are limited per address: a burst of 10, then 429.
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push(
        (await t.call('POST', '/v1/technician/session', { body: { token: `guess-${i}-0123456789` } })).status,
      );
    expect(statuses.slice(0, 9)).toEqual(new Array(9).fill(403));
    expect(statuses.slice(9)).toEqual([429, 429]);
    // The right token still works (only failures are limited).
    expect((await t.call('POST', '/v1/technician/session', { body: { token: t.technicianToken } })).status).toBe(204);
  });

  it('serves the page and its two files without credentials and with a strict content security policy', async () => {
    const t = await start();
    const page = await t.call('GET', '/status');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.text).toContain('<script src="/status/assets/status.js" defer></script>');
    expect(page.text).not.toContain(TEST_STORE); // the page holds no data; the API does
    const js = await t.call('GET', '/status/assets/status.js');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.text).not.toMatch(/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write/);
    expect((await t.call('GET', '/status/assets/status.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await t.call('GET', '/status/assets/index.html')).status).toBe(404);
    expect((await t.call('GET', '/status/assets/..%2Fapp.ts')).status).toBe(404);
  });
});

describe('technician status API: content', () => {
  it('shows a gateway from its real status message, the ones never seen or revoked, quarantined payloads and counters', async () => {
    const t = await start({
      gateways: [
        { id: 'gw-1', zone: 'entrance' },
        { id: 'gw-2', zone: 'checkout' },
        { id: 'gw-3', zone: 'bakery' },
      ],
    });
    t.hub.gateways.revoke('gw-3');
    const offline: GatewayStatus = { v: 1, gateway: 'gw-1', state: 'offline', version: '0.0.9-old' };
    const client = await t.connectGateway('gw-1', {
      will: {
        topic: statusTopic(TEST_STORE, 'gw-1'),
        payload: Buffer.from(JSON.stringify(offline)),
        qos: 1,
        retain: true,
      },
    });
    const status: GatewayStatus = {
      v: 1,
      gateway: 'gw-1',
      state: 'online',
      zone: 'entrance',
      version: '0.0.9-old',
      at: Math.floor(Date.now() / 1000),
      uptimeSeconds: 7260,
      advertsPerSecond: 42.5,
      optInSightingsPerWindow: 3.2,
      outboxDepth: 17,
      dropped: 0,
      adapterState: 'poweredOn',
      resets: 0,
      reconnects: 1,
      clockOffsetMs: -2750,
      rssMb: 58.1,
    };
    await client.publishAsync(statusTopic(TEST_STORE, 'gw-1'), JSON.stringify(status), { qos: 1, retain: true });
    const hostile = `{"v":1,"gateway":"gw-1","seq":-1,"note":"<img src=x onerror=alert(1)>${'A'.repeat(400)}"}`;
    await client.publishAsync(presenceTopic(TEST_STORE, 'gw-1'), hostile, { qos: 1 });

    const res = await t.call('GET', '/v1/technician/status', { headers: bearer(t.technicianToken) });
    expect(res.status).toBe(200);
    const view = res.body as View;
    expect(view.hub.version).toBe(packageVersion());
    expect(view.refreshSeconds).toBe(5);
    expect(view.gateways).toMatchObject({ total: 2, online: 1 });
    const [gw1, gw2, gw3] = view.gateways.items;
    expect(gw1).toMatchObject({
      id: 'gw-1',
      zone: 'entrance',
      connection: 'online',
      advertsPerSecond: 42.5,
      outboxDepth: 17,
      clockOffsetMs: -2750,
      clockLevel: 'warn',
      version: '0.0.9-old',
      versionMismatch: true,
      lastSeenAgoSeconds: 0,
    });
    expect(Math.abs((gw1?.lastSeenMs ?? 0) - Date.now())).toBeLessThan(5000);
    expect(gw2).toMatchObject({
      id: 'gw-2',
      zone: 'checkout',
      connection: 'unknown',
      lastSeenMs: null,
      advertsPerSecond: null,
    });
    expect(gw3).toMatchObject({ id: 'gw-3', connection: 'revoked' });

    expect(view.quarantine.total).toBe(1);
    const q = view.quarantine.latest[0];
    expect(q).toMatchObject({
      gateway: 'gw-1',
      topic: presenceTopic(TEST_STORE, 'gw-1'),
      bytes: Buffer.byteLength(hostile),
    });
    expect(q?.reason).toMatch(/^\/\S* .+/);
    expect(q?.problems).toBeGreaterThan(0);
    expect(q?.excerpt).toBe(`${hostile.slice(0, 48)}…`);
    expect(res.text).not.toContain('A'.repeat(50)); // never more than the excerpt of a payload

    expect(counter(view, 'statusMessages')).toBe(1);
    expect(counter(view, 'quarantined')).toBe(1);

    // The last will (the connection drops): offline, no figures from it, the version kept.
    client.stream.destroy();
    await until(() => t.hub.gateways.get('gw-1')?.state === 'offline', 'the offline will');
    const after = (await t.call('GET', '/v1/technician/status', { headers: bearer(t.technicianToken) })).body as View;
    expect(after.gateways.online).toBe(0);
    expect(after.gateways.items[0]).toMatchObject({
      connection: 'offline',
      advertsPerSecond: null,
      outboxDepth: null,
      version: '0.0.9-old',
    });
  });

  it('identifies a gateway: publishes the command with a transaction id and returns the reply from reply/identify', async () => {
    const t = await start({
      gateways: [
        { id: 'gw-1', zone: 'entrance' },
        { id: 'gw-2', zone: 'checkout' },
        { id: 'gw-3', zone: 'bakery' },
      ],
    });
    const client = await t.connectGateway('gw-1');
    const received: string[] = [];
    await answerCommands(client, 'gw-1', received, (transaction, seconds) => ({
      v: 1,
      transaction,
      ok: true,
      data: { seconds },
    }));

    const res = await t.call('POST', '/v1/technician/gateways/gw-1/identify', {
      headers: bearer(t.technicianToken),
      body: { seconds: 7 },
    });
    expect(res.status).toBe(200);
    expect(received).toHaveLength(1);
    expect(res.body).toMatchObject({ gateway: 'gw-1', transaction: received[0], ok: true, data: { seconds: 7 } });
    expect((res.body as { roundTripMs: number }).roundTripMs).toBeGreaterThanOrEqual(0);

    // No body: the default 10 s.
    const plain = await t.call('POST', '/v1/technician/gateways/gw-1/identify', { headers: bearer(t.technicianToken) });
    expect(plain.body).toMatchObject({ ok: true, data: { seconds: 10 }, transaction: received[1] });
    expect(received[1]).not.toBe(received[0]);

    const bad = await t.call('POST', '/v1/technician/gateways/gw-1/identify', {
      headers: bearer(t.technicianToken),
      body: { seconds: 0 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'API_BAD_REQUEST', field: '/seconds' } });
    expect(
      (await t.call('POST', '/v1/technician/gateways/nope/identify', { headers: bearer(t.technicianToken), body: {} }))
        .status,
    ).toBe(404);
    t.hub.gateways.revoke('gw-3');
    const revoked = await t.call('POST', '/v1/technician/gateways/gw-3/identify', {
      headers: bearer(t.technicianToken),
      body: {},
    });
    expect(revoked.status).toBe(409);

    // A gateway that does not answer: 504 naming the gateway and the wait.
    const started = Date.now();
    const silent = await t.call('POST', '/v1/technician/gateways/gw-2/identify', {
      headers: bearer(t.technicianToken),
      body: {},
    });
    expect(silent.status).toBe(504);
    expect(silent.body).toEqual({
      error: { code: 'MQTT_UNREACHABLE', message: 'gateway "gw-2" did not reply to "identify" within 5000 ms' },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
  });

  it('passes on a gateway that refuses the command', async () => {
    const t = await start({ gateways: [{ id: 'gw-1', zone: 'entrance' }] });
    const client = await t.connectGateway('gw-1');
    await answerCommands(client, 'gw-1', [], (transaction) => ({
      v: 1,
      transaction,
      ok: false,
      error: { code: 'GPIO_UNAVAILABLE', message: 'no LEDs on this Pi' },
    }));
    const res = await t.call('POST', '/v1/technician/gateways/gw-1/identify', {
      headers: bearer(t.technicianToken),
      body: { seconds: 3 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      gateway: 'gw-1',
      ok: false,
      error: { code: 'GPIO_UNAVAILABLE', message: 'no LEDs on this Pi' },
    });
  });
});
