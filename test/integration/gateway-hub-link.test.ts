import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createInjectedHciSource, NoHardwareGpioIo, JohnnyFiveLeds, loadGatewayConfig } from '../../gateway/mod.ts';
import { createGateway } from '../../gateway/app.ts';
import { captureLogger, gatewayWorkspace, holdsFor, recordMessages, waitFor } from '../../gateway/testing/harness.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { commandTopic, clockTopic, filters, statusTopic } from '../../shared/protocol/topics.ts';
import { createStoreCa, issueServerCertificate } from '../../shared/tls/certificates.ts';
import { startBroker } from '../helpers/broker.ts';

const T0 = 1_790_000_000_000;

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('gateway ↔ hub link', () => {
  it('connects over TLS with the store CA and its credential, heartbeats, answers commands and tracks the hub clock', async () => {
    const ca = createStoreCa('store-1');
    const server = issueServerCertificate(ca, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
    const logins: Array<[string, string | undefined, string | undefined]> = [];
    const broker = await startBroker({
      tls: { key: server.keyPem, cert: server.certPem },
      aedes: {
        authenticate: (client, username, password, done) => {
          logins.push([client.id, username, password?.toString()]);
          done(null, true);
        },
      },
    });
    cleanup.push(() => broker.close());
    const caPem = Buffer.from(ca.certPem);
    const recorder = await recordMessages(broker.url, [filters.allStatus('store-1'), filters.allReplies('store-1')], {
      ca: caPem,
    });
    cleanup.push(() => recorder.close());

    const ws = gatewayWorkspace(
      { hub: { url: broker.url, caFile: 'ca.pem' }, heartbeatSeconds: 5 },
      { credential: 'tls-credential-7' },
    );
    cleanup.push(() => ws.remove());
    writeFileSync(join(ws.dir, 'ca.pem'), ca.certPem);
    const configFile = ws.writeConfig();
    const clock = new FakeClock(T0);
    const { source } = createInjectedHciSource();
    const leds = await JohnnyFiveLeds.open({ io: 'none', pins: ws.config.leds, logger: silentLogger() });
    const io = leds.io as NoHardwareGpioIo;
    const { logger, lines } = captureLogger('debug');
    const gateway = createGateway({
      config: ws.config,
      resolvePath: ws.resolvePath,
      ble: source,
      clock,
      logger,
      leds,
      reloadConfig: () => loadGatewayConfig(configFile).config,
    });
    cleanup.push(() => gateway.stop());
    await gateway.start();
    await waitFor(() => gateway.stats().hubConnected, 'the TLS connection');
    expect(logins).toContainEqual(['gw-test', 'gw-test', 'tls-credential-7']);

    const statuses = () =>
      recorder.messages
        .filter((m) => m.topic === statusTopic('store-1', 'gw-test'))
        .map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>);
    await recorder.until(() => statuses().length >= 1);
    expect(statuses()[0]).toMatchObject({
      v: 1,
      gateway: 'gw-test',
      state: 'online',
      zone: 'entrance',
      adapterState: 'poweredOn',
      outboxDepth: 0,
      dropped: 0,
      resets: 0,
      reconnects: 0,
      clockOffsetMs: null,
      at: T0 / 1000,
    });
    expect(io.level('GPIO27')).toBe(1); // hub link LED on

    const commander = await mqtt.connectAsync(broker.url, { ca: caPem, clientId: 'rec-commander' });
    cleanup.push(() => commander.endAsync(true));
    const replies = (name: string) =>
      recorder.messages
        .filter((m) => m.topic.endsWith(`/reply/${name}`))
        .map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>);
    const send = (name: string, payload: unknown): Promise<unknown> =>
      commander.publishAsync(
        commandTopic('store-1', 'gw-test', name),
        typeof payload === 'string' ? payload : JSON.stringify(payload),
        { qos: 1 },
      );

    // Hub clock: the offset is hub time minus gateway time; a bad payload is refused and counted.
    await commander.publishAsync(clockTopic('store-1'), JSON.stringify({ v: 1, hubTimeMs: T0 + 1500 }));
    await waitFor(() => gateway.stats().clockOffsetMs === 1500, 'the clock offset');
    await commander.publishAsync(clockTopic('store-1'), JSON.stringify({ v: 1, hubTimeMs: 'soon' }));

    await send('identify', { v: 1, transaction: 'id-1', args: { seconds: 2 } });
    await recorder.until(() => replies('identify').length === 1);
    expect(replies('identify')[0]).toEqual({ v: 1, transaction: 'id-1', ok: true, data: { seconds: 2 } });
    const seen = new Map<string, Set<number>>();
    await waitFor(() => {
      for (const pin of ['GPIO17', 'GPIO27', 'GPIO22', 'GPIO23'])
        seen.set(pin, (seen.get(pin) ?? new Set()).add(io.level(pin)));
      return [...seen.values()].every((levels) => levels.size === 2);
    }, 'all four LEDs to blink');
    expect([...seen.values()].map((levels) => levels.size)).toEqual([2, 2, 2, 2]); // all four blink

    await send('rescan', { v: 1, transaction: 'rs-1' });
    await send('status', { v: 1, transaction: 'st-1' });
    await recorder.until(() => replies('rescan').length === 1 && replies('status').length === 1);
    expect(replies('rescan')[0]).toEqual({
      v: 1,
      transaction: 'rs-1',
      ok: true,
      data: { adapterState: 'poweredOn', scanning: true },
    });
    expect(replies('status')[0]).toMatchObject({
      transaction: 'st-1',
      ok: true,
      data: { gateway: 'gw-test', state: 'online', clockOffsetMs: 1500, faults: [] },
    });
    expect(gateway.stats().scanRestarts).toBe(1);

    // reload: live settings are applied, the others are listed as needing a restart.
    writeFileSync(
      configFile,
      JSON.stringify({
        ...ws.config,
        window: { ...ws.config.window, minHits: 3 },
        hub: { ...ws.config.hub, keepaliveSeconds: 45 },
      }),
    );
    await send('reload', { v: 1, transaction: 'rl-1' });
    await recorder.until(() => replies('reload').length === 1);
    expect(replies('reload')[0]).toEqual({
      v: 1,
      transaction: 'rl-1',
      ok: true,
      data: { applied: ['/window/minHits'], restartRequired: ['/hub/keepaliveSeconds'] },
    });
    writeFileSync(configFile, 'role: gateway\nstore: [');
    await send('reload', { v: 1, transaction: 'rl-2' });
    await recorder.until(() => replies('reload').length === 2);
    expect(replies('reload')[1]).toMatchObject({
      transaction: 'rl-2',
      ok: false,
      error: { code: 'CFG_UNREADABLE', message: expect.stringContaining('is not valid YAML') },
    });

    // Bad commands are answered when they carry a transaction, and counted.
    await send('reboot', { v: 1, transaction: 'rb-1' });
    await send('identify', { v: 1, transaction: 'id-2', args: { seconds: 9999 } });
    await send('status', 'not json');
    await recorder.until(() => replies('reboot').length === 1 && replies('identify').length === 2);
    expect(replies('reboot')[0]).toMatchObject({
      transaction: 'rb-1',
      ok: false,
      error: {
        code: 'PROTO_BAD_TOPIC',
        message: 'command "reboot" is unknown, expected one of: identify, rescan, status, reload',
      },
    });
    expect(replies('identify')[1]).toMatchObject({
      transaction: 'id-2',
      ok: false,
      error: {
        code: 'PROTO_BAD_PAYLOAD',
        message: 'command payload is invalid: /args/seconds is 9999, expected <= 600',
      },
    });
    await waitFor(() => gateway.stats().rejectedMessages === 4, 'four rejected messages');

    // A heartbeat follows after heartbeatSeconds, with the clock offset.
    await recorder.until(() => statuses().length >= 2, 10_000);
    expect(statuses()[1]).toMatchObject({ state: 'online', clockOffsetMs: 1500 });

    await gateway.stop();
    await recorder.until(() => statuses().some((s) => s.state === 'offline'));
    expect(statuses().at(-1)).toMatchObject({ state: 'offline', at: T0 / 1000, uptimeSeconds: 0 });
    expect(lines.join('\n')).not.toContain('tls-credential-7');
  });

  it('refuses a hub whose certificate is not from the store CA, and says so once', async () => {
    const ca = createStoreCa('store-1');
    const otherCa = createStoreCa('store-2');
    const server = issueServerCertificate(otherCa, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
    let connections = 0;
    const broker = await startBroker({
      tls: { key: server.keyPem, cert: server.certPem },
      aedes: {
        authenticate: (_c, _u, _p, done) => {
          connections++;
          done(null, true);
        },
      },
    });
    cleanup.push(() => broker.close());
    const ws = gatewayWorkspace({
      hub: { url: broker.url, caFile: 'ca.pem', reconnectMinMs: 100, reconnectMaxMs: 1000 },
    });
    cleanup.push(() => ws.remove());
    writeFileSync(join(ws.dir, 'ca.pem'), ca.certPem);
    const { source } = createInjectedHciSource();
    const { logger, lines } = captureLogger('info');
    const gateway = createGateway({ config: ws.config, resolvePath: ws.resolvePath, ble: source, logger, leds: null });
    cleanup.push(() => gateway.stop());
    await gateway.start();
    await waitFor(() => lines.filter((l) => l.includes('"hub unreachable"')).length >= 1, 'the TLS refusal');
    // Keeps refusing without retrying into a second log line or a connection.
    await holdsFor(
      () => connections === 0 && lines.filter((l) => l.includes('"hub unreachable"')).length === 1,
      'no connection and one "hub unreachable" line',
      1500,
    );
    expect(connections).toBe(0);
    expect(gateway.stats().hubConnected).toBe(false);
    const unreachable = lines.filter((l) => l.includes('"hub unreachable"'));
    expect(unreachable).toHaveLength(1);
    expect(JSON.parse(unreachable[0] as string).code).toMatch(/CERT|SIGNATURE|VERIFY|SELF_SIGNED/);
  });
});
