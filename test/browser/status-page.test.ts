import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInjectedHciSource, NoHardwareGpioIo, JohnnyFiveLeds } from '../../gateway/mod.ts';
import { createGateway, type Gateway } from '../../gateway/app.ts';
import { gatewayWorkspace, waitFor, type GatewayWorkspace } from '../../gateway/testing/harness.ts';
import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { presenceTopic, statusTopic } from '../../shared/protocol/topics.ts';
import { packageVersion } from '../../shared/version.ts';
import { freePort } from '../helpers/broker.ts';
import { TEST_STORE } from '../helpers/hub-fixtures.ts';
import { startStatusHub, type StatusHub } from '../integration/status-page-fixture.ts';

/**
 * The technician status page in Debian's chromium (playwright-core): a real hub, a real gateway
 * (gateway/mod.ts) connected over TLS and fed adverts through noble's parser, real MQTT clients
 * for a gateway that went offline and one that sends a hostile bad payload. The test signs in
 * with the token, checks the rows and numbers, clicks Identify and sees the gateway's reply,
 * waits for a refresh, takes screenshots (test-output/) and checks a phone viewport for
 * horizontal overflow.
 */

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const OUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

if (!HAVE_CHROMIUM && process.env.CI === undefined) {
  console.warn(
    `status page browser test skipped: ${CHROMIUM} is missing (apt-get install chromium); it fails instead when CI is set`,
  );
}

describe.runIf(!HAVE_CHROMIUM && process.env.CI !== undefined)('status page in chromium (CI)', () => {
  it('needs Debian chromium', () => {
    throw new Error(
      `${CHROMIUM} is missing: .ci/run installs the chromium package; the browser test must not be skipped in CI`,
    );
  });
});

const HOUR = 3_600_000;
// The hub's time: three whole hours ago, so one hour can be released during the test.
/** Midnight two days ago: the first day is over by the time its releases are computed. */
const T0 = Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR - 2 * 24 * HOUR;
const GW_BEHIND_MS = 1500;
const SHOPPERS = 6;

