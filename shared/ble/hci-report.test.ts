import { describe, expect, it } from 'vitest';
import { encodeEddystoneAdvert } from '../eid/carriers.ts';
import { ADV_EVENT_TYPES, decodeAdvertisingReport, encodeAdvertisingReport } from './hci-report.ts';
import { formatTraceHeader, formatTraceRecord, parseTraceLine } from './trace.ts';

const report = {
  eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
  addressType: 'random' as const,
  address: 'c0:11:22:33:44:55',
  data: encodeEddystoneAdvert('a9b76a71c5f89290'),
  rssi: -71,
};

describe('HCI advertising reports and traces', () => {
  it('encodes the event layout byte for byte and decodes it back', () => {
    const bytes = encodeAdvertisingReport(report);
    expect(bytes.subarray(0, 14).toString('hex')).toBe(
      '043e' + (12 + 21).toString(16) + '0201' + '03' + '01' + '554433' + '2211c0' + '15',
    );
    expect(bytes.at(-1)).toBe(256 - 71);
    expect(decodeAdvertisingReport(bytes)).toEqual({ ...report, data: Buffer.from(report.data) });
  });

  it('round-trips trace lines and names bad ones', () => {
    const header = parseTraceLine(formatTraceHeader({ gateway: 'gw-1', source: 'sim', startMs: 5 }));
    expect(header).toMatchObject({ kind: 'header', header: { gateway: 'gw-1', startMs: 5 } });
    const line = formatTraceRecord(1234, encodeAdvertisingReport(report));
    expect(parseTraceLine(line)).toMatchObject({
      kind: 'record',
      t: 1234,
      report: { rssi: -71, address: 'c0:11:22:33:44:55' },
    });
    expect(parseTraceLine('{"t":-1,"hci":"00"}')).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/"t" is -1/),
    });
    expect(parseTraceLine('{"t":1,"hci":"043e"}')).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/not a single LE Advertising Report/),
    });
    expect(parseTraceLine('nope')).toMatchObject({ kind: 'error', message: 'is not valid JSON' });
  });
});
