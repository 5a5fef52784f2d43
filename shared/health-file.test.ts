import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HEALTH_FILE_ENV, parseHealthRecord, reportHealthy } from './health-file.ts';
import { packageVersion } from './version.ts';

const dir = mkdtempSync(join(tmpdir(), 'hushpoint-health-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('health file', () => {
  it('is written only when the environment names it, as one complete line, and parses back', () => {
    expect(reportHealthy('gateway', {})).toBeNull();
    const file = join(dir, 'health.json');
    const at = new Date('2026-12-04T18:30:00.000Z');
    expect(reportHealthy('gateway', { [HEALTH_FILE_ENV]: file }, at)).toBe(file);
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(parseHealthRecord(text)).toEqual({
      v: 1,
      version: packageVersion(),
      pid: process.pid,
      role: 'gateway',
      at: at.toISOString(),
    });
    expect(readdirSync(dir)).toEqual(['health.json']); // no temporary file left
  });

  it.each([
    '',
    '{',
    'null',
    '[]',
    '{"v":2,"version":"1.0.0","pid":1,"role":"hub","at":"2026-12-04T18:30:00Z"}',
    '{"v":1,"version":"1.0.0","pid":1.5,"role":"hub","at":"2026-12-04T18:30:00Z"}',
    '{"v":1,"version":"1.0.0","pid":1,"role":"hub","at":"yesterday"}',
  ])('does not take %j for a health line', (text) => {
    expect(parseHealthRecord(text)).toBeNull();
  });
});
