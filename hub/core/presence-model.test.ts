import { describe, expect, it } from 'vitest';
import { closeIdleVisit, emptyPresence, evidenceByZone, observeWindow, winningZone, type PresenceOp, type ShopperPresence } from './presence-model.ts';

const params = { hysteresisWindows: 2, visitGapSeconds: 60 };
const W = 10;

/** Feeds windows (start, {zone: [band, hits]}) and returns the final zone per window and all ops. */
function run(windows: Array<[number, Record<string, [number, number]>]>, p = params): { zones: Map<number, string>; ops: PresenceOp[]; state: ShopperPresence } {
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

function dwell(ops: PresenceOp[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const op of ops) if (op.type === 'dwell') out[op.zone] = (out[op.zone] ?? 0) + op.seconds;
  return out;
}

describe('winningZone', () => {
  it.each([
    ['best band wins over hits', [{ zone: 'a', band: 1, hits: 50 }, { zone: 'b', band: 0, hits: 1 }], null, 'b'],
    ['then most hits', [{ zone: 'a', band: 1, hits: 5 }, { zone: 'b', band: 1, hits: 6 }], null, 'b'],
    ['a tie keeps the current zone', [{ zone: 'a', band: 1, hits: 5 }, { zone: 'b', band: 1, hits: 5 }], 'b', 'b'],
    ['a tie without current: alphabetical', [{ zone: 'b', band: 2, hits: 5 }, { zone: 'a', band: 2, hits: 5 }], 'c', 'a'],
    ['nothing heard', [], 'a', null],
  ] as const)('%s', (_name, evidence, current, expected) => {
    expect(winningZone(evidence, current)).toBe(expected);
  });
});

describe('evidenceByZone', () => {
  it('keeps the best band per zone and sums the hits at that band', () => {
    const e = evidenceByZone([
      { zone: 'a', band: 1, hits: 3 }, { zone: 'a', band: 0, hits: 2 }, { zone: 'a', band: 0, hits: 4 }, { zone: 'a', band: 2, hits: 9 }, { zone: 'b', band: 2, hits: 1 },
    ]);
    expect(e).toEqual([{ zone: 'a', band: 0, hits: 6 }, { zone: 'b', band: 2, hits: 1 }]);
  });
});

describe('observeWindow', () => {
  it('starts a visit and enters the first zone at once', () => {
    const { zones, ops } = run([[100, { a: [0, 3] }]]);
    expect(zones.get(100)).toBe('a');
    expect(ops.filter((o) => o.type === 'visitStart' || o.type === 'zoneEnter')).toEqual([
      { type: 'visitStart', at: 100 },
      { type: 'zoneEnter', visitStartedAt: 100, zone: 'a', at: 100, previousZone: null },
    ]);
  });

  it('ignores a one-window flap (hysteresis)', () => {
    const { zones, ops } = run([[0, { a: [0, 3] }], [10, { b: [0, 9] }], [20, { a: [0, 3] }]]);
    expect([...zones.values()]).toEqual(['a', 'a', 'a']);
    expect(ops.filter((o) => o.type === 'zoneEnter')).toHaveLength(1);
    expect(dwell(ops)).toEqual({ a: 30 });
  });

  it('switches after N winning windows and relabels them, moving their dwell', () => {
    const { zones, ops } = run([[0, { a: [0, 3] }], [10, { a: [0, 3] }], [20, { b: [0, 9], a: [2, 1] }], [30, { b: [0, 9] }], [40, { b: [1, 2] }]]);
    expect([...zones.entries()].sort((x, y) => x[0] - y[0]).map(([, z]) => z)).toEqual(['a', 'a', 'b', 'b', 'b']);
    expect(ops.filter((o) => o.type === 'zoneEnter').map((o) => (o as { zone: string; at: number }).at)).toEqual([0, 20]);
    expect(dwell(ops)).toEqual({ a: 20, b: 30 });
  });

  it('counts unheard time inside a visit where the shopper was, and ends the visit after the gap', () => {
    const { ops, state } = run([[0, { a: [0, 1] }], [40, { a: [0, 1] }], [200, { b: [0, 1] }]]);
    expect(dwell(ops)).toEqual({ a: 50, b: 10 });
    expect(ops.filter((o) => o.type === 'visitEnd')).toEqual([{ type: 'visitEnd', visitStartedAt: 0, at: 50 }]);
    expect(ops.filter((o) => o.type === 'visitStart').map((o) => (o as { at: number }).at)).toEqual([0, 200]);
    expect(state.visitStartedAt).toBe(200);
    expect(closeIdleVisit(state, 250, params)).toEqual([]);
    expect(closeIdleVisit(state, 271, params)).toEqual([{ type: 'visitEnd', visitStartedAt: 200, at: 210 }]);
    expect(state.visitStartedAt).toBeNull();
  });

  it('ignores windows out of order', () => {
    const state = emptyPresence();
    observeWindow(state, { windowStart: 50, windowSeconds: W, evidence: [{ zone: 'a', band: 0, hits: 1 }] }, params);
    expect(observeWindow(state, { windowStart: 40, windowSeconds: W, evidence: [{ zone: 'b', band: 0, hits: 1 }] }, params).ops).toEqual([]);
  });

  it('switches at once with a hysteresis of one window', () => {
    const { zones } = run([[0, { a: [0, 3] }], [10, { b: [0, 3] }]], { hysteresisWindows: 1, visitGapSeconds: 60 });
    expect([...zones.values()]).toEqual(['a', 'b']);
  });
});
