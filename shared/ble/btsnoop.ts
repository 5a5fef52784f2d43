import { EVT_LE_META, HCI_EVENT_PKT } from './hci-report.ts';

/**
 * The btsnoop capture format (docs/trace-format.md, "btsnoop captures"): what Android's
 * "Bluetooth HCI snoop log" (`btsnoop_hci.log`) and BlueZ's `btmon -w` write. All integers are
 * big-endian.
 *
 *   header (16 bytes):  "btsnoop\0" | version u32 = 1 | datalink u32
 *   record (24 + n):    original length u32 | included length u32 | flags u32 | drops u32
 *                       | timestamp i64 (µs since 0000-01-01) | n packet bytes
 *
 * Datalinks read here: 1002 (HCI UART H4: the packet starts with its H4 type byte, 0x04 for an
 * event — Android), 1001 (HCI without the type byte; flags bit 1 set = command or event, bit 0
 * set = received) and 2001 (the Linux monitor: flags' low 16 bits are the opcode, 3 = event —
 * BlueZ). Every event is handed on in H4 form (0x04 first), as the kernel's HCI socket hands it
 * to noble.
 *
 * A damaged file is never thrown away whole: parsing stops at the first bad byte and returns
 * the records before it with the offset and what was wrong there.
 */

export const BTSNOOP_MAGIC = Buffer.from('btsnoop\0', 'latin1');
export const BTSNOOP_HEADER_BYTES = 16;
export const BTSNOOP_RECORD_HEADER_BYTES = 24;
export const BTSNOOP_DATALINKS = { H1: 1001, H4: 1002, MONITOR: 2001 } as const;
/**
 * Microseconds from the btsnoop epoch to the Unix epoch: the constant Android's writer and
 * Wireshark's reader use (0x00dcddb30f2f8000).
 */
export const BTSNOOP_UNIX_EPOCH_US = 0x00dcddb30f2f8000n;
const MONITOR_OPCODE_EVENT = 3;
const LE_ADVERTISING_REPORT = 0x02;
const LE_EXTENDED_ADVERTISING_REPORT = 0x0d;

export interface BtsnoopRecord {
  /** Byte offset of the record's header in the file. */
  offset: number;
  /** Unix milliseconds (the capture's µs, floored). */
  t: number;
  /** The packet as captured (for 1001/2001 without an H4 type byte). */
  packet: Buffer;
  /** The packet as an H4 HCI event (0x04 first), null when the record is not a received event. */
  event: Buffer | null;
  /** Included length below original length: the capture cut the packet. */
  cut: boolean;
}

export interface BtsnoopProblem {
  /** Byte offset where the file stops making sense. */
  offset: number;
  message: string;
}

export interface BtsnoopCapture {
  datalink: number;
  records: BtsnoopRecord[];
  /** The first problem; the records before it are in `records`. */
  problem: BtsnoopProblem | null;
}

/** True when the bytes start with the btsnoop magic. */
export function isBtsnoop(bytes: Uint8Array): boolean {
  return bytes.length >= BTSNOOP_MAGIC.length && BTSNOOP_MAGIC.equals(bytes.subarray(0, BTSNOOP_MAGIC.length));
}

function eventOf(datalink: number, flags: number, packet: Buffer): Buffer | null {
  if (datalink === BTSNOOP_DATALINKS.H4) return packet[0] === HCI_EVENT_PKT ? packet : null;
  if (datalink === BTSNOOP_DATALINKS.H1) {
    const isEvent = (flags & 0b11) === 0b11; // command/event, received
    return isEvent ? Buffer.concat([Buffer.of(HCI_EVENT_PKT), packet]) : null;
  }
  return (flags & 0xffff) === MONITOR_OPCODE_EVENT ? Buffer.concat([Buffer.of(HCI_EVENT_PKT), packet]) : null;
}

