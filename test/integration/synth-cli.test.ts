import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { formatCsv, parseCsv } from '../../shared/synth/csv.ts';
import { TOY_SCHEMA, toyRows } from '../../shared/testing/synth-tables.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { hushpoint as launch } from '../helpers/cli.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/online-retail-sample/lines.csv', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'synth-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

const header = TOY_SCHEMA.columns.map((c) => c.name);
const seed = 31;
const rng = new SeededRandomSource(seed);
const train = join(dir, 'train.csv');
const holdout = join(dir, 'holdout.csv');
const schema = join(dir, 'schema.json');
writeFileSync(train, formatCsv(header, toyRows(rng, 3000)));
writeFileSync(holdout, formatCsv(header, toyRows(rng, 1000)));
writeFileSync(schema, JSON.stringify(TOY_SCHEMA));
const common = ['--label', 'y', '--schema', schema];

describe('hushpoint synth fit / evaluate', () => {
  it('writes the input columns, numbers as numbers, the label as a class, and reports the guarantee', async () => {
    const out = join(dir, 'synth.csv');
    const r = await run(
      'synth',
      'fit',
      '--input',
      train,
      ...common,
      '--epsilon',
      '2',
      '--delta',
      '1e-6',
      '--rows',
      '700',
      '--seed',
      String(seed),
      '--out',
      out,
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('private only while the seed stays secret');
    const report = JSON.parse(r.out) as Record<string, unknown>;
    expect(report.rows).toBe(700);
    expect(report.epsilon as number).toBeLessThanOrEqual(2);
    expect(report.randomness).toBe('keyed');
    const synthetic = parseCsv(readFileSync(out, 'utf8'));
    expect(synthetic.header).toEqual(header);
    expect(synthetic.rows.length).toBe(700);
    for (const row of synthetic.rows) {
      expect(Number.isFinite(Number(row[0]))).toBe(true);
      expect(['0', '1']).toContain(row[5]);
      expect(['red', 'green', 'blue']).toContain(row[4]);
    }
    const e = await run(
      'synth',
      'evaluate',
      '--real',
      train,
      '--synthetic',
      out,
      '--holdout',
      holdout,
      ...common,
      '--epsilon',
      '2',
      '--seed',
      '1',
      '--json',
    );
    expect(e.code, e.err).toBe(0);
    const evaluation = JSON.parse(e.out) as {
      tstrAuc: Record<string, number>;
      distanceToClosestReal: { synthetic: { exactMatches: number } };
    };
    expect(evaluation.tstrAuc.real, `seed ${seed}`).toBeGreaterThan(0.85);
    expect(evaluation.tstrAuc.synthetic, `seed ${seed}`).toBeGreaterThan((evaluation.tstrAuc.real as number) - 0.05);
    // Independent columns carry no relation to the label: the baseline's direction is noise, its
    // AUC anywhere in [0, 1] (reported, not asserted).
    expect(evaluation.tstrAuc.independentMarginals).toBeGreaterThanOrEqual(0);
    expect(evaluation.distanceToClosestReal.synthetic.exactMatches).toBe(0);
    const text = await run(
      'synth',
      'evaluate',
      '--real',
      train,
      '--synthetic',
      out,
      '--holdout',
      holdout,
      ...common,
      '--seed',
      '1',
    );
    expect(text.out).toMatch(
      /^TSTR AUC on the holdout: synthetic 0\.\d{4} {2}real 0\.\d{4} {2}independent DP marginals 0\.\d{4}/m,
    );
  });

  it('builds the schema from --bounds and --categorical', async () => {
    const out = join(dir, 'bounds.csv');
    const r = await run(
      'synth',
      'fit',
      '--input',
      train,
      '--label',
      'y',
      '--bounds',
      'a=0:10',
      '--bounds',
      'b=0:1000:log',
      '--bounds',
      'c=-1:1',
      '--categorical',
      'flag=no|yes',
      '--categorical',
      'colour=red|green|blue',
      '--epsilon',
      '1',
      '--delta',
      '1e-6',
      '--seed',
      '3',
      '--out',
      out,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^wrote \d+ synthetic rows to .*bounds\.csv \(\d+ group means, m = \d+\)$/m);
    expect(r.out).toMatch(/\(ε = 1\.000, δ = 0\.000001\)-DP for adding or removing one row/);
    const rows = parseCsv(readFileSync(out, 'utf8')).rows;
    expect(rows.every((row) => Number(row[1]) >= 0 && Number(row[1]) <= 1000)).toBe(true);
  });

  it('writes soft labels with --adapt', async () => {
    const out = join(dir, 'adapted.csv');
    const r = await run(
      'synth',
      'fit',
      '--input',
      train,
      ...common,
      '--epsilon',
      '2',
      '--delta',
      '1e-6',
      '--seed',
      '2',
      '--adapt',
      '--out',
      out,
    );
    expect(r.code, r.err).toBe(0);
    const labels = parseCsv(readFileSync(out, 'utf8')).rows.map((row) => Number(row[5]));
    expect(labels.every((p) => p >= 0 && p <= 1)).toBe(true);
    expect(labels.some((p) => p > 0 && p < 1)).toBe(true);
  });

  it.each([
    [
      ['--label', 'nope', '--schema', schema],
      65,
      'the label column "nope" is not in the input, expected one of: a, b, c, flag, colour, y',
    ],
    [['--label', 'y', '--bounds', 'a=0:10'], 64, 'columns "b", "c", "flag", "colour" need public bounds'],
    [['--label', 'y', '--schema', schema, '--epsilon', '0'], 64, '--epsilon is "0", expected a number > 0'],
    [['--label', 'y', '--schema', schema, '--delta', '1'], 64, '--delta is "1", expected a number in (0, 1)'],
  ])('rejects %j with exit %i', async (args, code, message) => {
    const r = await run(
      'synth',
      'fit',
      '--input',
      train,
      '--epsilon',
      '1',
      '--delta',
      '1e-6',
      '--out',
      join(dir, 'x.csv'),
      ...args,
    );
    expect(r.code).toBe(code);
    expect(r.err).toContain(message);
    expect(existsSync(join(dir, 'x.csv'))).toBe(false);
  });

  it('rejects a non-numeric value and too few rows with exit 65, saying the minimum', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      formatCsv(header, [
        [1, 2, 0, 'no', 'red', '0'],
        ['n/a', 2, 0, 'no', 'red', '1'],
      ]),
    );
    const r = await run(
      'synth',
      'fit',
      '--input',
      bad,
      ...common,
      '--epsilon',
      '1',
      '--delta',
      '1e-6',
      '--out',
      join(dir, 'y.csv'),
    );
    expect(r.code).toBe(65);
    expect(r.err).toContain('row 2, column "a" is "n/a", expected a number such as 12 or 3.5');
    const small = join(dir, 'small.csv');
    writeFileSync(small, formatCsv(header, toyRows(new SeededRandomSource(1), 40)));
    const s = await run(
      'synth',
      'fit',
      '--input',
      small,
      ...common,
      '--epsilon',
      '1',
      '--delta',
      '1e-6',
      '--out',
      join(dir, 'y.csv'),
    );
    expect(s.code).toBe(65);
    expect(s.err).toMatch(
      /SYNTH_TOO_FEW_ROWS: the table has 40 rows, expected at least \d+ for ε = 1\.000, δ = 0\.000001/,
    );
    expect(existsSync(join(dir, 'y.csv'))).toBe(false);
  });
});

