import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BTSNOOP_UNIX_EPOCH_US, encodeBtsnoop, isAdvertisingReportEvent, isBtsnoop, parseBtsnoop } from './btsnoop.ts';
import { decodeAdvertisingReport, encodeAdvertisingReport } from './hci-report.ts';

const FIXTURE = new URL('../../test/fixtures/btsnoop/horizon-treadmill.btsnoop', import.meta.url);

const advert = (rssi: number): Buffer =>
  encodeAdvertisingReport({
    eventType: 3,
    addressType: 'random',
    address: 'c0:11:22:33:44:55',
    data: Buffer.from('0201060303aafe', 'hex'),
    rssi,
  });
const command = Buffer.from('010c20020100', 'hex'); // LE Set Scan Enable (on, no duplicate filter)
const aclData = Buffer.from('0240000400000004000100', 'hex');

/** One record as a writer with another datalink lays it out. */
function rawCapture(datalink: number, records: Array<{ flags: number; packet: Buffer; us: bigint }>): Buffer {
  const head = Buffer.alloc(16);
  head.write('btsnoop\0', 0, 'latin1');
  head.writeUInt32BE(1, 8);
  head.writeUInt32BE(datalink, 12);
  const parts: Buffer[] = [head];
  for (const r of records) {
    const h = Buffer.alloc(24);
    h.writeUInt32BE(r.packet.length, 0);
    h.writeUInt32BE(r.packet.length, 4);
    h.writeUInt32BE(r.flags, 8);
    h.writeBigInt64BE(r.us, 16);
    parts.push(h, r.packet);
  }
  return Buffer.concat(parts);
}

