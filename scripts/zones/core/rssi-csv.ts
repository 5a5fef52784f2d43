/**
 * Labelled RSSI recordings (docs/zones.md): CSV with the header `time,device,receiver,rssi,zone`,
 * one row per advert heard by one receiver; `zone` is the ground truth. `time` is Unix
 * milliseconds or an ISO 8601 date-time with a zone. Pure: the caller reads the file.
 *
 * Every bad row is reported with its line and what was expected; a recording with any bad row
 * is refused whole, so that no row is silently left out of a measurement.
 */

export interface RssiRow {
  /** Unix milliseconds. */
  t: number;
  device: string;
  receiver: string;
  /** dBm, an integer −127..20. */
  rssi: number;
  zone: string;
  /** 1-based line in the file. */
  line: number;
}

export interface RssiProblem {
  line: number;
  message: string;
}

export const RSSI_CSV_HEADER = ['time', 'device', 'receiver', 'rssi', 'zone'] as const;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const NAME_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

function parseTime(text: string): number | null {
  if (/^\d{1,16}$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : null;
  }
  if (!ISO_RE.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) || ms < 0 ? null : ms;
}

export function parseRssiCsv(text: string): { rows: RssiRow[]; problems: RssiProblem[] } {
  const rows: RssiRow[] = [];
  const problems: RssiProblem[] = [];
  const lines = text.split('\n');
  const header = (lines[0] ?? '').replace(/\r$/, '').replace(/^\uFEFF/, '');
  const columns = header.split(',').map((c) => c.trim());
  if (columns.join(',') !== RSSI_CSV_HEADER.join(',')) {
    problems.push({
      line: 1,
      message: `header is "${header}", expected "${RSSI_CSV_HEADER.join(',')}"`,
    });
    return { rows, problems };
  }
  for (let i = 1; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const line = i + 1;
    const cells = raw.split(',').map((c) => c.trim());
    if (cells.length !== RSSI_CSV_HEADER.length) {
      problems.push({ line, message: `has ${cells.length} fields, expected 5 (${RSSI_CSV_HEADER.join(',')})` });
      continue;
    }
    const [time, device, receiver, rssiText, zone] = cells as [string, string, string, string, string];
    const t = parseTime(time);
    if (t === null) {
      problems.push({ line, message: `time is "${time}", expected Unix milliseconds or ISO 8601 with a zone` });
      continue;
    }
    const bad = [
      ['device', device],
      ['receiver', receiver],
      ['zone', zone],
    ].find(([, v]) => !NAME_RE.test(v as string));
    if (bad !== undefined) {
      problems.push({ line, message: `${bad[0]} is "${bad[1]}", expected 1–64 of A–Z a–z 0–9 _ . : -` });
      continue;
    }
    const rssi = Number(rssiText);
    if (!/^-?\d+$/.test(rssiText) || rssi < -127 || rssi > 20) {
      problems.push({ line, message: `rssi is "${rssiText}", expected an integer dBm from -127 to 20` });
      continue;
    }
    rows.push({ t, device, receiver, rssi, zone, line });
  }
  if (rows.length === 0 && problems.length === 0)
    problems.push({ line: 1, message: 'has no rows, expected at least one' });
  return { rows, problems };
}

/** `one=outside,two=inside` → receiver → zone. Throws a RangeError naming the bad entry. */
export function parseZoneMap(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of text.split(',')) {
    const m = /^([A-Za-z0-9_.:-]{1,64})=([A-Za-z0-9_.:-]{1,64})$/.exec(entry.trim());
    if (m === null) throw new RangeError(`"${entry}" is not RECEIVER=ZONE (names of A–Z a–z 0–9 _ . : -)`);
    if (map.has(m[1] as string)) throw new RangeError(`receiver "${m[1]}" is mapped twice, expected once`);
    map.set(m[1] as string, m[2] as string);
  }
  return map;
}
