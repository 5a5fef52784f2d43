import { uniformUnit, type RandomSource } from '../ports/random.ts';
import type { RawValue } from '../synth/core/encode.ts';
import type { SynthSchema } from '../synth/core/schema.ts';

/**
 * A small labelled table for the synthesizer's tests and benchmark (test support: generated from
 * a RandomSource the caller seeds; no real data). Two numeric features shift with the label, one
 * is noise, a binary flag leans on the label and a 3-way category is independent.
 */
export const TOY_SCHEMA: SynthSchema = {
  label: 'y',
  columns: [
    { name: 'a', kind: 'numeric', lo: 0, hi: 10 },
    { name: 'b', kind: 'numeric', lo: 0, hi: 1000, transform: 'log1p' },
    { name: 'c', kind: 'numeric', lo: -1, hi: 1 },
    { name: 'flag', kind: 'categorical', categories: ['no', 'yes'] },
    { name: 'colour', kind: 'categorical', categories: ['red', 'green', 'blue'] },
    { name: 'y', kind: 'categorical', categories: ['0', '1'] },
  ],
};

export function toyRows(rng: RandomSource, rows: number): RawValue[][] {
  const out: RawValue[][] = [];
  for (let i = 0; i < rows; i++) {
    const y = uniformUnit(rng) < 0.4 ? 1 : 0;
    const a = Math.min(10, Math.max(0, 3 + 3 * y + 4 * (uniformUnit(rng) - 0.5)));
    const b = Math.round(Math.exp(1 + 2 * y + 3 * uniformUnit(rng)));
    const c = 2 * uniformUnit(rng) - 1;
    const flag = uniformUnit(rng) < 0.3 + 0.4 * y ? 'yes' : 'no';
    const colour = ['red', 'green', 'blue'][Math.floor(uniformUnit(rng) * 3)] as string;
    out.push([Number(a.toFixed(3)), b, Number(c.toFixed(3)), flag, colour, String(y)]);
  }
  return out;
}
