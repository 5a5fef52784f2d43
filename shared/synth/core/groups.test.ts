import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { planSynthesis } from './calibrate.ts';
import { cellSums, dpLloyd, type Clustering } from './cluster.ts';
import { encodeRows, makeLayout, type EncodedTable, type RawValue } from './encode.ts';
import { assignGroups, contentIdentities } from './groups.ts';
import { TOY_SCHEMA, toyRows } from '../../testing/synth-tables.ts';

/** The exact group sums of a table under a fixed clustering and key. */
function groupSums(table: EncodedTable, clustering: Clustering, m: number, key: Uint8Array): Float64Array {
  const { cells, cellOf } = assignGroups(table, clustering, m, key, contentIdentities(table));
  return cellSums(table, (r) => cellOf[r] as number, cells.length);
}

describe('disjoint groups by keyed hash (the sensitivity argument of docs/synthetic-data.md §5)', () => {
  const layout = makeLayout(TOY_SCHEMA);
  const plan = planSynthesis(
    layout,
    { epsilon: 4, delta: 1e-6 },
    { iterations: 3, clustersPerClass: 3, groupSize: 40 },
  );

  for (const seed of [1, 2, 3]) {
    it(`adding one record anywhere changes exactly one group sum, by that record's vector (seed ${seed})`, () => {
      const rng = new SeededRandomSource(seed);
      const rows = toyRows(rng, 800);
      const table = encodeRows(layout, rows);
      const clustering = dpLloyd(table, plan, 2, rng);
      const key = new Uint8Array(32);
      rng.fillBytes(key);
      const before = groupSums(table, clustering, plan.groupSize, key);
      for (const [where, extra] of [
        [0, rows[17] as RawValue[]], // a duplicate of an existing row
        [400, toyRows(rng, 1)[0] as RawValue[]],
        [800, [9.5, 999, -0.99, 'yes', 'blue', '1'] as RawValue[]],
      ] as const) {
        const neighbour = encodeRows(layout, [...rows.slice(0, where), extra, ...rows.slice(where)]);
        const after = groupSums(neighbour, clustering, plan.groupSize, key);
        expect(after.length).toBe(before.length);
        const width = layout.featureIndexes.length + 1;
        const vector = encodeRows(layout, [extra]);
        const expected = [...layout.featureIndexes, layout.countIndex].map((j) => vector.values[j] as number);
        const changed: number[] = [];
        for (let cell = 0; cell < before.length / width; cell++) {
          const diff = Array.from(
            { length: width },
            (_, f) => (after[cell * width + f] as number) - (before[cell * width + f] as number),
          );
          if (diff.some((d) => d !== 0)) {
            changed.push(cell);
            expect(diff, `seed ${seed}, inserted at ${where}`).toEqual(expected);
          }
        }
        expect(changed.length, `seed ${seed}, inserted at ${where}`).toBe(1);
      }
    });
  }

  it('puts every row of a class with groups into exactly one group, about m per group', () => {
    const seed = 5;
    const rng = new SeededRandomSource(seed);
    const table = encodeRows(layout, toyRows(rng, 2000));
    const clustering = dpLloyd(table, plan, 2, rng);
    const key = new Uint8Array(32);
    rng.fillBytes(key);
    const { cells, cellOf } = assignGroups(table, clustering, plan.groupSize, key, contentIdentities(table));
    expect(Array.from(cellOf).every((c) => c >= 0 && c < cells.length)).toBe(true);
    const sizes = new Array<number>(cells.length).fill(0);
    cellOf.forEach((c) => (sizes[c] = (sizes[c] as number) + 1));
    const mean = 2000 / cells.length;
    expect(mean, `seed ${seed}`).toBeGreaterThanOrEqual(plan.groupSize * 0.7);
    expect(mean, `seed ${seed}`).toBeLessThanOrEqual(plan.groupSize * 2);
    cells.forEach((cell, i) =>
      expect(cellOf.some((c, r) => c === i && table.labelClass[r] !== cell.labelClass)).toBe(false),
    );
  });
});
