import { afterEach, describe, expect, it } from 'vitest';
import { createInjectedHciSource } from '../../gateway/mod.ts';
import { createGateway } from '../../gateway/app.ts';
import { captureLogger, gatewayWorkspace, recordMessages } from '../../gateway/testing/harness.ts';
import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { encodeEddystoneAdvert } from '../../shared/eid/carriers.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { decodePresenceBatch } from '../../shared/protocol/codec.ts';
import { filters } from '../../shared/protocol/topics.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { startBroker } from '../helpers/broker.ts';

const T0 = 1_790_000_000_000;
const FLOOD = 200_000;

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('gateway: a flood of random EIDs', () => {
  it('keeps RSS bounded with 200,000 distinct EIDs from distinct addresses in one window, and reports the drop', async () => {
    const broker = await startBroker();
    cleanup.push(() => broker.close());
    const recorder = await recordMessages(broker.url, [filters.allPresence('store-1')]);
    cleanup.push(() => recorder.close());
    const ws = gatewayWorkspace({ hub: { url: broker.url }, window: { seconds: 10, maxEids: 5000 } });
    cleanup.push(() => ws.remove());
    const clock = new FakeClock(T0);
    const { source, inject } = createInjectedHciSource();
    const { logger, lines } = captureLogger('info');
    const gateway = createGateway({
      config: ws.config,
      resolvePath: ws.resolvePath,
      ble: source,
      clock,
      logger,
      leds: null,
    });
    cleanup.push(() => gateway.stop());
    await gateway.start();

    const rng = new SeededRandomSource('flood');
    const eid = new Uint8Array(8);
    const address = new Uint8Array(6);
    const rssBefore = process.memoryUsage.rss();
    let rssPeak = rssBefore;
    for (let i = 0; i < FLOOD; i++) {
      rng.fillBytes(eid);
      rng.fillBytes(address);
      address[0] = ((address[0] as number) | 0xc0) & 0xff;
      const hci = encodeAdvertisingReport({
        eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
        addressType: 'random',
        address: Array.from(address, (b) => b.toString(16).padStart(2, '0')).join(':'),
        data: encodeEddystoneAdvert(eid),
        rssi: -50 - (i % 50),
      });
      inject(T0 + Math.floor((i / FLOOD) * 9_000), hci);
      if (i % 10_000 === 0) {
        rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    const stats = gateway.stats();
    expect(stats.adverts).toBe(FLOOD);
    expect(stats.openWindowEids).toBe(5000);
    expect(stats.bleCacheEntries).toBeLessThanOrEqual(2 * 4096);
    expect(rssPeak - rssBefore).toBeLessThan(80 * 1024 * 1024);

    clock.set(T0 + 10_000);
    gateway.tick();
    const [message] = await recorder.until((messages) => messages.length >= 1);
    const decoded = decodePresenceBatch(message?.payload ?? '', { nowSeconds: T0 / 1000 + 60 });
    if (!decoded.ok) throw new Error(JSON.stringify(decoded.problems));
    expect(decoded.value.sightings).toHaveLength(5000);
    expect(decoded.value.dropped).toBe(FLOOD - 5000);
    expect(gateway.stats().overflowAdverts).toBe(FLOOD - 5000);
    const overflow = lines.filter((line) => line.includes('"window overflow"'));
    expect(overflow).toHaveLength(1);
    expect(JSON.parse(overflow[0] as string)).toMatchObject({
      level: 40,
      windowStart: T0 / 1000,
      dropped: FLOOD - 5000,
      maxEids: 5000,
    });
  });
});
