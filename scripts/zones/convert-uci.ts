import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * Converts UCI's "BLE RSSI dataset for indoor localization" (dataset 586, CC BY 4.0; columns
 * name,locationStatus,timestamp,rssiOne,rssiTwo, one row per moment with both phones' RSSI) to
 * the labelled RSSI format of docs/zones.md: one row per receiver (`one`, `two`), zones
 * `inside`, `vestibule`, `outside`. Each iTAG's address becomes `itag-NN` (in order of first
 * appearance), so the fixture carries no address.
 *
 *   npx tsx scripts/zones/convert-uci.ts --in filtered_rssi.csv --out FILE.csv [--minutes N]
 */

const ZONES: Record<string, string> = { INSIDE: 'inside', IN_VESTIBULE: 'vestibule', OUTSIDE: 'outside' };

function fail(message: string): never {
  process.stderr.write(`convert-uci: ${message}\n`);
  process.exit(65);
}

const { values } = parseArgs({
  options: { in: { type: 'string' }, out: { type: 'string' }, minutes: { type: 'string' } },
});
if (values.in === undefined || values.out === undefined) {
  process.stderr.write('usage: convert-uci.ts --in UCI.csv --out FILE.csv [--minutes N]\n');
  process.exit(64);
}
const minutes = values.minutes === undefined ? Infinity : Number(values.minutes);
if (!(minutes > 0)) fail(`--minutes is "${values.minutes}", expected a positive number`);
const lines = readFileSync(values.in, 'utf8').split('\n');
if (lines[0]?.trim() !== 'name,locationStatus,timestamp,rssiOne,rssiTwo')
  fail(`${values.in}:1: header is "${lines[0]}", expected "name,locationStatus,timestamp,rssiOne,rssiTwo"`);
const rows: Array<{ t: number; device: string; one: number; two: number; zone: string }> = [];
const devices = new Map<string, string>();
lines.slice(1).forEach((line, i) => {
  if (line.trim() === '') return;
  const [name, status, time, one, two] = line.trim().split(',');
  const zone = ZONES[status ?? ''];
  if (
    zone === undefined ||
    name === undefined ||
    !/^\d+$/.test(time ?? '') ||
    !/^-\d+$/.test(one ?? '') ||
    !/^-\d+$/.test(two ?? '')
  )
    fail(`${values.in}:${i + 2}: "${line}" is not name,INSIDE|IN_VESTIBULE|OUTSIDE,ms,rssi,rssi`);
  if (!devices.has(name)) devices.set(name, `itag-${String(devices.size + 1).padStart(2, '0')}`);
  rows.push({ t: Number(time), device: devices.get(name) as string, one: Number(one), two: Number(two), zone });
});
rows.sort((a, b) => a.t - b.t);
const start = rows[0]?.t ?? 0;
const out = ['time,device,receiver,rssi,zone'];
for (const r of rows) {
  if (r.t - start >= minutes * 60_000) break;
  out.push(`${r.t},${r.device},one,${r.one},${r.zone}`, `${r.t},${r.device},two,${r.two},${r.zone}`);
}
writeFileSync(values.out, `${out.join('\n')}\n`);
process.stdout.write(`${values.out}: ${out.length - 1} rows, ${devices.size} devices\n`);
