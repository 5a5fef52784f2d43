import { describe, expect, it } from 'vitest';
import { createOnceFilter } from './once-filter.ts';

describe('once filter', () => {
  it('reports each key once', () => {
    const once = createOnceFilter();
    expect(['a', 'b', 'a', 'c', 'b'].map((k) => once.first(k))).toEqual([true, true, false, true, false]);
  });

  it('is bounded', () => {
    const once = createOnceFilter(2);
    once.first('a');
    once.first('b');
    expect(once.first('c')).toBe(true);
    expect(once.size).toBe(1);
  });
});
