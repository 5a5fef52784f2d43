import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { formatTraceHeader, formatTraceRecord } from '../../shared/ble/trace.ts';
import { AD_TYPES, encodeEddystoneAdvert, encodeIosAdvert } from '../../shared/eid/carriers.ts';
import type { AdvertisementView } from '../../gateway/core/opt-in-filter.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';

/**
 * The air of the gateway benchmark, the same in every process of a run (seeded): 800
 * advertisers — 500 opted-in Android phones (Eddystone-EID, non-connectable), 60 iPhones in the
 * foreground (hushpoint UUID, connectable) and 240 other devices (iBeacons, Apple continuity,
 * named devices) — heard as a pool of 4,096 HCI LE Advertising Reports. Timestamps advance 1 ms
 * per report, so a 10 s window closes every 10,000 reports.
 */

export const POOL = 4096;
export const T0 = 1_790_000_000_000;
/** A Pi's onboard adapter delivers at most ~6,500 reports/s over its 3 Mbaud UART (docs/gateway.md). */
export const PI_UART_REPORTS_PER_SEC = 6500;

export interface PoolEntry {
  hci: Buffer;
  view: AdvertisementView;
  rssi: number;
}

interface Device {
  address: string;
  eventType: number;
  data: Buffer;
  view: AdvertisementView;
}

function devices(rng: SeededRandomSource): Device[] {
  const hex = (bytes: number): string => {
    const b = new Uint8Array(bytes);
    rng.fillBytes(b);
    return Buffer.from(b).toString('hex');
  };
  const address = (): string => `c0:${hex(5).match(/../g)?.join(':')}`;
  const list: Device[] = [];
  for (let i = 0; i < 500; i++) {
    const data = encodeEddystoneAdvert(hex(8));
    list.push({
      address: address(),
      eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
      data,
      view: { serviceData: [{ uuid: 'feaa', data: data.subarray(11) }], serviceUuids: ['feaa'] },
    });
  }
  for (let i = 0; i < 60; i++) {
    const eid = hex(8);
    list.push({
      address: address(),
      eventType: ADV_EVENT_TYPES.ADV_IND,
      data: encodeIosAdvert(eid),
      view: { serviceData: [], serviceUuids: [`5b1e8f6a2c7d4e93${eid}`] },
    });
  }
  for (let i = 0; i < 240; i++) {
    const kind = i % 3;
    const data =
      kind === 0
        ? Buffer.from(`0201061aff4c000215${hex(16)}00070001c5`, 'hex')
        : kind === 1
          ? Buffer.from(`0201060bff4c001005${hex(6)}`, 'hex')
          : Buffer.concat([
              Buffer.from([0x02, AD_TYPES.FLAGS, 0x06, 0x0b, AD_TYPES.COMPLETE_LOCAL_NAME]),
              Buffer.from(`device-${hex(1)}`),
            ]);
    list.push({
      address: address(),
      eventType: kind === 0 ? ADV_EVENT_TYPES.ADV_NONCONN_IND : ADV_EVENT_TYPES.ADV_IND,
      data,
      view: { serviceData: [], serviceUuids: [] },
    });
  }
  return list;
}

export function buildPool(): PoolEntry[] {
  const rng = new SeededRandomSource('gateway-bench');
  const list = devices(rng);
  return Array.from({ length: POOL }, () => {
    const device = list[rng.nextUint32() % list.length] as Device;
    const rssi = -45 - (rng.nextUint32() % 50);
    return {
      hci: encodeAdvertisingReport({
        eventType: device.eventType,
        addressType: 'random',
        address: device.address,
        data: device.data,
        rssi,
      }),
      view: device.view,
      rssi,
    };
  });
}

/**
 * Writes `reports` reports of the pool as a trace (docs/trace-format.md), 1 ms apart from T0:
 * replayed at speed PI_UART_REPORTS_PER_SEC / 1000 they arrive at the UART ceiling.
 */
export async function writePoolTrace(file: string, reports: number): Promise<void> {
  const pool = buildPool();
  const out = createWriteStream(file);
  out.write(`${formatTraceHeader({ gateway: 'gw-bench', source: 'bench', startMs: T0 })}\n`);
  for (let i = 0; i < reports; i++) {
    const line = `${formatTraceRecord(T0 + i + 1, (pool[i & (POOL - 1)] as PoolEntry).hci)}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
