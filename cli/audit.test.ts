import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const LAUNCHER = fileURLToPath(new URL('./hushpoint.mjs', import.meta.url));

describe('hushpoint audit offers', () => {
  it('prints one rank per decision and the exact probabilities on stderr', async () => {
    const { stdout, stderr } = await run(process.execPath, [
      LAUNCHER,
      'audit',
      'offers',
      '--items',
      '20',
      '--epsilon',
      '2',
      '--count',
      '20000',
    ]);
    const ranks = stdout.trim().split('\n').map(Number);
    expect(ranks).toHaveLength(20000);
    expect(ranks.every((r) => Number.isInteger(r) && r >= 1 && r <= 20)).toBe(true);
    expect(stderr).toMatch(/^k=5 a=4096 b=30265 W=212765/m);
    expect(stderr).toMatch(/P\(each top-5 offer\)=30265\/212765/);
    // The top-5 share is 5·30265/212765 ≈ 0.711; 20,000 draws put it within ±0.02 with overwhelming probability.
    const topShare = ranks.filter((r) => r <= 5).length / ranks.length;
    expect(Math.abs(topShare - (5 * 30265) / 212765)).toBeLessThan(0.02);
  });

  it('honours --k and rejects bad arguments by name', async () => {
    const { stderr } = await run(process.execPath, [
      LAUNCHER,
      'audit',
      'offers',
      '--items',
      '20',
      '--epsilon',
      '2',
      '--count',
      '1',
      '--k',
      '3',
    ]);
    expect(stderr).toMatch(/^k=3 /m);
    await expect(
      run(process.execPath, [LAUNCHER, 'audit', 'offers', '--items', '0', '--epsilon', '2', '--count', '1']),
    ).rejects.toMatchObject({
      code: 64,
      stderr: expect.stringMatching(/--items is "0", expected an integer 1\.\.1000000/),
    });
    await expect(
      run(process.execPath, [
        LAUNCHER,
        'audit',
        'offers',
        '--items',
        '5',
        '--epsilon',
        '2',
        '--count',
        '1',
        '--k',
        '9',
      ]),
    ).rejects.toMatchObject({ code: 64, stderr: expect.stringMatching(/--k is "9", expected an integer 1\.\.5/) });
  });
});
