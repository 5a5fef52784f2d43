import { afterEach, describe, expect, it } from 'vitest';
import { createInjectedHciSource } from '../../gateway/mod.ts';
import { createGateway } from '../../gateway/app.ts';
import {
  captureLogger,
  gatewayWorkspace,
  recordMessages,
  holdsFor,
  waitFor,
  type Recorder,
} from '../../gateway/testing/harness.ts';
import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { encodeEddystoneAdvert } from '../../shared/eid/carriers.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { decodePresenceBatch } from '../../shared/protocol/codec.ts';
import type { PresenceBatch } from '../../shared/protocol/messages.ts';
import { filters } from '../../shared/protocol/topics.ts';
import { startBroker } from '../helpers/broker.ts';

const T0 = 1_790_000_000_000;
const WINDOW_MS = 10_000;

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function eidFor(window: number, shopper: number): string {
  return `${window.toString(16).padStart(8, '0')}${shopper.toString(16).padStart(8, '0')}`;
}

function batches(recorder: Recorder): PresenceBatch[] {
  return recorder.messages.map((m) => {
    const decoded = decodePresenceBatch(m.payload, { nowSeconds: T0 / 1000 + 86_400 });
    if (!decoded.ok) throw new Error(JSON.stringify(decoded.problems));
    return decoded.value;
  });
}

describe('gateway: the hub goes away for 30 windows', () => {
  it('delivers every window exactly once and in order after the broker comes back', async () => {
    const credential = 'outage-credential-42';
    const broker1 = await startBroker();
    cleanup.push(() => broker1.close());
    const presence = filters.allPresence('store-1');
    const before = await recordMessages(broker1.url, [presence]);
    cleanup.push(() => before.close());

    const ws = gatewayWorkspace(
      { hub: { url: broker1.url, reconnectMinMs: 100, reconnectMaxMs: 1000 }, window: { seconds: WINDOW_MS / 1000 } },
      { credential },
    );
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
    await waitFor(() => gateway.stats().hubConnected, 'the first connection');

    /** Window k: shopper s is heard s+1 times; then the clock reaches the window's end. */
    const runWindow = (k: number): void => {
      const start = T0 + k * WINDOW_MS;
      for (let s = 0; s < 3; s++) {
        for (let h = 0; h <= s; h++) {
          const ok = inject(
            start + 1000 * (h + 1) + s,
            encodeAdvertisingReport({
              eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
              addressType: 'random',
              address: `c0:00:00:00:0${s}:01`,
              data: encodeEddystoneAdvert(eidFor(k, s)),
              rssi: -60,
            }),
          );
          expect(ok).toBe(true);
        }
      }
      clock.set(start + WINDOW_MS);
      gateway.tick();
    };

    for (let k = 0; k < 5; k++) runWindow(k);
    await before.until((messages) => messages.length >= 5);
    await waitFor(() => gateway.stats().outboxDepth === 0, 'the first five windows acknowledged');

    await broker1.close();
    await waitFor(() => !gateway.stats().hubConnected, 'the gateway to notice the outage');
    for (let k = 5; k < 35; k++) runWindow(k);
    expect(gateway.stats().outboxDepth).toBe(30);

    // The broker comes back on the same port. The gateway is let in only once the recorder
    // listens, so nothing it sends can be missed.
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    const logins: Array<{ clientId: string; username: string | undefined; password: string | undefined }> = [];
    const broker2 = await startBroker({
      port: broker1.port,
      aedes: {
        authenticate: (client, username, password, done) => {
          logins.push({ clientId: client.id, username, password: password?.toString() });
          if (client.id.startsWith('rec-')) done(null, true);
          else void gate.then(() => done(null, true));
        },
      },
    });
    cleanup.push(() => broker2.close());
    const after = await recordMessages(broker2.url, [presence]);
    cleanup.push(() => after.close());
    openGate();

    await after.until((messages) => messages.length >= 30, 20_000);
    await waitFor(() => gateway.stats().outboxDepth === 0, 'the backlog acknowledged');
    await holdsFor(() => after.messages.length === 30, 'no window sent twice', 300);

    const all = [...batches(before), ...batches(after)];
    expect(all.map((b) => b.seq)).toEqual(Array.from({ length: 35 }, (_, i) => i));
    expect(all.map((b) => b.windowStart)).toEqual(Array.from({ length: 35 }, (_, k) => (T0 + k * WINDOW_MS) / 1000));
    all.forEach((batch, k) => {
      expect(batch.sightings).toEqual([0, 1, 2].map((s) => ({ eid: eidFor(k, s), band: 'near', hits: s + 1 })));
    });
    expect(logins.find((l) => l.clientId === 'gw-test')).toEqual({
      clientId: 'gw-test',
      username: 'gw-test',
      password: credential,
    });
    expect(gateway.stats()).toMatchObject({ reconnects: 1, acked: 35, windowsClosed: 35 });
    // The outage is logged once as a state change, not once per attempt.
    expect(lines.filter((line) => line.includes('"hub connection lost"'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('"hub unreachable"')).length).toBeLessThanOrEqual(1);
    expect(lines.join('\n')).not.toContain(credential);
  });
});
