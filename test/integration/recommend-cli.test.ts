import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hushpoint as runHushpoint, type CliRun } from '../helpers/cli.ts';

/** `hushpoint recommend` and `hushpoint sim purchases` through the launcher, on the committed fixture. */
const FIXTURE = join(import.meta.dirname, '../fixtures/online-retail/purchases.csv.gz');
const dir = mkdtempSync(join(tmpdir(), 'hp-reco-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hushpoint = (...args: string[]): Promise<CliRun> => runHushpoint(args, { timeoutMs: 60_000 });

describe('hushpoint recommend', () => {
  const model = join(dir, 'model.json');

  it('fits a signed model on a POS file and reports the import by reason', async () => {
    const run = await hushpoint('recommend', 'fit', '--purchases', FIXTURE, '--epsilon', '4', '--out', model, '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown> & {
      imports: { byReason: Record<string, number> }[];
    };
    expect(report.stores).toBe(1);
    expect(report.shoppers).toBe(55);
    expect(report.epsilon).toBeLessThanOrEqual(4);
    expect(report.imports[0]?.byReason.cancellation).toBe(72);
    expect(run.stderr).toContain(`its public key is in ${model}.pub.pem`);
  });

  it('scores every customer of the file, k per customer, never an owned item with --new-only', async () => {
    const out = join(dir, 'recs.csv');
    const run = await hushpoint(
      'recommend',
      'score',
      '--model',
      model,
      '--purchases',
      FIXTURE,
      '--k',
      '5',
      '--new-only',
      '--out',
      out,
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ customers: 55, k: 5, mode: 'new' });
    const rows = readFileSync(out, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('customer_id,rank,stock_code');
    expect(rows.length).toBe(1 + 55 * 5);
    const fixtureLines = await import('node:zlib').then((z) =>
      z.gunzipSync(readFileSync(FIXTURE)).toString('utf8').split('\n'),
    );
    const owned = new Set(
      fixtureLines
        .slice(1)
        .map((l) => l.split('","'))
        .filter((f) => f.length >= 7)
        .map((f) => `${f[6]}|${(f[1] ?? '').toUpperCase()}`),
    );
    for (const row of rows.slice(1)) {
      const [customer, , code] = row.split(',');
      expect(owned.has(`${customer}|${code}`), row).toBe(false);
    }
  });

  it('refuses a tampered model (exit 65) and a model signed by another key', async () => {
    const envelope = JSON.parse(readFileSync(model, 'utf8')) as { body: string };
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify({ ...envelope, body: envelope.body.replace('"version":1', '"version":9') }));
    const run = await hushpoint(
      'recommend',
      'score',
      '--model',
      tampered,
      '--public-key',
      `${model}.pub.pem`,
      '--purchases',
      FIXTURE,
      '--out',
      join(dir, 'x.csv'),
    );
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(
      /RECO_MODEL_SIGNATURE: Model file ".*tampered.json" does not verify with key [0-9a-f]{16}/,
    );
    const key = join(dir, 'other');
    expect((await hushpoint('recommend', 'keygen', '--out', key)).code).toBe(0);
    const wrong = await hushpoint(
      'recommend',
      'score',
      '--model',
      model,
      '--public-key',
      `${key}.pub.pem`,
      '--purchases',
      FIXTURE,
      '--out',
      join(dir, 'y.csv'),
    );
    expect(wrong.code).toBe(65);
    expect(wrong.stderr).toContain('expected the trusted key');
  });

  it('evaluates against the baselines on a temporal split', async () => {
    const run = await hushpoint(
      'recommend',
      'evaluate',
      '--purchases',
      FIXTURE,
      '--split-at',
      '2011-07-01',
      '--epsilon',
      '2',
      '--runs',
      '1',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Record<
      string,
      { all: { hitRate: number }; new: { hitRate: number } | null }
    > & { customers: { all: number } };
    expect(report.customers.all).toBeGreaterThan(10);
    for (const name of [
      'model',
      'dpPopularity',
      'dpRepeat',
      'itemItemNonPrivate',
      'popularityNonPrivate',
      'repeatNonPrivate',
    ]) {
      expect(report[name]?.all.hitRate, name).toBeGreaterThanOrEqual(0);
    }
    expect(report.dpRepeat?.new).toBeNull();
  });

  it('gives bad input a clear error and exit code', async () => {
    const unknown = await hushpoint(
      'recommend',
      'fit',
      '--purchases',
      FIXTURE,
      '--epsilon',
      '1',
      '--out',
      model,
      '--bogus',
    );
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    const eps = await hushpoint('recommend', 'fit', '--purchases', FIXTURE, '--epsilon', '0', '--out', model);
    expect(eps.code).toBe(64);
    expect(eps.stderr).toContain('--epsilon is "0", expected a number > 0');
    const columns = join(dir, 'columns.csv');
    writeFileSync(columns, 'invoice,stock_code,quantity\n1,10001,2\n');
    const missing = await hushpoint('recommend', 'fit', '--purchases', columns, '--epsilon', '1', '--out', model);
    expect(missing.code).toBe(65);
    expect(missing.stderr).toContain('has no columns description, invoice_date, unit_price, customer_id, country');
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, 'invoice,stock_code,description,quantity,invoice_date,unit_price,customer_id,country\n');
    const none = await hushpoint('recommend', 'fit', '--purchases', empty, '--epsilon', '1', '--out', model);
    expect(none.code).toBe(65);
    expect(none.stderr).toContain('has a header but no purchase lines');
    const split = await hushpoint('recommend', 'evaluate', '--purchases', FIXTURE);
    expect(split.code).toBe(64);
    expect(split.stderr).toContain('--split-at is required');
  });
});

describe('hushpoint sim purchases', () => {
  it('writes a small chain that recommend fit pools, one file per store', async () => {
    const out = join(dir, 'chain');
    const sim = await hushpoint(
      'sim',
      'purchases',
      '--stores',
      '2',
      '--shoppers',
      '80',
      '--days',
      '120',
      '--seed',
      '7',
      '--out',
      out,
      '--json',
    );
    expect(sim.code, sim.stderr).toBe(0);
    const summary = JSON.parse(sim.stdout) as { files: string[] };
    const fit = await hushpoint(
      'recommend',
      'fit',
      ...summary.files.flatMap((f) => ['--purchases', join(out, f)]),
      '--epsilon',
      '1',
      '--out',
      join(dir, 'chain-model.json'),
      '--json',
    );
    expect(fit.code, fit.stderr).toBe(0);
    expect(JSON.parse(fit.stdout).stores).toBe(2);
    const again = await hushpoint(
      'sim',
      'purchases',
      '--stores',
      '2',
      '--shoppers',
      '80',
      '--days',
      '120',
      '--out',
      out,
    );
    expect(again.code).toBe(64);
    expect(again.stderr).toContain('already holds simulator output');
  });
});
