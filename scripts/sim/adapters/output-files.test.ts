import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeAdvertisingReport } from '../../../shared/ble/hci-report.ts';
import { formatTraceHeader, formatTraceRecord } from '../../../shared/ble/trace.ts';
import { existingOutputs, openOutputFiles, TraceFile } from './output-files.ts';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function tmp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

describe('trace files', () => {
  it('writes exactly the bytes of formatTraceRecord, across buffer flushes', () => {
    const dir = tmp('hp-trace-');
    const file = new TraceFile(join(dir, 't.jsonl'), formatTraceHeader({ gateway: 'gw', source: 'sim', startMs: 5 }));
    const expected = [formatTraceHeader({ gateway: 'gw', source: 'sim', startMs: 5 })];
    for (let i = 0; i < 30_000; i++) {
      const data = Buffer.alloc(i % 32, i & 0xff);
      const hci = encodeAdvertisingReport({
        eventType: i % 5,
        addressType: i % 2 ? 'random' : 'public',
        address: 'ab:cd:ef:01:23:45',
        data,
        rssi: -(i % 128),
      });
      const t = 1_795_856_400_000 + i * 37;
      file.record(t, hci);
      expected.push(formatTraceRecord(t, hci));
    }
    file.close();
    file.close();
    expect(readFileSync(join(dir, 't.jsonl'), 'utf8')).toBe(`${expected.join('\n')}\n`);
  });

  it('refuses to mix with earlier output unless forced, then replaces it', () => {
    const dir = tmp('hp-out-');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(existingOutputs(dir)).toEqual([]);
    openOutputFiles(dir, [{ id: 'gw-a' }], 0).close();
    expect(existingOutputs(dir).sort()).toEqual(['traces', 'truth.jsonl']);
    expect(() => openOutputFiles(dir, [{ id: 'gw-b' }], 0)).toThrow(
      /already holds simulator output \(.*traces.*\); choose another --out or pass --force/,
    );
    openOutputFiles(dir, [{ id: 'gw-b' }], 0, { force: true }).close();
    expect(readFileSync(join(dir, 'traces', 'gw-b.jsonl'), 'utf8')).toMatch(/^{"type":"header"/);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(() => readFileSync(join(dir, 'traces', 'gw-a.jsonl'))).toThrow(/ENOENT/);
  });
});
