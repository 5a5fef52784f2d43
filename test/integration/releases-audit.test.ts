import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { openHubDatabase } from '../../hub/storage/sqlite-database.ts';
import { writeHubFiles } from '../helpers/hub-fixtures.ts';
import { addPresence, addShoppers, makeService } from './releases-fixtures.ts';

/** `hushpoint audit noise` and `hushpoint audit ledger`, run through the real launcher. */

const run = promisify(execFile);
const LAUNCHER = fileURLToPath(new URL('../../cli/hushpoint.mjs', import.meta.url));

describe('hushpoint audit noise', () => {
  it('prints N integers from the production discrete Gaussian, with the right spread', async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [LAUNCHER, 'audit', 'noise', '--mechanism', 'discrete-gaussian', '--sigma', '3', '--count', '20000'],
      { maxBuffer: 1 << 24 },
    );
    const xs = stdout.trim().split('\n').map(Number);
    expect(xs).toHaveLength(20000);
    expect(xs.every(Number.isInteger)).toBe(true);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    // Var of N_Z(0, 9) is just under 9; the sample variance's sd is ≈ 9·√(2/20000) ≈ 0.09.
    expect(Math.abs(mean)).toBeLessThan(0.15);
    expect(Math.abs(variance - 9)).toBeLessThan(0.6);
    expect(stderr).toMatch(/discrete Gaussian, σ² = 9/);
  });

  it('prints discrete Laplace samples and names wrong arguments', async () => {
    const { stdout } = await run(process.execPath, [
      LAUNCHER,
      'audit',
      'noise',
      '--mechanism',
      'discrete-laplace',
      '--scale',
      '1.5',
      '--count',
      '3',
    ]);
    expect(stdout.trim().split('\n')).toHaveLength(3);
    await expect(
      run(process.execPath, [LAUNCHER, 'audit', 'noise', '--mechanism', 'laplace', '--scale', '1', '--count', '3']),
    ).rejects.toMatchObject({
      code: 64,
      stderr: expect.stringMatching(/--mechanism is "laplace", expected discrete-laplace or discrete-gaussian/),
    });
    await expect(
      run(process.execPath, [
        LAUNCHER,
        'audit',
        'noise',
        '--mechanism',
        'discrete-gaussian',
        '--scale',
        '1',
        '--count',
        '3',
      ]),
    ).rejects.toMatchObject({
      code: 64,
      stderr: expect.stringMatching(/--scale does not apply to discrete-gaussian, expected --sigma/),
    });
    await expect(
      run(process.execPath, [
        LAUNCHER,
        'audit',
        'noise',
        '--mechanism',
        'discrete-gaussian',
        '--sigma=-2',
        '--count',
        '3',
      ]),
    ).rejects.toMatchObject({
      code: 64,
      stderr: expect.stringMatching(/--sigma: is "-2", expected a positive number/),
    });
  });
});

describe('hushpoint audit ledger', () => {
  it('prints the budget use as distributions, without shopper identities', async () => {
    const files = writeHubFiles({
      privacy: { zones: ['bakery', 'dairy'], budget: { dailyRho: 0.05, thirtyDayRho: 1 } },
    });
    try {
      const db = openHubDatabase(`${files.dir}/hub.db`);
      const pks = addShoppers(db, 10, { prefix: 'shopper-secret' });
      const T0 = Date.parse('2026-11-28T08:00:00Z');
      pks.forEach((pk, i) => {
        for (let h = 0; h < 1 + (i % 4); h++)
          addPresence(db, pk, i % 2 === 0 ? 'bakery' : 'dairy', T0 / 1000 + h * 3600, 2);
      });
      const service = makeService(db, {
        random: new SeededRandomSource(1),
        firstPeriodMs: T0,
        privacy: { zones: ['bakery', 'dairy'], budget: { dailyRho: 0.05, thirtyDayRho: 1 } },
      });
      await service.runDue(T0 + 5 * 3_600_000);
      db.close();

      const { stdout } = await run(process.execPath, [
        LAUNCHER,
        'audit',
        'ledger',
        '--config',
        files.configFile,
        '--day',
        '2026-11-28',
      ]);
      expect(stdout).toMatch(/analytics privacy ledger \(zCDP, privacy unit: shopper-day\) for 2026-11-28 \(UTC\)/);
      expect(stdout).toMatch(/caps: daily ρ 0\.05 \(ε [\d.]+ at δ 0\.000001\), 30-day ρ 1/);
      expect(stdout).toMatch(/shoppers with analytics consent: 10; with charges in the last 30 days: 10/);
      expect(stdout).toMatch(/releases of the day: dwell 4, footfall 4, visits 4/);
      expect(stdout).not.toMatch(/shopper-secret/);
      const { stdout: json } = await run(process.execPath, [
        LAUNCHER,
        'audit',
        'ledger',
        '--config',
        files.configFile,
        '--day',
        '2026-11-28',
        '--json',
      ]);
      const report = JSON.parse(json) as {
        summary: { units: number; day: { bins: Array<{ units: number }> } };
        filtered: number;
      };
      expect(report.summary.units).toBe(10);
      expect(report.summary.day.bins.reduce((a, b) => a + b.units, 0)).toBe(10);
      expect(report.filtered).toBeGreaterThan(0);
      expect(json).not.toMatch(/shopper-secret|"pk"|shopper_pk/);
      await expect(
        run(process.execPath, [LAUNCHER, 'audit', 'ledger', '--config', files.configFile, '--day', '28.11.2026']),
      ).rejects.toMatchObject({
        code: 64,
        stderr: expect.stringMatching(/--day is "28.11.2026", expected a date such as 2026-11-28/),
      });
    } finally {
      rmSync(files.dir, { recursive: true, force: true });
    }
  });
});
