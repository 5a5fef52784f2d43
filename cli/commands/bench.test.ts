import { describe, expect, it } from 'vitest';
import { main } from '../main.ts';

async function bench(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['bench', ...args], { out: (t) => void out.push(t), err: (t) => void err.push(t) });
  return { code, out, err };
}

describe('hushpoint bench', () => {
  it('names the suites when SUITE is unknown', async () => {
    const result = await bench('nope');
    expect(result.code).toBe(64);
    expect(result.err.join('\n')).toMatch(
      /SUITE is "nope", expected one of: gateway, hub, api, dp, offers, sim, privacy, synth, recommend, hq/,
    );
  });

  it('rejects a bad --runs before loading the suite', async () => {
    const result = await bench('offers', '--runs', '0');
    expect(result.code).toBe(64);
    expect(result.err.join('\n')).toMatch(/--runs is "0", expected an integer 1\.\.101/);
  });

  it('runs a suite --runs times (progress on stderr with --json) and prints its figures as JSON', async () => {
    const result = await bench('offers', '--runs', '2', '--json');
    expect(result.code).toBe(0);
    expect(result.err.filter((line) => /^run \d\/2:/.test(line))).toHaveLength(2);
    const figures = JSON.parse(result.out.join('')) as Record<string, number>;
    expect(figures.decisionsPerSec).toBeGreaterThan(0);
    expect(figures.kComputeMs10k).toBeGreaterThan(0);
  });

  it('uses 5 runs when neither --runs nor the suite says otherwise', async () => {
    const result = await bench('offers');
    expect(result.code).toBe(0);
    expect(result.out.filter((line) => /^run \d\/5:/.test(line))).toHaveLength(5);
  });
});
