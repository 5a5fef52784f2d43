import { describe, expect, it } from 'vitest';
import { bandFor, WindowCoarsener, windowStartFor, type WindowSettings } from './window-coarsener.ts';

const SETTINGS: WindowSettings = {
  windowSeconds: 10,
  minHits: 1,
  maxHits: 255,
  maxEids: 5000,
  nearDbm: -65,
  midDbm: -80,
};
const T0 = 1_790_000_000_000; // a multiple of 10 s
const E1 = '0000000000000001';
const E2 = '0000000000000002';

function coarsener(settings: Partial<WindowSettings> = {}, startMs = T0): WindowCoarsener {
  return new WindowCoarsener({ ...SETTINGS, ...settings }, { startMs });
}

describe('window coarsener', () => {
  it.each([
    [-40, 'near'],
    [-65, 'near'],
    [-65.5, 'mid'],
    [-80, 'mid'],
    [-80.5, 'far'],
    [-127, 'far'],
  ] as const)('band of median %d dBm is %s', (median, band) => {
    expect(bandFor(median, SETTINGS)).toBe(band);
  });

  it('aligns windows to wall-clock multiples of the window length', () => {
    expect(windowStartFor(T0 + 9_999, 10)).toBe(T0 / 1000);
    expect(windowStartFor(T0 + 10_000, 10)).toBe(T0 / 1000 + 10);
    expect(coarsener({}, T0 + 7_123).openWindowStart).toBe(T0 / 1000);
  });

  it.each([
    // rssis, expected band (median: odd → middle, even → mean of the two middle)
    [[-60], 'near'],
    [[-90, -60, -61], 'near'],
    [[-90, -60, -85], 'far'],
    [[-64, -66], 'near'], // mean of the two middle values: -65
    [[-70, -95, -66, -99], 'far'],
  ])('median of %j gives %s', (rssis, band) => {
    const c = coarsener();
    rssis.forEach((rssi, i) => c.add(E1, rssi, T0 + i));
    c.flush();
    expect(c.takeClosed()[0]?.sightings).toEqual([{ eid: E1, band, hits: rssis.length }]);
  });

  it('closes windows by time, including empty ones, each once and in order', () => {
    const c = coarsener();
    c.add(E2, -70, T0 + 1000);
    c.add(E1, -50, T0 + 2000);
    c.add(E1, -52, T0 + 9_999);
    expect(c.takeClosed()).toEqual([]);
    c.add(E1, -90, T0 + 30_500); // two windows later
    const closed = c.takeClosed();
    expect(closed.map((w) => w.windowStart)).toEqual([T0 / 1000, T0 / 1000 + 10, T0 / 1000 + 20]);
    expect(closed[0]).toEqual({
      windowStart: T0 / 1000,
      windowSeconds: 10,
      sightings: [
        { eid: E1, band: 'near', hits: 2 },
        { eid: E2, band: 'mid', hits: 1 },
      ],
      dropped: 0,
      belowMinHits: 0,
      adverts: 3,
    });
    expect(closed[1]?.sightings).toEqual([]);
    c.advance(T0 + 39_999);
    expect(c.takeClosed()).toEqual([]);
    c.advance(T0 + 40_000);
    expect(c.takeClosed().map((w) => w.sightings)).toEqual([[{ eid: E1, band: 'far', hits: 1 }]]);
  });

  it('drops EIDs below minHits, caps hits at maxHits, and sorts sightings by EID', () => {
    const c = coarsener({ minHits: 3, maxHits: 4 });
    for (let i = 0; i < 9; i++) c.add('ffffffffffffffff', -70, T0 + i);
    for (let i = 0; i < 2; i++) c.add(E1, -70, T0 + i);
    for (let i = 0; i < 3; i++) c.add(E2, -70, T0 + i);
    c.flush();
    const [w] = c.takeClosed();
    expect(w?.sightings).toEqual([
      { eid: E2, band: 'mid', hits: 3 },
      { eid: 'ffffffffffffffff', band: 'mid', hits: 4 },
    ]);
    expect(w?.belowMinHits).toBe(1);
  });

  it('holds at most maxEids distinct EIDs and counts the overflow adverts in dropped', () => {
    const c = coarsener({ maxEids: 3 });
    const outcomes = ['a', 'b', 'c', 'd', 'a', 'e', 'd'].map((x) => c.add(x.repeat(16), -70, T0));
    expect(outcomes).toEqual(['counted', 'counted', 'counted', 'overflow', 'counted', 'overflow', 'overflow']);
    c.flush();
    const [w] = c.takeClosed();
    expect(w?.sightings.map((s) => s.eid[0])).toEqual(['a', 'b', 'c']);
    expect(w?.dropped).toBe(3);
    // The next window starts empty again.
    c.add('d'.repeat(16), -70, T0 + 10_000);
    c.flush();
    expect(c.takeClosed()[0]?.sightings.map((s) => s.eid[0])).toEqual(['d']);
  });

  it('counts late adverts, restarts after a backward clock step, and skips a long forward jump', () => {
    const c = new WindowCoarsener(SETTINGS, { startMs: T0, maxCatchUpWindows: 5 });
    c.add(E1, -70, T0 + 15_000);
    expect(c.takeClosed().map((w) => w.windowStart)).toEqual([T0 / 1000]);
    expect(c.add(E1, -70, T0 + 5_000)).toBe('late');
    expect(c.counters.late).toBe(1);
    c.add(E1, -70, T0 + 15_000 + 86_400_000); // clock jumped a day ahead
    expect(c.counters.skippedWindows).toBe(86_400 / 10 - 1);
    expect(c.takeClosed().map((w) => w.windowStart)).toEqual([T0 / 1000 + 10]);
    c.add(E2, -70, T0); // stepped back a day
    expect(c.counters.clockStepsBack).toBe(1);
    expect(c.openWindowStart).toBe(T0 / 1000);
    expect(c.takeClosed().map((w) => w.windowStart)).toEqual([T0 / 1000 + 86_410]);
  });

  it('applies adjusted thresholds from the next window', () => {
    const c = coarsener();
    c.add(E1, -70, T0);
    c.adjust({ minHits: 1, maxHits: 255, nearDbm: -75, midDbm: -90 });
    c.add(E1, -70, T0 + 10_000);
    c.flush();
    expect(c.takeClosed().map((w) => w.sightings[0]?.band)).toEqual(['mid', 'near']);
    expect(() => c.adjust({ minHits: 1, maxHits: 255, nearDbm: -90, midDbm: -75 })).toThrow(
      /midDbm is -75, expected at most nearDbm \(-90\)/,
    );
  });

  it('keeps memory bounded under a flood: 200,000 random EIDs in one window', () => {
    const c = coarsener({ maxEids: 5000 });
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200_000; i++) c.add(i.toString(16).padStart(16, '0'), -60 - (i % 40), T0 + (i % 9_000));
    expect(c.openEids).toBe(5000);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(40 * 1024 * 1024);
    c.flush();
    const [w] = c.takeClosed();
    expect(w?.sightings).toHaveLength(5000);
    expect(w?.dropped).toBe(195_000);
    expect(w?.adverts).toBe(5000);
  });
});
