import { decodeAdvertisingReport, type AdvertisingReport } from './hci-report.ts';

/**
 * The BLE trace format (docs/trace-format.md): JSON Lines. The first line is a header, every
 * other line one raw HCI LE Advertising Report event with the wall-clock time it was received.
 *
 *   {"type":"header","format":"hushpoint-hci-trace","version":1,"gateway":"gw-1","source":"sim","startMs":1790000000000}
 *   {"t":1790000000123,"hci":"043e2102010301..."}
 *
 * The simulator writes it, `hushpoint gateway capture` records it (opt-in frames only, address
 * zeroed) and the gateway's replay adapter feeds it through noble's real parser.
 */

export const TRACE_FORMAT = 'hushpoint-hci-trace';
export const TRACE_VERSION = 1;

export interface TraceHeader {
  type: 'header';
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_VERSION;
  gateway?: string;
  source: 'sim' | 'capture' | string;
  startMs: number;
}

export interface TraceRecord {
  /** Unix milliseconds. */
  t: number;
  /** The HCI event packet as lowercase hex. */
  hci: string;
}

export function formatTraceHeader(header: Omit<TraceHeader, 'type' | 'format' | 'version'>): string {
  return JSON.stringify({ type: 'header', format: TRACE_FORMAT, version: TRACE_VERSION, ...header });
}

export function formatTraceRecord(t: number, hci: Uint8Array): string {
  return `{"t":${t},"hci":"${Buffer.from(hci.buffer, hci.byteOffset, hci.length).toString('hex')}"}`;
}

export type ParsedTraceLine =
  | { kind: 'header'; header: TraceHeader }
  | { kind: 'record'; t: number; hci: Buffer; report: AdvertisingReport }
  | { kind: 'error'; message: string };

/** Parses one line; errors name the line's problem (the caller adds FILE:LINE). */
export function parseTraceLine(line: string): ParsedTraceLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'error', message: 'is not valid JSON' };
  }
  if (value === null || typeof value !== 'object') return { kind: 'error', message: 'is not a JSON object' };
  const obj = value as Record<string, unknown>;
  if (obj.type === 'header') {
    if (obj.format !== TRACE_FORMAT || obj.version !== TRACE_VERSION) {
      return {
        kind: 'error',
        message: `header has format ${JSON.stringify(obj.format)} version ${JSON.stringify(obj.version)}, expected "${TRACE_FORMAT}" version ${TRACE_VERSION}`,
      };
    }
    return { kind: 'header', header: obj as unknown as TraceHeader };
  }
  if (typeof obj.t !== 'number' || !Number.isSafeInteger(obj.t) || obj.t < 0)
    return {
      kind: 'error',
      message: `"t" is ${JSON.stringify(obj.t)}, expected Unix milliseconds (a non-negative integer)`,
    };
  if (typeof obj.hci !== 'string' || !/^([0-9a-f]{2})+$/.test(obj.hci))
    return { kind: 'error', message: '"hci" is missing or not lowercase hex bytes' };
  const hci = Buffer.from(obj.hci, 'hex');
  const report = decodeAdvertisingReport(hci);
  if (report === null) return { kind: 'error', message: '"hci" is not a single LE Advertising Report event' };
  return { kind: 'record', t: obj.t, hci, report };
}