describe('hushpoint synth retail-task', () => {
  it('builds the customer task from invoice lines, counting the rejected lines by reason', async () => {
    const out = join(dir, 'task');
    const r = await run('synth', 'retail-task', '--input', FIXTURE, '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as { train: number; holdout: number; rejected: Record<string, number> };
    // 20 customers in the lines; 2 of them buy only after the 1 July cut-off (no feature rows).
    expect(summary.train + summary.holdout).toBe(18);
    // 5 appended cancellations plus the 20 customers' own 19; 30 postage/fee lines.
    expect(summary.rejected).toEqual({ 'no customer id': 5, cancellation: 24, 'not a product code': 30 });
    const task = parseCsv(readFileSync(join(out, 'train.csv'), 'utf8'));
    expect(task.header).toEqual([
      'recency',
      'tenure',
      'invoices',
      'lines',
      'items',
      'spend',
      'basket',
      'uk',
      'buys_again',
    ]);
    expect(JSON.parse(readFileSync(join(out, 'schema.json'), 'utf8')).label).toBe('buys_again');
  });

  it('says which file is missing (through the launcher)', async () => {
    const r = await launch(['synth', 'retail-task', '--input', join(dir, 'none.csv.gz'), '--out', join(dir, 't2')]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`the invoice file ${join(dir, 'none.csv.gz')} does not exist`);
  });
});
