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
  it("prints one period's budget use as distributions, without shopper identities", async () => {
    const files = writeHubFiles({
      privacy: { zones: ['bakery', 'dairy'], budget: { period: 'month', periodRho: 0.05 } },
    });
    try {
      const db = openHubDatabase(`${files.dir}/hub.db`);
      const pks = addShoppers(db, 10, { prefix: 'shopper-secret' });
      const T0 = Date.parse('2026-11-20T00:00:00Z');
      pks.forEach((pk, i) => {
        for (let d = 0; d < 2 + (i % 6); d++)
          addPresence(db, pk, i % 2 === 0 ? 'bakery' : 'dairy', T0 / 1000 + d * 86_400 + 36_000, 2);
      });
      const service = makeService(db, {
        random: new SeededRandomSource(1),
        firstWindowMs: T0,
        privacy: {
          zones: ['bakery', 'dairy'],
          budget: { period: 'month', periodRho: 0.05 },
          releases: { footfall: { rho: 0.02 }, visits: { enabled: false }, dwell: { enabled: false } },
        },
      });
      await service.runDue(T0 + 9 * 86_400_000);
      db.close();

      const { stdout } = await run(process.execPath, [
        LAUNCHER,
        'audit',
        'ledger',
        '--config',
        files.configFile,
        '--period',
        '2026-11',
      ]);
      expect(stdout).toMatch(/analytics budget ledger \(zCDP, privacy unit: one shopper over 2026-11, UTC\)/);
      expect(stdout).toMatch(/cap: ρ 0\.05 per period \(ε [\d.]+ at δ 0\.000001\); at most ρ 0\.6 a year/);
      expect(stdout).toMatch(/shoppers with analytics consent: 10; with spending in the period: 10/);
      expect(stdout).toMatch(/releases of the period: footfall 8, repeat 1, synthetic-visits 1, transitions 1/);
      expect(stdout).not.toMatch(/shopper-secret/);
      const { stdout: json } = await run(process.execPath, [
        LAUNCHER,
        'audit',
        'ledger',
        '--config',
        files.configFile,
        '--period',
        '2026-11',
        '--json',
      ]);
      const report = JSON.parse(json) as { spenders: number; bins: Array<{ units: number }>; excluded: number };
      expect(report.spenders).toBe(10);
      expect(report.bins.reduce((a, b) => a + b.units, 0)).toBe(10);
      expect(report.excluded).toBeGreaterThan(0);
      expect(json).not.toMatch(/shopper-secret|"pk"|shopper_pk/);
      await expect(
        run(process.execPath, [LAUNCHER, 'audit', 'ledger', '--config', files.configFile, '--period', '2026-Q4']),
      ).rejects.toMatchObject({
        code: 64,
        stderr: expect.stringMatching(/--period is "2026-Q4", expected a month such as "20\d\d-\d\d"/),
      });
    } finally {
      rmSync(files.dir, { recursive: true, force: true });
    }
  });
});
