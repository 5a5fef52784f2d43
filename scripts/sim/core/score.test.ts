import { describe, expect, it } from 'vitest';
import { scorePairs, type ObservedPair, type TruthPair } from './score.ts';

describe('scoring observed zone assignments against the truth', () => {
  const truth: TruthPair[] = [
    { windowStart: 100, shopperId: 'a', zone: 'z1', heardBy: ['gw-1'] },
    { windowStart: 100, shopperId: 'b', zone: 'z2', heardBy: ['gw-2'] },
    { windowStart: 110, shopperId: 'a', zone: 'z1', heardBy: ['gw-1', 'gw-2'] },
    { windowStart: 110, shopperId: 'b', zone: 'z3', heardBy: [] }, // present but heard by no gateway
  ];
  const observed: ObservedPair[] = [
    { windowStart: 100, shopperId: 'a', zone: 'z1' }, // right shopper, right zone
    { windowStart: 100, shopperId: 'b', zone: 'z1' }, // right shopper, wrong zone
    { windowStart: 110, shopperId: 'a', zone: 'z1' }, // right
    { windowStart: 110, shopperId: 'c', zone: 'z1' }, // nobody called c
    { windowStart: 120, shopperId: 'a', zone: 'z1' }, // a had left
  ];

  it('computes precision, recall, recall over heard windows, F1 and zone accuracy by hand', () => {
    const s = scorePairs(truth, observed);
    expect(s).toEqual({
      truthPairs: 4,
      truthPairsHeard: 3,
      observedPairs: 5,
      matched: 3,
      matchedHeard: 3,
      zoneCorrect: 2,
      precision: 3 / 5,
      recall: 3 / 4,
      recallHeard: 3 / 3,
      f1: (2 * (3 / 5) * (3 / 4)) / (3 / 5 + 3 / 4),
      zoneAccuracy: 2 / 3,
    });
  });

  it('counts a null zone as present but never as a correct zone', () => {
    const s = scorePairs(truth, [{ windowStart: 100, shopperId: 'a', zone: null }]);
    expect(s).toMatchObject({ matched: 1, zoneCorrect: 0, precision: 1, recall: 0.25, zoneAccuracy: 0 });
  });

  it('reports n/a (null) where a ratio has nothing to divide by', () => {
    expect(scorePairs([], [])).toMatchObject({
      precision: null,
      recall: null,
      recallHeard: null,
      f1: null,
      zoneAccuracy: null,
    });
    expect(scorePairs(truth, [])).toMatchObject({ precision: null, recall: 0, f1: null });
    expect(scorePairs([], observed)).toMatchObject({ precision: 0, recall: null, zoneAccuracy: null });
  });
});
