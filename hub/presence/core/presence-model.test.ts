import { describe, expect, it } from 'vitest';
import {
  closeIdleVisit,
  emptyPresence,
  evidenceByZone,
  observeWindow,
  smoothZones,
  windowScores,
  winningZone,
  type PresenceOp,
  type PresenceParams,
  type ShopperPresence,
  type ZoneDwell,
} from './presence-model.ts';

const params: PresenceParams = { visitGapSeconds: 60, switchPenalty: 6, smoothingWindows: 60 };
const W = 10;
const NEAR = 0;
const MID = 1;
const FAR = 2;

type Heard = Record<string, [number, number]>;

/** Feeds windows (start, {zone: [band, hits]}); returns the latest zone per window and all ops. */
function run(
  windows: Array<[number, Heard]>,
  p = params,
): { zones: Map<number, string>; ops: PresenceOp[]; state: ShopperPresence } {
  const state = emptyPresence();
  const zones = new Map<number, string>();
  const ops: PresenceOp[] = [];
  for (const [start, heard] of windows) {
    const evidence = Object.entries(heard).map(([zone, [band, hits]]) => ({ zone, band, hits }));
    const result = observeWindow(state, { windowStart: start, windowSeconds: W, evidence }, p);
    for (const op of result.ops) if (op.type === 'assign') zones.set(op.windowStart, op.zone);
    ops.push(...result.ops);
  }
  return { zones, ops, state };
}

const inOrder = (zones: Map<number, string>): string[] =>
  [...zones.entries()].sort((x, y) => x[0] - y[0]).map(([, z]) => z);
const lastDwell = (ops: PresenceOp[], visit = 0): ZoneDwell[] =>
  (ops.filter((o) => o.type === 'visitZones' && o.visitStartedAt === visit).at(-1) as { zones: ZoneDwell[] }).zones;

describe('winningZone (one window on its own)', () => {
  it.each([
    [
      'best band wins over hits',
      [
        { zone: 'a', band: MID, hits: 50 },
        { zone: 'b', band: NEAR, hits: 1 },
      ],
      'b',
    ],
    [
      'then most hits',
      [
        { zone: 'a', band: MID, hits: 5 },
        { zone: 'b', band: MID, hits: 6 },
      ],
      'b',
    ],
    [
      'then alphabetical',
      [
        { zone: 'b', band: FAR, hits: 5 },
        { zone: 'a', band: FAR, hits: 5 },
      ],
      'a',
    ],
    ['nothing heard', [], null],
  ] as const)('%s', (_name, evidence, expected) => {
    expect(winningZone(evidence)).toBe(expected);
  });
});

describe('evidence', () => {
  it('keeps the best band per zone and sums the hits at that band', () => {
    const e = evidenceByZone([
      { zone: 'a', band: MID, hits: 3 },
      { zone: 'a', band: NEAR, hits: 2 },
      { zone: 'a', band: NEAR, hits: 4 },
      { zone: 'a', band: FAR, hits: 9 },
      { zone: 'b', band: FAR, hits: 1 },
    ]);
    expect(e).toEqual([
      { zone: 'a', band: NEAR, hits: 6 },
      { zone: 'b', band: FAR, hits: 1 },
    ]);
  });

  it('scores band first, then hits relative to the most-heard zone', () => {
    const s = windowScores([
      { zone: 'a', band: NEAR, hits: 8 },
      { zone: 'b', band: NEAR, hits: 2 },
      { zone: 'c', band: FAR, hits: 8 },
    ]);
    expect(s.a).toBe(3);
    expect(s.b).toBeCloseTo(3 + 2 * Math.log(2 / 8));
    expect(s.c).toBe(0);
  });
});

describe('smoothZones', () => {
  const w = (scores: Partial<Record<string, number>>, i: number) => ({
    start: i * W,
    seconds: W,
    scores: scores as Record<string, number>,
  });
  it('ignores a one-window flap but follows a lasting move', () => {
    const flap = [{ a: 3 }, { b: 3, a: 2 }, { a: 3 }].map(w);
    expect(smoothZones(flap, null, 6)).toEqual(['a', 'a', 'a']);
    expect(smoothZones(flap, null, 0)).toEqual(['a', 'b', 'a']);
    const move = [{ a: 3 }, { a: 3 }, { b: 3, a: 0 }, { b: 3, a: 0 }, { b: 3, a: 0 }].map(w);
    expect(smoothZones(move, null, 6)).toEqual(['a', 'a', 'b', 'b', 'b']);
  });

  it('starts from the anchor zone', () => {
    expect(smoothZones([w({ b: 3, a: 2 }, 0)], 'a', 6)).toEqual(['a']);
    expect(smoothZones([w({ b: 3, a: 2 }, 0)], null, 6)).toEqual(['b']);
  });
});

