import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import { corridorStore } from '../test-stores.ts';
import { pointInPolygon } from './geometry.ts';
import { buildMovementModel, planVisit, type Visit } from './movement.ts';
import { Sampler } from './sampler.ts';

const store = corridorStore();
const model = buildMovementModel(store.zones, store.entrance, store.movement);

function visits(count: number, seed: string): Visit[] {
  const s = new Sampler(new SeededRandomSource(seed));
  return Array.from({ length: count }, (_, i) => planVisit(model, i * 1000, s));
}

describe('movement between zones', () => {
  const sample = visits(6000, 'movement');

  it('mean dwell per zone matches its configured mean (exponential and log-normal)', () => {
    const durations = new Map<string, number[]>();
    for (const v of sample) {
      for (const zv of v.zoneVisits) {
        const id = model.zones[zv.zone]?.id as string;
        const list = durations.get(id) ?? [];
        list.push((zv.endMs - zv.startMs) / 1000);
        durations.set(id, list);
      }
    }
    for (const zone of store.zones) {
      const d = durations.get(zone.id) ?? [];
      expect(d.length).toBeGreaterThan(2000);
      const mean = d.reduce((a, b) => a + b, 0) / d.length;
      const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
      // Standard error of the mean; 4 SE leaves room only for chance, not for a wrong model.
      expect(Math.abs(mean - zone.dwell.meanSeconds)).toBeLessThan((4 * sd) / Math.sqrt(d.length));
      const cv = sd / mean;
      if (zone.dwell.distribution === 'exponential') expect(cv).toBeCloseTo(1, 1);
      else expect(cv).toBeCloseTo(Math.sqrt(Math.exp(zone.dwell.sigma ** 2) - 1), 1);
    }
  });

  it('enters and leaves through the entrance zone, never staying in one zone twice in a row', () => {
    const entrance = model.entranceZone;
    for (const v of sample.slice(0, 500)) {
      expect(v.zoneVisits[0]?.zone).toBe(entrance);
      expect(v.zoneVisits.at(-1)?.zone).toBe(entrance);
      for (let i = 1; i < v.zoneVisits.length; i++) expect(v.zoneVisits[i]?.zone).not.toBe(v.zoneVisits[i - 1]?.zone);
      for (const zv of v.zoneVisits.slice(1, -1)) expect(zv.zone).not.toBe(entrance);
    }
    // The first spot is the entrance point (the door).
    expect([sample[0]?.segments[0]?.x, sample[0]?.segments[0]?.y]).toEqual([1, 5]);
  });

  it('visits a geometric number of zones after the entrance (mean 1 / leaveProbability)', () => {
    const inner = sample.map((v) => v.zoneVisits.length - 2);
    const mean = inner.reduce((a, b) => a + b, 0) / inner.length;
    expect(mean).toBeCloseTo(1 / store.movement.leaveProbability, 0);
  });

  it('has contiguous position segments inside their zone, from arrival to departure', () => {
    for (const v of sample.slice(0, 300)) {
      expect(v.segments[0]?.startMs).toBe(v.arriveMs);
      expect(v.segments.at(-1)?.endMs).toBe(v.departMs);
      for (let i = 0; i < v.segments.length; i++) {
        const seg = v.segments[i] as Visit['segments'][number];
        if (i > 0) expect(seg.startMs).toBe(v.segments[i - 1]?.endMs);
        expect(pointInPolygon([seg.x, seg.y], model.zones[seg.zone]?.polygon ?? [])).toBe(true);
      }
    }
  });

  it('prefers near, attractive zones by default and follows explicit next weights', () => {
    // From "front", "middle" (10 m away) beats "back" (20 m away): exp(−10/15) vs exp(−20/15).
    const row = model.transitions[0] as number[];
    expect(row[0]).toBe(0);
    expect(row[1]).toBeCloseTo(Math.exp(-10 / 15), 12);
    expect(row[2]).toBeCloseTo(Math.exp(-20 / 15), 12);
    const explicit = corridorStore({
      zones: [
        { id: 'front', rect: { x: 0, y: 0, width: 10, height: 10 }, dwell: { meanSeconds: 30 } },
        { id: 'middle', rect: { x: 10, y: 0, width: 10, height: 10 }, dwell: { meanSeconds: 90 }, next: { back: 1 } },
        { id: 'back', rect: { x: 20, y: 0, width: 10, height: 10 }, dwell: { meanSeconds: 120 }, next: { middle: 1 } },
      ],
    });
    const m = buildMovementModel(explicit.zones, explicit.entrance, explicit.movement);
    expect(m.transitions[1]).toEqual([0, 0, 1]);
    expect(m.transitions[2]).toEqual([0, 1, 0]);
  });
});
