import { describe, expect, it } from 'vitest';
import { watermark } from './watermark.ts';

describe('watermark', () => {
  const cases: Array<[string, Array<{ windowEnd: number; receivedMs: number }>, number | null]> = [
    ['no gateways', [], null],
    [
      'the slowest active gateway holds it back',
      [
        { windowEnd: 100, receivedMs: 9_000 },
        { windowEnd: 80, receivedMs: 9_500 },
      ],
      80,
    ],
    [
      'a stale gateway does not',
      [
        { windowEnd: 100, receivedMs: 9_000 },
        { windowEnd: 20, receivedMs: 1_000 },
      ],
      100,
    ],
    [
      'all stale: everything is final',
      [
        { windowEnd: 100, receivedMs: 1_000 },
        { windowEnd: 120, receivedMs: 0 },
      ],
      120,
    ],
  ];
  it.each(cases)('%s', (_name, progress, expected) => {
    expect(watermark(progress, 10_000, 5_000)).toBe(expected);
  });
});
