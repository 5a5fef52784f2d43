import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { readPosFile } from '../../shared/recommend/adapters/pos-file.ts';
import { buildHistories, identityLink, parseLocalMinute } from '../../shared/recommend/mod.ts';
import { drawShopper, makeTasteModel, trueAffinity } from './core/purchases-model.ts';
import { chainHistories, writeChainFiles } from './purchases.ts';

const dir = mkdtempSync(join(tmpdir(), 'hp-sim-purchases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the latent-taste model', () => {
  it('gives each shopper a distribution over items (the truth) that favours their tastes', () => {
    const model = makeTasteModel();
    const shopper = drawShopper(model, new SeededRandomSource('taste-1'));
    const truth = trueAffinity(model, shopper);
    expect(truth.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    const top = shopper.tastes.indexOf(Math.max(...shopper.tastes));
    const own = truth.filter((_, i) => i % model.options.tastes === top).reduce((a, b) => a + b, 0);
    // The dominant taste owns 1/20 of the items but far more of this shopper's mass.
    expect(own, 'seed taste-1').toBeGreaterThan(0.2);
  });
});

describe('hushpoint sim purchases', () => {
  const options = { stores: 2, shoppers: 60, days: 120, seed: 'files-1', start: '2025-01-01' };

  it('writes POS files that import cleanly and equal the in-memory chain', async () => {
    const summary = await writeChainFiles(options, dir);
    expect(summary.files).toEqual(['store-001.csv.gz', 'store-002.csv.gz']);
    const split = 80;
    const memory = chainHistories(options, split);
    const splitMinute = (parseLocalMinute('2025-01-01 00:00') as number) + split * 1440;
    for (const [s, file] of summary.files.entries()) {
      const { report, accepted } = await readPosFile(join(dir, file), { link: identityLink });
      expect(report.rejected, file).toBe(0);
      const fromFile = buildHistories(accepted, memory.catalog, { untilMinute: splitMinute }).shoppers;
      const inMemory = memory.stores[s]?.fit ?? [];
      expect(fromFile.map((h) => [h.shopperId, Array.from(h.items), Array.from(h.invoices)])).toEqual(
        inMemory.map((h) => [h.shopperId, Array.from(h.items), Array.from(h.invoices)]),
      );
    }
    const again = chainHistories(options, split);
    expect(again.stores[1]?.test.map((h) => h.shopperId)).toEqual(memory.stores[1]?.test.map((h) => h.shopperId));
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).lines).toBe(summary.lines);
  });
});
