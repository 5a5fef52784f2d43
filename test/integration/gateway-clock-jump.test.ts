import { afterEach, describe, expect, it } from 'vitest';
import { createInjectedHciSource } from '../../gateway/mod.ts';
import { createGateway } from '../../gateway/app.ts';
import { gatewayWorkspace, recordMessages, waitFor } from '../../gateway/testing/harness.ts';
import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { encodeEddystoneAdvert } from '../../shared/eid/carriers.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { decodePresenceBatch } from '../../shared/protocol/codec.ts';
import { filters } from '../../shared/protocol/topics.ts';
import { startBroker } from '../helpers/broker.ts';

/**
 * The real gateway (docs/security.md §3) with its clock jumping a day ahead and then a day back,
 * adverts heard all along, delivering to a real broker: every window with sightings arrives
 * exactly once with consecutive seq numbers, each sighting in exactly one window, no run of empty
 * windows for the skipped day (only the window open at a jump closes, empty), nothing left in the
 * outbox, nothing dropped.
 */

const T0 = 1_790_000_000_000;
const WINDOW_MS = 10_000;
const DAY = 86_400_000;

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('gateway: the clock jumps a day ahead, then a day back', () => {
  it('delivers every heard window once, in seq order, without inventing or losing any', async () => {
    const broker = await startBroker();
    cleanup.push(() => broker.close());
    const recorder = await recordMessages(broker.url, [filters.allPresence('store-1')]);
    cleanup.push(() => recorder.close());
    const ws = gatewayWorkspace({ hub: { url: broker.url }, window: { seconds: WINDOW_MS / 1000 } });
    cleanup.push(() => ws.remove());
    const clock = new FakeClock(T0);
    const { source, inject } = createInjectedHciSource();
    const gateway = createGateway({
      config: ws.config,
      resolvePath: ws.resolvePath,
      ble: source,
      clock,
      logger: silentLogger(),
      leds: null,
    });
    cleanup.push(() => gateway.stop());
    await gateway.start();
    await waitFor(() => gateway.stats().hubConnected, 'the connection');

    let heard = 0;
    /** One window starting at `start`: a tag heard three times, then the clock reaches the window's end. */
    const runWindow = (start: number, tag: number): void => {
      for (let h = 0; h < 3; h++) {
        clock.set(start + 1000 * (h + 1));
        const eid = `${tag.toString(16).padStart(16, '0')}`;
        expect(
          inject(
            start + 1000 * (h + 1),
            encodeAdvertisingReport({
              eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
              addressType: 'random',
              address: 'c0:00:00:00:00:01',
              data: encodeEddystoneAdvert(eid),
              rssi: -60,
            }),
          ),
        ).toBe(true);
      }
      heard++;
      clock.set(start + WINDOW_MS);
      gateway.tick();
    };

    for (let k = 0; k < 3; k++) runWindow(T0 + k * WINDOW_MS, k); // normal
    for (let k = 0; k < 3; k++) runWindow(T0 + DAY + k * WINDOW_MS, 100 + k); // a day ahead
    for (let k = 3; k < 6; k++) runWindow(T0 + k * WINDOW_MS, k); // back to the right day

    await recorder.until((messages) => messages.length >= heard, 10_000);
    await waitFor(() => gateway.stats().outboxDepth === 0, 'every window acknowledged');
    const batches = recorder.messages.map((m) => {
      const decoded = decodePresenceBatch(m.payload, { nowSeconds: (T0 + DAY) / 1000 });
      if (!decoded.ok) throw new Error(JSON.stringify(decoded.problems));
      return decoded.value;
    });
    expect(batches.map((b) => b.seq)).toEqual(Array.from({ length: batches.length }, (_, i) => i));
    const sightings = batches.flatMap((b) => b.sightings.map((s) => s.eid));
    const expected = [0, 1, 2, 100, 101, 102, 3, 4, 5].map((t) => t.toString(16).padStart(16, '0'));
    // Each heard window once; windows without sightings are not sent, so the skipped day adds none.
    expect(sightings).toEqual(expected);
    // The window open when the clock jumps closes (empty) and is sent as every closed window is;
    // the skipped day itself adds no window.
    expect(batches.filter((b) => b.sightings.length > 0)).toHaveLength(heard);
    expect(batches.length - heard).toBeLessThanOrEqual(2);
    expect(gateway.stats()).toMatchObject({ windowsClosed: batches.length, acked: batches.length });
    expect(batches.every((b) => b.dropped === 0)).toBe(true);
  });
});
