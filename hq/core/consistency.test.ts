import { describe, expect, it } from 'vitest';
import { consistentView, projectToTotal, roundPreservingTotal } from './consistency.ts';

describe('consistent non-negative views (post-processing)', () => {
  it('projects onto {x ≥ 0, Σx = N} by a common shift', () => {
    expect(projectToTotal([5, -2, 3], 6)).toEqual([4, 0, 2]);
    expect(projectToTotal([10, 10, 10], 30)).toEqual([10, 10, 10]);
    expect(projectToTotal([-3, -1], 0)).toEqual([0, 0]);
    expect(projectToTotal([1, 2, 3], 12)).toEqual([3, 4, 5]);
  });

  it('is the least-squares solution: no other feasible point is closer', () => {
    const raw = [7.5, -4, 2, 0.5, 11];
    const total = 15;
    const x = projectToTotal(raw, total);
    const distance = (y: number[]) => y.reduce((s, v, i) => s + (v - (raw[i] as number)) ** 2, 0);
    expect(x.reduce((a, b) => a + b, 0)).toBeCloseTo(total, 9);
    // Moving mass between any two cells (staying feasible) never gets closer.
    for (let i = 0; i < x.length; i++) {
      for (let j = 0; j < x.length; j++) {
        if (i === j || (x[i] as number) < 0.01) continue;
        const y = [...x];
        y[i] = (y[i] as number) - 0.01;
        y[j] = (y[j] as number) + 0.01;
        expect(distance(y)).toBeGreaterThanOrEqual(distance(x) - 1e-12);
      }
    }
  });

  it('rounds to integers without changing the total', () => {
    expect(roundPreservingTotal([1.5, 1.5, 1], 4)).toEqual([2, 1, 1]);
    const view = consistentView([12, -3, 25, 1]);
    expect(view).toEqual({ rawTotal: 35, total: 35, cells: [11, 0, 24, 0] });
    expect(consistentView([-4, 2])).toEqual({ rawTotal: -2, total: 0, cells: [0, 0] });
  });
});
