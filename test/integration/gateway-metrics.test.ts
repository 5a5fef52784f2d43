import { afterEach, describe, expect, it } from 'vitest';
import { createInjectedHciSource } from '../../gateway/mod.ts';
import { createGateway } from '../../gateway/app.ts';
import { gatewayWorkspace, waitFor } from '../../gateway/testing/harness.ts';
import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { encodeEddystoneAdvert } from '../../shared/eid/carriers.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { startBroker } from '../helpers/broker.ts';
import { checkExposition } from '../helpers/prometheus-text.ts';

/**
 * The gateway's Prometheus endpoint (docs/field-guide.md#metrics): off unless enabled; when on,
 * GET /metrics on the local port in the text exposition format with the gateway's figures —
 * adverts, opt-in adverts, windows, outbox, hub link, clock offset, event-loop lag — and no EID
 * or device address.
 */

const T0 = 1_790_000_000_000;
let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function start(metrics: { enabled: boolean }) {
  const broker = await startBroker();
  cleanup.push(() => broker.close());
  const ws = gatewayWorkspace({
    hub: { url: broker.url, reconnectMinMs: 100, reconnectMaxMs: 1000 },
    metrics: { ...metrics, port: 0 },
  });
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
  await waitFor(() => gateway.stats().hubConnected, 'the hub link');
  return { gateway, inject, clock };
}

describe('gateway /metrics', () => {
  it('is off by default', async () => {
    const { gateway } = await start({ enabled: false });
    expect(gateway.metricsAddress()).toBeNull();
  });

  it('serves the figures in the Prometheus text format, without EIDs or addresses', async () => {
    const { gateway, inject, clock } = await start({ enabled: true });
    const eid = '0123456789abcdef';
    for (let i = 0; i < 5; i++)
      inject(
        T0 + 100 * (i + 1),
        encodeAdvertisingReport({
          eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
          addressType: 'random',
          address: 'c0:11:22:33:44:55',
          data: encodeEddystoneAdvert(eid),
          rssi: -60,
        }),
      );
    clock.set(T0 + 10_000);
    gateway.tick();
    await waitFor(() => gateway.stats().acked === 1, 'the window acknowledged');
    const address = gateway.metricsAddress();
    expect(address?.host).toBe('127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${address?.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const { problems, samples } = checkExposition(text);
    expect(problems).toEqual([]);
    const value = (name: string) => samples.find((s) => s.name === name)?.value;
    expect(value('gateway_adverts_total')).toBe(5);
    expect(value('gateway_opt_in_adverts_total')).toBe(5);
    expect(value('gateway_windows_closed_total')).toBe(1);
    expect(value('gateway_acked_total')).toBe(1);
    expect(value('gateway_outbox_depth')).toBe(0);
    expect(value('gateway_hub_connected')).toBe(1);
    expect(value('gateway_nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(text).not.toContain(eid);
    expect(text.toLowerCase()).not.toContain('c0:11:22:33:44:55');
    expect((await fetch(`http://127.0.0.1:${address?.port}/other`)).status).toBe(404);
  });
});
