import { describe, expect, it } from 'vitest';
import { makeLayout } from './encode.ts';
import { adaptLabels } from './adapt.ts';
import { sampleRows, type MixtureComponent, type SynthModel } from './model.ts';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { TOY_SCHEMA } from '../../testing/synth-tables.ts';

const layout = makeLayout(TOY_SCHEMA);

function component(labelClass: number, a: number): MixtureComponent {
  // Feature coordinates: a, b, c, flag, colour×3.
  return { labelClass, weight: 50, unit: Float64Array.from([a, 0.5, 0.5, 0.5, 1, 0, 0]) };
}

describe('the adapt step (KRR soft labels on released group means)', () => {
  it('softens labels where the classes overlap and keeps them where they are apart', () => {
    const model: SynthModel = {
      layout,
      components: [
        component(0, 0.05),
        component(0, 0.1),
        component(0, 0.5),
        component(1, 0.5),
        component(1, 0.9),
        component(1, 0.95),
      ],
    };
    const adapted = adaptLabels(model, { bandwidth: 0.1, ridge: 0.5 });
    const p = adapted.components.map((c) => c.labelProbability as number);
    expect(p[0]).toBeLessThan(0.25);
    expect(p[5]).toBeGreaterThan(0.75);
    expect(Math.abs((p[2] as number) - 0.5)).toBeLessThan(0.2);
    expect(Math.abs((p[3] as number) - 0.5)).toBeLessThan(0.2);
    const rows = sampleRows(adapted, new SeededRandomSource(1), 60);
    for (const row of rows) {
      expect(typeof row[5]).toBe('number');
      expect(row[5] as number).toBeGreaterThanOrEqual(0);
      expect(row[5] as number).toBeLessThanOrEqual(1);
    }
  });

  it('reads nothing but the model: the same model gives the same labels', () => {
    const model: SynthModel = { layout, components: [component(0, 0.2), component(1, 0.8)] };
    expect(adaptLabels(model).components).toEqual(adaptLabels(model).components);
  });
});
