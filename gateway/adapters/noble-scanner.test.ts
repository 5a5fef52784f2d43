import { describe, expect, it } from 'vitest';
import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { encodeEddystoneAdvert, encodeIosAdvert } from '../../shared/eid/carriers.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { loadVirtualHciNoble } from './noble-loader.ts';
import { NobleScanner, scrubAddresses } from './noble-scanner.ts';
import { createInjectedHciSource } from './injected-source.ts';

const report = (eventType: number, address: string, data: Buffer, rssi: number): Buffer =>
  encodeAdvertisingReport({ eventType, addressType: 'random', address, data, rssi });

function collector(): {
  sightings: string[];
  adverts: number;
  sink: { advert(): void; sighting(eid: string, rssi: number, t: number): void };
} {
  const c = {
    sightings: [] as string[],
    adverts: 0,
    sink: {
      advert: () => void c.adverts++,
      sighting: (eid: string, rssi: number, t: number) => void c.sightings.push(`${eid}/${rssi}@${t}`),
    },
  };
  return c;
}

describe('noble on a virtual HCI socket', () => {
  it('runs several independent nobles in one process, each with its own socket and parser state', async () => {
    const sources = Array.from({ length: 6 }, (_, i) => ({
      injected: createInjectedHciSource({ label: `gw-${i}` }),
      got: collector(),
    }));
    const sigintBefore = process.listenerCount('SIGINT');
    for (const s of sources) await s.injected.source.start(s.got.sink);
    expect(process.listenerCount('SIGINT')).toBe(sigintBefore);
    sources.forEach((s, i) => {
      const eid = `${i}`.repeat(16);
      expect(
        s.injected.inject(
          1000 + i,
          report(ADV_EVENT_TYPES.ADV_NONCONN_IND, 'c0:00:00:00:00:01', encodeEddystoneAdvert(eid), -50 - i),
        ),
      ).toBe(true);
    });
    sources.forEach((s, i) => expect(s.got.sightings).toEqual([`${`${i}`.repeat(16)}/${-50 - i}@${1000 + i}`]));
    for (const s of sources) await s.injected.source.stop();
    expect(
      sources[0]?.injected.inject(
        2000,
        report(ADV_EVENT_TYPES.ADV_NONCONN_IND, 'c0:00:00:00:00:01', encodeEddystoneAdvert('1'.repeat(16)), -50),
      ),
    ).toBe(false);
  });

  it('follows noble: a connectable advert is reported with its scan response, merged', async () => {
    const { source, inject } = createInjectedHciSource();
    const got = collector();
    await source.start(got.sink);
    const address = 'c1:02:03:04:05:06';
    const eid = 'aaaaaaaaaaaaaaaa';
    inject(1, report(ADV_EVENT_TYPES.ADV_IND, address, encodeIosAdvert(eid), -70));
    expect(got.sightings).toEqual([]);
    inject(2, report(ADV_EVENT_TYPES.SCAN_RSP, address, Buffer.from('0509414243', 'hex'), -72));
    expect(got.sightings).toEqual([`${eid}/-72@2`]);
    expect(got.adverts).toBe(2);
    await source.stop();
  });

  it("keeps noble's per-address caches bounded under a flood of random addresses", async () => {
    const loaded = loadVirtualHciNoble();
    const scanner = new NobleScanner({ loaded, now: () => 0, logger: silentLogger(), label: 'flood' });
    const got = collector();
    await scanner.start(got.sink);
    const socket = loaded.virtualSocket;
    if (socket === undefined) throw new Error('no virtual socket');
    for (let i = 0; i < 50_000; i++) {
      const address = `c0:${((i >> 16) & 0xff).toString(16).padStart(2, '0')}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}:00:00`;
      // Half connectable without a scan response (held by noble), half beacons.
      const type = i % 2 === 0 ? ADV_EVENT_TYPES.ADV_IND : ADV_EVENT_TYPES.ADV_NONCONN_IND;
      socket.deliver(report(type, address, encodeEddystoneAdvert(i.toString(16).padStart(16, '0')), -60));
    }
    expect(got.adverts).toBe(50_000);
    expect(got.sightings).toHaveLength(25_000);
    expect(Object.keys(loaded.noble._peripherals)).toHaveLength(0);
    expect(Object.keys(loaded.bindings._addresses)).toHaveLength(0);
    expect(Object.keys(loaded.bindings._gap._discoveries).length).toBeLessThanOrEqual(2 * 4096);
    expect(scanner.cacheEntries()).toBeLessThanOrEqual(2 * 4096);
    await scanner.stop();
  });

  it("restarts scanning and resets the adapter through noble's HCI commands", async () => {
    const loaded = loadVirtualHciNoble();
    const scanner = new NobleScanner({ loaded, now: () => 0, logger: silentLogger(), label: 'reset' });
    const got = collector();
    await scanner.start(got.sink);
    const socket = loaded.virtualSocket;
    if (socket === undefined) throw new Error('no virtual socket');
    const commands = socket.commandsReceived;
    await scanner.restartScan();
    await scanner.resetAdapter();
    expect(socket.commandsReceived).toBeGreaterThan(commands + 6);
    expect(scanner.scanning()).toBe(true);
    expect(scanner.adapterState()).toBe('poweredOn');
    expect(
      socket.deliver(
        report(ADV_EVENT_TYPES.ADV_NONCONN_IND, 'c0:00:00:00:00:09', encodeEddystoneAdvert('9'.repeat(16)), -40),
      ),
    ).toBe(true);
    expect(got.sightings).toHaveLength(1);
    await scanner.stop();
  });

  it("scrubs anything shaped like an address from noble's warnings", () => {
    expect(scrubAddresses('unknown peripheral c0ffee123456 connected! at C0:FF:EE:12:34:56 or c0-ff-ee-12-34-56')).toBe(
      'unknown peripheral [address] connected! at [address] or [address]',
    );
  });
});