describe.runIf(HAVE_CHROMIUM)('status page in chromium', () => {
  const hubClock = new FakeClock(T0);
  const keyDir = mkdtempSync(join(tmpdir(), 'hp-status-browser-'));
  let gwClock: FakeClock;
  let t: StatusHub;
  let ws: GatewayWorkspace;
  let gateway: Gateway;
  let pump: NodeJS.Timeout | undefined;
  let hostile: MqttClient;
  let browser: Browser;
  let desktop: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const deadUpstream = await freePort();
    // The upstream signing key is read when the hub is built, so it lives outside the hub's folder.
    writeFileSync(join(keyDir, 'upstream.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    t = await startStatusHub({
      clock: hubClock,
      gateways: [
        { id: 'gw-entrance', zone: 'entrance' },
        { id: 'gw-checkout', zone: 'checkout' },
        { id: 'gw-bakery', zone: 'bakery' },
      ],
      config: {
        broker: { clockIntervalSeconds: 3600 },
        privacy: { timeZone: 'UTC' },
        upstream: {
          enabled: true,
          transport: 'https',
          url: `https://127.0.0.1:${deadUpstream}/v1/releases`,
          signingKeyFile: join(keyDir, 'upstream.key'),
          timeoutSeconds: 2,
        },
      },
    });

    // gw-bakery (a real MQTT client) hears six shoppers in the first hour, then goes offline.
    const keys = Array.from({ length: SHOPPERS }, (_, i) => Buffer.alloc(16, i + 1));
    t.hub.shoppers.import(keys.map((identityKey, i) => ({ id: `shopper-${i}`, identityKey, exponent: 9 })));
    hubClock.set(T0 + 20 * 60_000);
    const bakery = await t.connectGateway('gw-bakery');
    const windowStart = (T0 + 15 * 60_000) / 1000;
    const sightings = keys.map((identityKey) => ({
      eid: computeEidHex({ identityKey, exponent: 9, counter: windowStart }),
      band: 'near' as const,
      hits: 3,
    }));
    await bakery.publishAsync(
      presenceTopic(TEST_STORE, 'gw-bakery'),
      encodePayload('PresenceBatch', {
        v: 1,
        gateway: 'gw-bakery',
        seq: 1,
        windowStart,
        windowSeconds: 10,
        sightings,
        dropped: 0,
      }),
      { qos: 1 },
    );
    await bakery.publishAsync(
      statusTopic(TEST_STORE, 'gw-bakery'),
      JSON.stringify({ v: 1, gateway: 'gw-bakery', state: 'offline', version: packageVersion() }),
      { qos: 1, retain: true },
    );
    await bakery.endAsync();
    await t.hub.finalizePresence({ all: true });
    // The day is released (the ledger charges the six shoppers); the upstream collector is down.
    hubClock.set(T0 + 26 * HOUR);
    await t.hub.privacy.runDue(hubClock.now());
    await t.hub.privacy.syncUpstream(hubClock.now());

    // gw-checkout (a real MQTT client) sends a bad status carrying markup: it is quarantined.
    hostile = await t.connectGateway('gw-checkout');
    await hostile.publishAsync(statusTopic(TEST_STORE, 'gw-checkout'), '<img src=x onerror=window.__pwned=1>', {
      qos: 1,
    });

    // gw-entrance: a real gateway whose clock is 1.5 s behind the hub's, hearing 12 adverts/s.
    gwClock = new FakeClock(hubClock.now() - GW_BEHIND_MS);
    ws = gatewayWorkspace(
      {
        gateway: 'gw-entrance',
        zone: 'entrance',
        hub: { url: t.mqttsUrl(), caFile: 'ca.pem' },
        heartbeatSeconds: 5,
        ble: { watchdogSeconds: 3600 },
      },
      { credential: t.credentials.get('gw-entrance') as string },
    );
    writeFileSync(join(ws.dir, 'ca.pem'), t.caPem);
    const { source, inject } = createInjectedHciSource();
    const leds = await JohnnyFiveLeds.open({ io: 'none', pins: ws.config.leds, logger: silentLogger() });
    expect(leds.io).toBeInstanceOf(NoHardwareGpioIo);
    gateway = createGateway({
      config: ws.config,
      resolvePath: ws.resolvePath,
      ble: source,
      clock: gwClock,
      logger: silentLogger(),
      leds,
      rss: () => 48 * 1024 * 1024,
    });
    await gateway.start();
    await waitFor(() => gateway.stats().clockOffsetMs === GW_BEHIND_MS, 'the gateway to measure its clock offset');
    const advert = encodeAdvertisingReport({
      eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
      addressType: 'random',
      address: 'c3:11:22:33:44:55',
      data: Uint8Array.from([0x02, 0x01, 0x06, 0x05, 0xff, 0x4c, 0x00, 0x10, 0x01]),
      rssi: -70,
    });
    // 3 adverts per 250 ms of both clocks: 12 adverts/s, whenever the heartbeat fires.
    pump = setInterval(() => {
      for (let i = 0; i < 3; i++) inject(gwClock.now(), advert);
      gwClock.advance(250);
      hubClock.advance(250);
    }, 250);
    await waitFor(
      () => {
        const last = t.hub.gateways.get('gw-entrance')?.lastStatus;
        return (
          last !== null && last !== undefined && (last.advertsPerSecond ?? 0) > 0 && last.clockOffsetMs === GW_BEHIND_MS
        );
      },
      'a heartbeat with adverts and the clock offset',
      15_000,
    );

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    desktop = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    page = await desktop.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    if (pump !== undefined) clearInterval(pump);
    await browser?.close();
    await gateway?.stop();
    await t?.stop();
    ws?.remove();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('asks for the token, refuses a wrong one, and shows the store after signing in', async () => {
    await page.goto(t.apiUrl('/status'));
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
    await page.fill('#token', 'not-the-technician-token');
    await page.click('#sign-in');
    await expect.poll(() => page.textContent('#login-error')).toBe('That is not the technician token');
    await page.fill('#token', t.technicianToken);
    await page.click('#sign-in');
    await page.locator('#dashboard').waitFor({ state: 'visible' });
    expect(await page.textContent('#store')).toBe(TEST_STORE);
    expect(await page.textContent('#hub-version')).toBe(packageVersion());
    const cookies = await desktop.cookies();
    expect(cookies).toEqual([
      expect.objectContaining({
        name: 'hp_technician',
        httpOnly: true,
        secure: true,
        sameSite: 'Strict',
        path: '/v1/technician',
      }),
    ]);
    expect(await page.evaluate('document.cookie')).toBe('');
  });

  it('shows each gateway with its zone, state, last seen, adverts/s, outbox, clock offset and version', async () => {
    const row = page.locator('tr[data-gateway="gw-entrance"]');
    await row.waitFor();
    expect(await row.locator('td[data-label="Zone"]').textContent()).toBe('entrance');
    expect(await row.locator('[data-state]').textContent()).toBe('Online');
    expect(await row.locator('td[data-field="adverts"]').textContent()).toBe('12');
    expect(await row.locator('td[data-field="outbox"]').textContent()).toBe('0 windows');
    expect(await row.locator('td[data-field="clock"]').textContent()).toBe('+1.5 s');
    expect(await row.locator('td[data-field="version"]').textContent()).toBe(packageVersion());
    expect(await row.locator('td[data-label="Last seen"]').textContent()).toMatch(/^\d+ (s|min) ago$/);
    expect(await page.locator('tr[data-gateway="gw-bakery"] [data-state]').textContent()).toBe('Offline');
    expect(await page.locator('tr[data-gateway="gw-checkout"] [data-state]').textContent()).toBe('Never seen');
    expect(await page.locator('[data-tile="gateways"] .value').textContent()).toBe('1 / 3');
  });

  it('shows releases with their latest values ± 95%, the upstream backlog with its error, and the budget plan', async () => {
    const releases = await page.textContent('#releases');
    expect(releases).toContain('footfall');
    expect(await page.locator('[data-latest="footfall"]').textContent()).toMatch(/bakery -?\d+ ± \d+/);
    expect(releases).toMatch(/Down — retrying/);
    expect(releases).toMatch(/ECONNREFUSED/);
    const unsent = (
      t.hub.db.prepare("SELECT COUNT(*) AS n FROM upstream_outbox WHERE state = 'pending'").get() as { n: number }
    ).n;
    expect(unsent).toBeGreaterThan(0);
    expect(await page.textContent('[data-tile="unsent"] .value')).toBe(String(unsent));
    const plan = page.locator('[data-plan="analytics"]');
    expect(await plan.textContent()).toContain('footfall');
    expect(await page.textContent('#budget')).toMatch(/Analytics cap per quarter/);
    expect(await page.textContent('#budget')).toMatch(/stays in every release/);
    expect(await page.textContent('body')).not.toContain('shopper-0');
  });

  it('shows the quarantined payload as text, never as markup', async () => {
    const excerpt = page.locator('#quarantine code.excerpt');
    expect(await excerpt.first().textContent()).toContain('<img src=x onerror=window.__pwned=1>');
    expect(await page.locator('#quarantine img').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('[data-tile="quarantine"] .value').textContent()).toBe('1');
  });

  it('identifies a gateway: the real gateway answers and the page shows its reply', async () => {
    const commandsBefore = gateway.stats().commands;
    await page.click('button[data-identify="gw-entrance"]');
    const reply = page.locator('[data-reply="gw-entrance"]');
    await expect
      .poll(
        () =>
          reply
            .locator('.reply-text')
            .textContent()
            .catch(() => null),
        { timeout: 8000 },
      )
      .toBe('LEDs blinking for 10 s');
    expect(await reply.locator('.reply-detail').textContent()).toMatch(/^replied in \d+ ms · tx [0-9a-f]{16}$/);
    expect(await reply.getAttribute('class')).toBe('reply ok');
    expect(gateway.stats().commands).toBe(commandsBefore + 1);
  });

  it('refreshes itself: a new quarantined payload appears without reloading', async () => {
    await hostile.publishAsync(statusTopic(TEST_STORE, 'gw-checkout'), 'not json at all', { qos: 1 });
    await expect
      .poll(() => page.textContent('[data-tile="quarantine"] .value'), { timeout: 9000, interval: 250 })
      .toBe('2');
    // The identify reply survives the refresh.
    expect(await page.locator('[data-reply="gw-entrance"]').textContent()).toContain('LEDs blinking');
    await page.screenshot({ path: join(OUT, 'status-page-desktop.png'), fullPage: true });
  });

  it('fits a phone screen without horizontal scrolling', async () => {
    const phone = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      storageState: await desktop.storageState(),
    });
    const small = await phone.newPage();
    small.on('pageerror', (error) => pageErrors.push(error.message));
    await small.goto(t.apiUrl('/status'));
    await small.locator('tr[data-gateway="gw-entrance"]').waitFor();
    const widths = (await small.evaluate(
      '({ scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth, viewport: window.innerWidth })',
    )) as { scroll: number; body: number; viewport: number };
    expect(widths.viewport).toBe(390);
    expect(widths.scroll).toBeLessThanOrEqual(widths.viewport);
    expect(widths.body).toBeLessThanOrEqual(widths.viewport);
    const overflowing = await small.evaluate(
      "[...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5).map((e) => e.tagName + '.' + e.className)",
    );
    expect(overflowing).toEqual([]);
    // On a phone the table rows are stacked cards with their column names.
    expect(
      await small.evaluate(
        `getComputedStyle(document.querySelector('tr[data-gateway="gw-entrance"] td[data-field="adverts"]'), '::before').content`,
      ),
    ).toBe('"Adverts/s"');
    await small.screenshot({ path: join(OUT, 'status-page-phone.png'), fullPage: true });
    await phone.close();
  });

  it('signs out: the page asks for the token again and the cookie is gone', async () => {
    await page.click('#sign-out');
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.textContent('#login-error')).toBe('Signed out.');
    await page.reload();
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(pageErrors).toEqual([]);
  });
});