describe('btsnoop captures', () => {
  it('reads the real Android capture whole: H4 datalink, every record, 100 advertising reports in time order', () => {
    const bytes = readFileSync(FIXTURE);
    expect(isBtsnoop(bytes)).toBe(true);
    const capture = parseBtsnoop(bytes);
    expect(capture.problem).toBeNull();
    expect(capture.datalink).toBe(1002);
    expect(capture.records).toHaveLength(268);
    const last = capture.records.at(-1)!;
    expect(last.offset + 24 + last.packet.length).toBe(bytes.length);
    const adverts = capture.records.filter((r) => r.event !== null && isAdvertisingReportEvent(r.event));
    expect(adverts).toHaveLength(100);
    // Every advertising report in this capture is a single report our own decoder reads too.
    expect(adverts.every((r) => decodeAdvertisingReport(r.event!) !== null)).toBe(true);
    expect(new Date(capture.records[0]!.t).toISOString()).toBe('2021-02-01T03:27:59.092Z');
    expect(capture.records.every((r, i) => i === 0 || r.t >= capture.records[i - 1]!.t)).toBe(true);
    // Commands and ACL data are records, but not events.
    expect(capture.records.filter((r) => r.packet[0] === 0x01).every((r) => r.event === null)).toBe(true);
  });

  it('round-trips what it writes, with the btsnoop epoch', () => {
    const file = encodeBtsnoop([
      { t: 1_790_000_000_123, packet: command },
      { t: 1_790_000_000_124, packet: advert(-60) },
      { t: 1_790_000_000_124, packet: aclData },
    ]);
    expect(file.readBigInt64BE(16 + 16)).toBe(1_790_000_000_123_000n + BTSNOOP_UNIX_EPOCH_US);
    const capture = parseBtsnoop(file);
    expect(capture.problem).toBeNull();
    expect(capture.records.map((r) => [r.t, r.event === null])).toEqual([
      [1_790_000_000_123, true],
      [1_790_000_000_124, false],
      [1_790_000_000_124, true],
    ]);
    expect(decodeAdvertisingReport(capture.records[1]!.event!)?.rssi).toBe(-60);
  });

  it('reads datalink 1001 (no type byte) and 2001 (Linux monitor) events in H4 form', () => {
    const body = advert(-70).subarray(1);
    const us = 1_790_000_000_000_000n + BTSNOOP_UNIX_EPOCH_US;
    const h1 = parseBtsnoop(
      rawCapture(1001, [
        { flags: 3, packet: body, us },
        { flags: 2, packet: command.subarray(1), us },
        { flags: 1, packet: aclData.subarray(1), us },
      ]),
    );
    expect(h1.problem).toBeNull();
    expect(h1.records.map((r) => r.event?.toString('hex') ?? null)).toEqual([advert(-70).toString('hex'), null, null]);
    const monitor = parseBtsnoop(
      rawCapture(2001, [
        { flags: 3, packet: body, us },
        { flags: (1 << 16) | 2, packet: command.subarray(1), us },
      ]),
    );
    expect(monitor.records.map((r) => r.event?.toString('hex') ?? null)).toEqual([advert(-70).toString('hex'), null]);
  });

  const good = encodeBtsnoop([
    { t: 1_790_000_000_000, packet: advert(-50) },
    { t: 1_790_000_000_100, packet: advert(-51) },
    { t: 1_790_000_000_200, packet: advert(-52) },
  ]);
  const secondRecord = 16 + 24 + advert(-50).length;
  const thirdRecord = secondRecord + 24 + advert(-51).length;

  it.each([
    ['empty file', Buffer.alloc(0), 0, 0, 'the file is 0 bytes, expected a 16-byte btsnoop header'],
    ['not btsnoop', Buffer.from('{"type":"header"}\n'), 0, 0, 'does not start with "btsnoop\\0"'],
    [
      'version 2',
      Buffer.concat([good.subarray(0, 8), Buffer.from('0000000200', 'hex').subarray(0, 4), good.subarray(12)]),
      8,
      0,
      'btsnoop version is 2, expected 1',
    ],
    [
      'unknown datalink',
      Buffer.concat([good.subarray(0, 12), Buffer.from('000007d3', 'hex'), good.subarray(16)]),
      12,
      0,
      'datalink is 2003, expected 1002 (HCI UART H4), 1001 (HCI) or 2001 (Linux monitor)',
    ],
    [
      'cut in a record header',
      good.subarray(0, thirdRecord + 10),
      thirdRecord,
      2,
      'record header is cut short (10 of 24 bytes)',
    ],
    ['cut in a packet', good.subarray(0, thirdRecord + 24 + 5), thirdRecord, 2, 'packet is cut short (5 of 22 bytes)'],
  ])('%s: stops at the byte where it is wrong, keeping the records before', (_name, bytes, offset, kept, message) => {
    const capture = parseBtsnoop(bytes);
    expect(capture.problem?.offset).toBe(offset);
    expect(capture.problem?.message).toContain(message);
    expect(capture.records).toHaveLength(kept);
  });

  it('stops at a record whose lengths or time make no sense', () => {
    const badLength = Buffer.from(good);
    badLength.writeUInt32BE(5, secondRecord); // original 5 < included 22
    expect(parseBtsnoop(badLength).problem).toEqual({
      offset: secondRecord,
      message: 'included length 22 is more than original length 5, expected at most the original',
    });
    const backwards = Buffer.from(good);
    backwards.writeBigInt64BE(1_789_000_000_000_000n + BTSNOOP_UNIX_EPOCH_US, thirdRecord + 16);
    const capture = parseBtsnoop(backwards);
    expect(capture.problem?.offset).toBe(thirdRecord + 16);
    expect(capture.problem?.message).toMatch(/earlier than the previous record's .* expected non-decreasing times$/);
    expect(capture.records).toHaveLength(2);
  });

  it('marks a packet the capture cut (included < original) so that it is not replayed as whole', () => {
    const cut = Buffer.from(good);
    cut.writeUInt32BE(40, secondRecord); // original 40, included 22
    const capture = parseBtsnoop(cut);
    expect(capture.problem).toBeNull();
    expect(capture.records.map((r) => r.cut)).toEqual([false, true, false]);
  });

  it('tells an advertising report event from other LE meta events and from short bytes', () => {
    expect(isAdvertisingReportEvent(advert(-40))).toBe(true);
    expect(isAdvertisingReportEvent(Buffer.from('043e0a0d01', 'hex'))).toBe(false); // length says 10, has 2
    expect(isAdvertisingReportEvent(Buffer.from('043e03010000', 'hex'))).toBe(false); // connection complete
    expect(isAdvertisingReportEvent(Buffer.from('040e0401', 'hex'))).toBe(false);
  });
});