describe('observeWindow', () => {
  it('starts a visit and enters the first zone at once', () => {
    const { zones, ops } = run([[100, { a: [NEAR, 3] }]]);
    expect(zones.get(100)).toBe('a');
    expect(ops.filter((o) => o.type === 'visitStart' || o.type === 'zoneEnter')).toEqual([
      { type: 'visitStart', at: 100 },
      { type: 'zoneEnter', visitStartedAt: 100, zone: 'a', at: 100, previousZone: null },
    ]);
  });

  it('ignores a one-window flap (hysteresis)', () => {
    const { zones, ops } = run([
      [0, { a: [NEAR, 3] }],
      [10, { b: [NEAR, 3], a: [MID, 3] }],
      [20, { a: [NEAR, 3] }],
    ]);
    expect(inOrder(zones)).toEqual(['a', 'a', 'a']);
    expect(ops.filter((o) => o.type === 'zoneEnter')).toHaveLength(1);
    expect(lastDwell(ops)).toEqual([{ zone: 'a', dwellSeconds: 30, firstAt: 0, lastAt: 30 }]);
  });

  it('follows a move, relabelling the windows since the move, and moves their dwell', () => {
    const windows: Array<[number, Heard]> = [
      [0, { a: [NEAR, 5] }],
      [10, { a: [NEAR, 5] }],
      [20, { b: [MID, 5], a: [MID, 5] }],
      [30, { b: [NEAR, 5], a: [MID, 5] }],
      [40, { b: [NEAR, 5], a: [FAR, 5] }],
      [50, { b: [NEAR, 5] }],
    ];
    const { zones, ops } = run(windows);
    expect(inOrder(zones)).toEqual(['a', 'a', 'b', 'b', 'b', 'b']);
    // Window 20 was first placed in a (a tie keeps the shopper where they were), then relabelled.
    expect(
      ops.filter((o) => o.type === 'assign' && o.windowStart === 20).map((o) => (o as { zone: string }).zone),
    ).toEqual(['a', 'b']);
    expect(
      ops.filter((o) => o.type === 'zoneEnter').map((o) => [(o as { zone: string }).zone, (o as { at: number }).at]),
    ).toEqual([
      ['a', 0],
      ['b', 20],
    ]);
    expect(lastDwell(ops).map((d) => [d.zone, d.dwellSeconds])).toEqual([
      ['a', 20],
      ['b', 40],
    ]);
  });

  it('places every window on its own evidence with a switch penalty of 0', () => {
    const { zones } = run(
      [
        [0, { a: [NEAR, 3] }],
        [10, { b: [NEAR, 3], a: [MID, 3] }],
        [20, { a: [NEAR, 3] }],
      ],
      { ...params, switchPenalty: 0 },
    );
    expect(inOrder(zones)).toEqual(['a', 'b', 'a']);
  });

  it('counts unheard time inside a visit where the shopper was, and ends the visit after the gap', () => {
    const { ops, state } = run([
      [0, { a: [NEAR, 1] }],
      [40, { a: [NEAR, 1] }],
      [200, { b: [NEAR, 1] }],
    ]);
    expect(lastDwell(ops)).toEqual([{ zone: 'a', dwellSeconds: 50, firstAt: 0, lastAt: 50 }]);
    expect(lastDwell(ops, 200)).toEqual([{ zone: 'b', dwellSeconds: 10, firstAt: 200, lastAt: 210 }]);
    expect(ops.filter((o) => o.type === 'visitEnd')).toEqual([{ type: 'visitEnd', visitStartedAt: 0, at: 50 }]);
    expect(state.visitStartedAt).toBe(200);
    expect(closeIdleVisit(state, 250, params)).toEqual([]);
    expect(closeIdleVisit(state, 271, params)).toEqual([{ type: 'visitEnd', visitStartedAt: 200, at: 210 }]);
    expect(state.visitStartedAt).toBeNull();
    expect(state.windows).toEqual([]);
  });

  it('freezes windows past the smoothing horizon (their dwell stays counted)', () => {
    const p = { ...params, smoothingWindows: 2 };
    const { state, ops } = run(
      [
        [0, { a: [NEAR, 1] }],
        [10, { a: [NEAR, 1] }],
        [20, { a: [NEAR, 1] }],
        [30, { a: [NEAR, 1] }],
      ],
      p,
    );
    expect(state.windows.map((w) => w.start)).toEqual([20, 30]);
    expect(state.anchorZone).toBe('a');
    expect(lastDwell(ops)).toEqual([{ zone: 'a', dwellSeconds: 40, firstAt: 0, lastAt: 40 }]);
  });

  it('ignores windows out of order', () => {
    const state = emptyPresence();
    observeWindow(state, { windowStart: 50, windowSeconds: W, evidence: [{ zone: 'a', band: NEAR, hits: 1 }] }, params);
    expect(
      observeWindow(
        state,
        { windowStart: 40, windowSeconds: W, evidence: [{ zone: 'b', band: NEAR, hits: 1 }] },
        params,
      ).ops,
    ).toEqual([]);
  });
});