/** Parses a whole btsnoop file; never throws on bad bytes (see `problem`). */
export function parseBtsnoop(bytes: Uint8Array): BtsnoopCapture {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const records: BtsnoopRecord[] = [];
  const fail = (offset: number, message: string, datalink = 0): BtsnoopCapture => ({
    datalink,
    records,
    problem: { offset, message },
  });
  if (buf.length < BTSNOOP_HEADER_BYTES)
    return fail(0, `the file is ${buf.length} bytes, expected a 16-byte btsnoop header`);
  if (!isBtsnoop(buf)) return fail(0, 'does not start with "btsnoop\\0", expected a btsnoop capture');
  const version = buf.readUInt32BE(8);
  if (version !== 1) return fail(8, `btsnoop version is ${version}, expected 1`);
  const datalink = buf.readUInt32BE(12);
  if (!Object.values(BTSNOOP_DATALINKS).includes(datalink as 1001))
    return fail(12, `datalink is ${datalink}, expected 1002 (HCI UART H4), 1001 (HCI) or 2001 (Linux monitor)`);
  let offset = BTSNOOP_HEADER_BYTES;
  let lastUs = -1n;
  while (offset < buf.length) {
    const left = buf.length - offset;
    if (left < BTSNOOP_RECORD_HEADER_BYTES)
      return fail(offset, `record header is cut short (${left} of 24 bytes), expected a whole record`, datalink);
    const original = buf.readUInt32BE(offset);
    const included = buf.readUInt32BE(offset + 4);
    const flags = buf.readUInt32BE(offset + 8);
    const us = buf.readBigInt64BE(offset + 16);
    if (included > original)
      return fail(
        offset,
        `included length ${included} is more than original length ${original}, expected at most the original`,
        datalink,
      );
    if (included === 0) return fail(offset, 'included length is 0, expected at least one packet byte', datalink);
    if (included > left - BTSNOOP_RECORD_HEADER_BYTES)
      return fail(
        offset,
        `packet is cut short (${left - BTSNOOP_RECORD_HEADER_BYTES} of ${included} bytes), expected the whole record`,
        datalink,
      );
    if (us < BTSNOOP_UNIX_EPOCH_US)
      return fail(offset + 16, `timestamp ${us} µs is before 1970, expected µs since year 0 (btsnoop epoch)`, datalink);
    if (us < lastUs)
      return fail(
        offset + 16,
        `timestamp ${us} µs is earlier than the previous record's (${lastUs}), expected non-decreasing times`,
        datalink,
      );
    lastUs = us;
    const start = offset + BTSNOOP_RECORD_HEADER_BYTES;
    const packet = buf.subarray(start, start + included);
    records.push({
      offset,
      t: Number((us - BTSNOOP_UNIX_EPOCH_US) / 1000n),
      packet,
      event: eventOf(datalink, flags, packet),
      cut: included < original,
    });
    offset = start + included;
  }
  return { datalink, records, problem: null };
}

/** An LE Advertising Report (legacy 0x02 or extended 0x0D) in H4 form, whole: what noble parses. */
export function isAdvertisingReportEvent(event: Uint8Array): boolean {
  return (
    event.length >= 5 &&
    event[0] === HCI_EVENT_PKT &&
    event[1] === EVT_LE_META &&
    event[2] === event.length - 3 &&
    (event[3] === LE_ADVERTISING_REPORT || event[3] === LE_EXTENDED_ADVERTISING_REPORT)
  );
}

export interface BtsnoopWriteRecord {
  /** Unix milliseconds. */
  t: number;
  /** An H4 packet (type byte first). */
  packet: Uint8Array;
  /** Default: received event (flags 3) for an event, sent (2) for a command, 0/1 for data. */
  flags?: number;
}

/** Builds a btsnoop file, datalink 1002 (H4), as Android writes it. */
export function encodeBtsnoop(records: Iterable<BtsnoopWriteRecord>): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(1, 0);
  head.writeUInt32BE(BTSNOOP_DATALINKS.H4, 4);
  const parts: Buffer[] = [BTSNOOP_MAGIC, head];
  for (const r of records) {
    if (!Number.isSafeInteger(r.t) || r.t < 0) throw new RangeError(`t is ${r.t}, expected Unix milliseconds`);
    if (r.packet.length === 0) throw new RangeError('packet is empty, expected an H4 packet');
    const header = Buffer.alloc(BTSNOOP_RECORD_HEADER_BYTES);
    const type = r.packet[0];
    const flags = r.flags ?? (type === HCI_EVENT_PKT ? 3 : type === 0x01 ? 2 : 1);
    header.writeUInt32BE(r.packet.length, 0);
    header.writeUInt32BE(r.packet.length, 4);
    header.writeUInt32BE(flags, 8);
    header.writeUInt32BE(0, 12);
    header.writeBigInt64BE(BigInt(r.t) * 1000n + BTSNOOP_UNIX_EPOCH_US, 16);
    parts.push(header, Buffer.from(r.packet.buffer, r.packet.byteOffset, r.packet.length));
  }
  return Buffer.concat(parts);
}
