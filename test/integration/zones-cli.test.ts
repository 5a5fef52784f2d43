import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hushpoint } from '../helpers/cli.ts';

/**
 * `hushpoint zones evaluate` on the real UCI recording (test/fixtures/rssi/README.md), through
 * the npm bin launcher: the gateway's coarsener and the hub's presence model on real radio data.
 */

const FIXTURE = fileURLToPath(new URL('../fixtures/rssi/uci-itag-4min.csv', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hp-zones-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Confusion = Record<string, Record<string, number>>;
const diagonal = (c: Confusion): number => Object.entries(c).reduce((n, [t, row]) => n + (row[t] ?? 0), 0);
const total = (c: Confusion): number =>
  Object.values(c).reduce((n, row) => n + Object.values(row).reduce((m, x) => m + x, 0), 0);

describe('hushpoint zones evaluate', () => {
  it('scores the real recording: figures consistent with the confusion, far less flapping than the vote', async () => {
    const run = await hushpoint(['zones', 'evaluate', '--rssi', FIXTURE, '--map', 'one=outside,two=inside', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const e = JSON.parse(run.stdout) as Record<string, unknown> & {
      confusion: Confusion;
      baselineConfusion: Confusion;
    };
    expect(e).toMatchObject({ rows: 3976, devices: 12, receivers: ['one', 'two'], unreachableZones: ['vestibule'] });
    expect(e.zones).toEqual(['inside', 'outside', 'vestibule']);
    const windows = e.windows as number;
    // 12 tags heard for 4 minutes in 10 s windows: about 24 windows each.
    expect(windows).toBeGreaterThan(12 * 20);
    expect(windows).toBeLessThanOrEqual(12 * 25);
    expect(total(e.confusion)).toBe(windows);
    expect(total(e.baselineConfusion)).toBe(windows);
    expect(e.accuracy).toBeCloseTo(diagonal(e.confusion) / windows, 12);
    expect(e.baselineAccuracy).toBeCloseTo(diagonal(e.baselineConfusion) / windows, 12);
    // The vestibule is never right: accuracy is at most the share of reachable windows.
    const reachable = windows - Object.values(e.confusion.vestibule ?? {}).reduce((m, x) => m + x, 0);
    expect(e.reachableAccuracy).toBeCloseTo(diagonal(e.confusion) / reachable, 12);
    // Nobody moved in this recording: every zone change is flapping, and hysteresis removes it.
    expect(e.truthChangesPerMinute).toBe(0);
    expect(e.baselineFlappingPerMinute as number).toBeGreaterThan(0.3);
    expect(e.flappingPerMinute as number).toBeLessThan((e.baselineFlappingPerMinute as number) / 10);
    expect(e.majorityClassAccuracy as number).toBeLessThan(0.5);

    // Per-receiver thresholds reach the gateway coarsener: bands that call every window far
    // leave the model only hits, which are equal here, so the figures change.
    const calibrated = await hushpoint([
      'zones',
      'evaluate',
      '--rssi',
      FIXTURE,
      '--map',
      'one=outside,two=inside',
      '--json',
      '--bands',
      'one=-20/-21,two=-20/-21',
    ]);
    expect(calibrated.code, calibrated.stderr).toBe(0);
    expect(JSON.parse(calibrated.stdout).confusion).not.toEqual(e.confusion);

    const text = await hushpoint(['zones', 'evaluate', '--rssi', FIXTURE, '--map', 'one=outside,two=inside']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${FIXTURE}: 3976 rows, 12 devices, receivers one→outside, two→inside`);
    expect(text.stdout).toMatch(/zone model {6}\d\.\d{3} {5}\d\.\d{3} {6}\d\.\d{3}/);
    expect(text.stdout).toContain('unreachable zones (no receiver stands for them): vestibule');
  });

  it('refuses bad input with what was wrong and what was expected (64 usage, 65 data)', async () => {
    expect(await hushpoint(['zones', 'evaluate', '--map', 'one=outside'])).toMatchObject({
      code: 64,
      stderr: expect.stringContaining('--rssi is required: the labelled RSSI recording (CSV)'),
    });
    expect(await hushpoint(['zones', 'evaluate', '--rssi', FIXTURE, '--map', 'one:outside'])).toMatchObject({
      code: 64,
      stderr: expect.stringContaining('--map "one:outside" is not RECEIVER=ZONE'),
    });
    expect(
      await hushpoint(['zones', 'evaluate', '--rssi', FIXTURE, '--map', 'one=a,two=b', '--near-dbm=-90']),
    ).toMatchObject({
      code: 64,
      stderr: expect.stringContaining('--mid-dbm is -80, expected at most --near-dbm (-90)'),
    });
    expect(
      await hushpoint(['zones', 'evaluate', '--rssi', FIXTURE, '--map', 'one=a,two=b', '--bands', 'one=-70/-60']),
    ).toMatchObject({
      code: 64,
      stderr: expect.stringContaining(
        '--bands entry "one=-70/-60" is not RECEIVER=NEAR/MID, expected dBm integers with -127 <= MID <= NEAR <= 20',
      ),
    });
    expect(await hushpoint(['zones', 'evaluate', '--rssi', join(dir, 'none.csv'), '--map', 'one=a'])).toEqual({
      code: 65,
      stdout: '',
      stderr: `hushpoint zones evaluate: RSSI_BAD_INPUT: ${join(dir, 'none.csv')}: cannot be read (ENOENT)\n`,
    });
    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      'time,device,receiver,rssi,zone\n1790000000000,t1,one,-60,inside\n1790000000001,t1,three,-60,inside\nsoon,t1,one,-60,inside\n',
    );
    expect(await hushpoint(['zones', 'evaluate', '--rssi', bad, '--map', 'one=inside,two=outside'])).toEqual({
      code: 65,
      stdout: '',
      stderr: `hushpoint zones evaluate: RSSI_BAD_INPUT: 2 bad rows, nothing evaluated:\n${bad}:3: receiver "three" is not in --map, expected one of: one, two\n${bad}:4: time is "soon", expected Unix milliseconds or ISO 8601 with a zone\n`,
    });
  });
});
