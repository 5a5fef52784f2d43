import { afterEach, describe, expect, it } from 'vitest';
import { createInjectedHciSource, NoHardwareGpioIo, JohnnyFiveLeds } from '../../gateway/mod.ts';
import { createGateway } from '../../gateway/app.ts';
import { captureLogger, gatewayWorkspace, holdsFor, recordMessages, waitFor } from '../../gateway/testing/harness.ts';
import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { encodeEddystoneAdvert } from '../../shared/eid/carriers.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { decodePresenceBatch } from '../../shared/protocol/codec.ts';
import { filters, statusTopic } from '../../shared/protocol/topics.ts';
import { freePort, startBroker } from '../helpers/broker.ts';

const T0 = 1_790_000_000_000;
const PINS = { scanning: 'GPIO17', hubLink: 'GPIO27', buffering: 'GPIO22', fault: 'GPIO23', button: 'GPIO24' };

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

const advert = (eid: string, address = 'c5:00:00:00:00:01'): Buffer =>
  encodeAdvertisingReport({
    eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
    addressType: 'random',
    address,
    data: encodeEddystoneAdvert(eid),
    rssi: -70,
  });

describe('gateway health', () => {
  it('watchdog: restarts scanning, then resets the adapter, logging each step once, and notices when adverts resume', async () => {
    const port = await freePort();
    const ws = gatewayWorkspace({
      hub: { url: `mqtt://127.0.0.1:${port}` },
      ble: { watchdogSeconds: 5, resetAfterRestarts: 2 },
    });
    cleanup.push(() => ws.remove());
    const clock = new FakeClock(T0);
    const { source, inject } = createInjectedHciSource();
    const leds = await JohnnyFiveLeds.open({ io: 'none', pins: PINS, logger: silentLogger() });
    const io = leds.io as NoHardwareGpioIo;
    const { logger, lines } = captureLogger('info');
    const gateway = createGateway({ config: ws.config, resolvePath: ws.resolvePath, ble: source, clock, logger, leds });
    cleanup.push(() => gateway.stop());
    await gateway.start();
    expect(inject(T0 + 10, advert('0000000000000001'))).toBe(true);

    // Five silent periods: restart, restart, reset, restart, restart.
    for (let period = 1; period <= 5; period++) {
      clock.advance(5_000);
      await waitFor(() => gateway.stats().scanRestarts + gateway.stats().resets === period, `watchdog step ${period}`);
    }
    expect(gateway.stats()).toMatchObject({ scanRestarts: 4, resets: 1, scanning: true, adapterState: 'poweredOn' });
    expect(gateway.status().resets).toBe(1);
    const phrases = lines.map((line) => JSON.parse(line).msg as string);
    expect(phrases.filter((m) => m === 'watchdog restarted scanning')).toHaveLength(1);
    expect(phrases.filter((m) => m === 'watchdog reset adapter')).toHaveLength(1);
    // The scanning LED blinks slowly while the watchdog acts.
    const levels = new Set<number>();
    await waitFor(() => levels.add(io.level('GPIO17')).size === 2, 'the scanning LED to blink');
    expect(levels).toEqual(new Set([0, 1]));

    clock.advance(100);
    expect(inject(clock.now(), advert('0000000000000002'))).toBe(true);
    await waitFor(() => lines.some((line) => line.includes('"adverts resumed"')), 'the recovery');
    // Back to steady on: lit, and staying lit for longer than a slow blink's half period.
    await waitFor(() => io.level('GPIO17') === 1, 'the scanning LED on');
    await holdsFor(() => io.level('GPIO17') === 1, 'the scanning LED steady on', 600);
    expect(io.level('GPIO17')).toBe(1);
  });

  it('outbox bound: drops the oldest windows while the hub is away, reports them, lights the fault LED, and delivers the rest', async () => {
    const port = await freePort();
    const ws = gatewayWorkspace({
      hub: { url: `mqtt://127.0.0.1:${port}`, reconnectMinMs: 100, reconnectMaxMs: 1000 },
      outbox: { maxBytes: 65_536 },
    });
    cleanup.push(() => ws.remove());
    const clock = new FakeClock(T0);
    const { source, inject } = createInjectedHciSource();
    const leds = await JohnnyFiveLeds.open({ io: 'none', pins: PINS, logger: silentLogger() });
    const io = leds.io as NoHardwareGpioIo;
    const { logger, lines } = captureLogger('info');
    const gateway = createGateway({ config: ws.config, resolvePath: ws.resolvePath, ble: source, clock, logger, leds });
    cleanup.push(() => gateway.stop());
    await gateway.start();

    // 20 windows of 200 shoppers each: about 9 KB per batch, so about 7 fit in 64 KiB.
    for (let k = 0; k < 20; k++) {
      for (let s = 0; s < 200; s++)
        inject(T0 + k * 10_000 + s, advert(`${k.toString(16).padStart(4, '0')}${s.toString(16).padStart(12, '0')}`));
      clock.set(T0 + (k + 1) * 10_000);
      gateway.tick();
    }
    const stats = gateway.stats();
    expect(stats.windowsClosed).toBe(20);
    expect(stats.outboxDropped).toBeGreaterThan(10);
    expect(stats.outboxDepth + stats.outboxDropped).toBe(20);
    expect(stats.outboxBytes).toBeLessThanOrEqual(65_536);
    const drops = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'outbox dropped batches');
    expect(drops.every((d) => d.reason === 'bytes' && d.level === 40)).toBe(true);
    expect(drops.reduce((sum, d) => sum + (d.count as number), 0)).toBe(stats.outboxDropped);
    expect(drops[0]).toMatchObject({ firstSeq: 0 });
    await waitFor(() => io.level('GPIO23') === 1 && io.level('GPIO22') === 1, 'the fault and buffering LEDs');

    // The hub comes back; the gateway is let in once the recorder listens.
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    const broker = await startBroker({
      port,
      aedes: {
        authenticate: (client, _u, _p, done) =>
          client.id.startsWith('rec-') ? done(null, true) : void gate.then(() => done(null, true)),
      },
    });
    cleanup.push(() => broker.close());
    const recorder = await recordMessages(broker.url, [
      filters.allPresence('store-1'),
      statusTopic('store-1', 'gw-test'),
    ]);
    cleanup.push(() => recorder.close());
    openGate();
    const presence = () => recorder.messages.filter((m) => m.topic.endsWith('/presence'));
    await recorder.until(() => presence().length >= stats.outboxDepth, 20_000);
    const seqs = presence().map((m) => {
      const decoded = decodePresenceBatch(m.payload, { nowSeconds: T0 / 1000 + 3600 });
      if (!decoded.ok) throw new Error(JSON.stringify(decoded.problems));
      return decoded.value.seq;
    });
    expect(seqs).toEqual(Array.from({ length: stats.outboxDepth }, (_, i) => stats.outboxDropped + i));
    await recorder.until(
      (messages) =>
        messages.some(
          (m) => m.topic.endsWith('/status') && JSON.parse(m.payload.toString()).dropped === stats.outboxDropped,
        ),
      20_000,
    );
  });
});
