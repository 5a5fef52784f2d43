import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADV_EVENT_TYPES, encodeAdvertisingReport, ZERO_ADDRESS } from '../../shared/ble/hci-report.ts';
import { parseTraceLine } from '../../shared/ble/trace.ts';
import { decodeAdvert, encodeEddystoneAdvert, encodeIosAdvert } from '../../shared/eid/carriers.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { loadVirtualHciNoble } from './noble-loader.ts';
import { checkTrace } from './replay-source.ts';
import { captureTrace } from './trace-recorder.ts';
import { waitFor } from '../testing/harness.ts';

describe('capture', () => {
  it('records only opt-in frames, address zeroed and marked non-connectable, as a replayable trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hp-capture-'));
    try {
      const out = join(dir, 'capture.jsonl');
      const loaded = loadVirtualHciNoble();
      const socket = loaded.virtualSocket;
      if (socket === undefined) throw new Error('no virtual socket');
      const capturing = captureTrace(loaded, { seconds: 1, out, gateway: 'gw-9', clock: systemClock });
      await waitFor(() => socket.scanning, 'noble to start scanning', 10_000);
      const heard = [
        {
          eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
          address: 'c4:11:22:33:44:55',
          data: encodeEddystoneAdvert('0102030405060708'),
          rssi: -61,
        },
        {
          eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
          address: 'c4:11:22:33:44:56',
          data: Buffer.from('1aff4c000215' + 'ab'.repeat(20) + 'c5', 'hex'),
          rssi: -62,
        },
        {
          eventType: ADV_EVENT_TYPES.ADV_IND,
          address: 'c4:11:22:33:44:57',
          data: encodeIosAdvert('1112131415161718'),
          rssi: -63,
        },
        {
          eventType: ADV_EVENT_TYPES.SCAN_RSP,
          address: 'c4:11:22:33:44:57',
          data: Buffer.from('0509414243', 'hex'),
          rssi: -64,
        },
      ];
      for (const report of heard) socket.deliver(encodeAdvertisingReport({ ...report, addressType: 'random' }));
      expect(await capturing).toEqual({ heard: 4, recorded: 2 });
      const lines = readFileSync(out, 'utf8').trim().split('\n').map(parseTraceLine);
      expect(lines[0]).toMatchObject({ kind: 'header', header: { gateway: 'gw-9', source: 'capture' } });
      const records = lines.slice(1).map((line) => (line.kind === 'record' ? line.report : null));
      expect(records.map((r) => [r?.address, r?.eventType, r?.rssi, r && decodeAdvert(r.data)?.eid])).toEqual([
        [ZERO_ADDRESS, ADV_EVENT_TYPES.ADV_NONCONN_IND, -61, '0102030405060708'],
        [ZERO_ADDRESS, ADV_EVENT_TYPES.ADV_NONCONN_IND, -63, '1112131415161718'],
      ]);
      expect(readFileSync(out, 'utf8')).not.toMatch(/c4:?11:?22/i);
      expect(await checkTrace(out)).toMatchObject({ records: 2 });
      await expect(captureTrace(loadVirtualHciNoble(), { seconds: 1, out, clock: systemClock })).rejects.toThrow(
        /EEXIST/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
