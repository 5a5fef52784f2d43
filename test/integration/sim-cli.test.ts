import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hushpoint as runHushpoint, type CliRun } from '../helpers/cli.ts';
import { afterAll, describe, expect, it } from 'vitest';

/** `hushpoint sim` through the npm bin launcher, as a technician or CI runs it. */
const SMALL = join(import.meta.dirname, '../../scripts/stores/fashion-small.yaml');

const hushpoint = (...args: string[]): Promise<CliRun> => runHushpoint(args);

describe('hushpoint sim (launcher)', () => {
  it('lists generate, run and score, each with --help', async () => {
    const help = await hushpoint('sim', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/generate .*\n.*run .*\n.*score /);
    expect((await hushpoint('--help')).stdout).toMatch(/\n\s+sim\s+simulate a store/);
    const generate = await hushpoint('sim', 'generate', '--help');
    expect(generate.stdout).toContain('hushpoint sim generate --store FILE --minutes M --seed S --out DIR');
  });

  const dir = mkdtempSync(join(tmpdir(), 'hp-sim-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a store, then scores a hand-made observation of it', async () => {
    const out = join(dir, 'out');
    const generated = await hushpoint(
      'sim',
      'generate',
      '--store',
      SMALL,
      '--minutes',
      '20',
      '--seed',
      '3',
      '--out',
      out,
      '--json',
    );
    expect(generated.code).toBe(0);
    const summary = JSON.parse(generated.stdout) as {
      advertsWritten: number;
      advertsPerSec: number;
      truthRecords: number;
    };
    expect(summary.advertsWritten).toBeGreaterThan(10_000);
    expect(summary.advertsPerSec).toBeGreaterThan(0);
    const truth = readFileSync(join(out, 'truth.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { windowStart: number; shopperId: string; zone: string });
    expect(truth).toHaveLength(summary.truthRecords);
    const observed = join(dir, 'observed.jsonl');
    writeFileSync(
      observed,
      truth
        .slice(0, 10)
        .map((r) => JSON.stringify({ windowStart: r.windowStart, shopperId: r.shopperId, zone: r.zone }))
        .join('\n'),
    );
    const score = await hushpoint('sim', 'score', '--truth', join(out, 'truth.jsonl'), '--observed', observed);
    expect(score.code).toBe(0);
    expect(score.stdout).toContain(`precision 1.000  recall ${(10 / truth.length).toFixed(3)}`);
    // The observation is the truth itself: no zone change the truth does not have.
    expect(score.stdout).toMatch(/room flapping 0\.000 zone changes per shopper-minute the truth does not have \(0 in/);
    const bad = await hushpoint('sim', 'generate', '--store', SMALL, '--minutes', '1', '--seed', '3', '--out', out);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/already holds simulator output/);
  });
});
