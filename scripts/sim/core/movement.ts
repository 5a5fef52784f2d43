import {
  bounds,
  centroid,
  distance,
  pointInPolygon,
  randomPointIn,
  zonePolygon,
  type Bounds,
  type Point,
  type Polygon,
  type ZoneShape,
} from './geometry.ts';
import type { Sampler } from './sampler.ts';

/**
 * Movement through the store as a Markov chain over zones. A shopper enters in the entrance zone,
 * stays there for its dwell time, then moves zone to zone; after each visit they head for the
 * exit with `leaveProbability` (so the number of zones visited after the entrance is geometric
 * with mean 1/leaveProbability), and leave through the entrance zone (one more dwell there).
 * The next zone is drawn from the zone's explicit `next` weights, or else with weight
 * attraction_j · exp(−d_ij / distanceScale) over the other zones (d between centroids): near,
 * attractive zones are likelier. Inside a zone the shopper stands at uniform random spots,
 * moving to a new spot after exponential browse steps. Walking between spots is instantaneous
 * (a few seconds at 1 m/s, below the 10 s window).
 */

export interface DwellSpec {
  meanSeconds: number;
  distribution: 'exponential' | 'lognormal';
  sigma: number;
}

export interface ZoneSpec extends ZoneShape {
  id: string;
  dwell: DwellSpec;
  attraction: number;
  next?: Record<string, number> | undefined;
}

export interface MovementParams {
  leaveProbability: number;
  browseStepSeconds: number;
  distanceScaleM: number;
}

export interface ModelZone {
  id: string;
  polygon: Polygon;
  box: Bounds;
  centroid: Point;
  dwell: DwellSpec;
}

export interface MovementModel {
  zones: readonly ModelZone[];
  entranceZone: number;
  entrancePoint: Point | undefined;
  /** Row i: weights of moving from zone i to each zone (entrance and i itself are 0). */
  transitions: readonly (readonly number[])[];
  leaveProbability: number;
  browseStepMs: number;
}

export interface Segment {
  startMs: number;
  endMs: number;
  zone: number;
  x: number;
  y: number;
}

export interface ZoneVisit {
  zone: number;
  startMs: number;
  endMs: number;
}

export interface Visit {
  arriveMs: number;
  departMs: number;
  /** Position segments, contiguous and in time order. */
  segments: Segment[];
  zoneVisits: ZoneVisit[];
}

/** Visits longer than this many zones are cut short (a guard; with p ≥ 0.01 it essentially never binds). */
const MAX_ZONE_VISITS = 500;

export function buildMovementModel(
  zones: readonly ZoneSpec[],
  entrance: { zone: string } | { point: readonly [number, number] },
  params: MovementParams,
): MovementModel {
  const model: ModelZone[] = zones.map((z) => {
    const polygon = zonePolygon(z);
    return { id: z.id, polygon, box: bounds(polygon), centroid: centroid(polygon), dwell: z.dwell };
  });
  let entranceZone: number;
  let entrancePoint: Point | undefined;
  if ('zone' in entrance) {
    entranceZone = zones.findIndex((z) => z.id === entrance.zone);
  } else {
    entrancePoint = [entrance.point[0], entrance.point[1]];
    entranceZone = model.findIndex((z) => pointInPolygon(entrancePoint as Point, z.polygon));
  }
  if (entranceZone < 0) throw new RangeError('the entrance is in no zone');
  const index = new Map(zones.map((z, i) => [z.id, i]));
  const transitions = zones.map((from, i) => {
    const row = new Array<number>(zones.length).fill(0);
    if (from.next !== undefined) {
      for (const [id, w] of Object.entries(from.next)) {
        const j = index.get(id);
        if (j !== undefined && j !== i && j !== entranceZone) row[j] = w;
      }
    } else {
      zones.forEach((to, j) => {
        if (j === i || j === entranceZone) return;
        const d = distance((model[i] as ModelZone).centroid, (model[j] as ModelZone).centroid);
        row[j] = to.attraction * Math.exp(-d / params.distanceScaleM);
      });
    }
    return row;
  });
  return {
    zones: model,
    entranceZone,
    entrancePoint,
    transitions,
    leaveProbability: params.leaveProbability,
    browseStepMs: params.browseStepSeconds * 1000,
  };
}

/** One dwell time in ms, exponential or log-normal with the zone's mean. */
export function sampleDwellMs(dwell: DwellSpec, sampler: Sampler): number {
  const seconds =
    dwell.distribution === 'lognormal'
      ? sampler.lognormal(dwell.meanSeconds, dwell.sigma)
      : sampler.exponential(dwell.meanSeconds);
  return seconds * 1000;
}

/** The zone after `from`: -1 when no other zone can be reached (then the shopper leaves). */
export function nextZone(model: MovementModel, from: number, sampler: Sampler): number {
  return sampler.weighted(model.transitions[from] as number[]);
}

/** Plans one shopper's whole visit from their arrival. */
export function planVisit(model: MovementModel, arriveMs: number, sampler: Sampler): Visit {
  const segments: Segment[] = [];
  const zoneVisits: ZoneVisit[] = [];
  let t = arriveMs;
  const stay = (zone: number, atEntrancePoint: boolean): void => {
    const z = model.zones[zone] as ModelZone;
    const end = t + sampleDwellMs(z.dwell, sampler);
    zoneVisits.push({ zone, startMs: t, endMs: end });
    let s = t;
    let first = true;
    while (s < end) {
      const step = sampler.exponential(model.browseStepMs);
      const e = Math.min(end, s + step);
      const [x, y] =
        first && atEntrancePoint && model.entrancePoint !== undefined
          ? model.entrancePoint
          : randomPointIn(z.polygon, z.box, () => sampler.unit());
      segments.push({ startMs: s, endMs: e, zone, x, y });
      first = false;
      s = e;
    }
    t = end;
  };
  stay(model.entranceZone, true);
  let zone = model.entranceZone;
  for (let visits = 0; visits < MAX_ZONE_VISITS; visits++) {
    const next = nextZone(model, zone, sampler);
    if (next < 0) break;
    zone = next;
    stay(zone, false);
    if (sampler.chance(model.leaveProbability)) break;
  }
  if (zone !== model.entranceZone) stay(model.entranceZone, true);
  return { arriveMs, departMs: t, segments, zoneVisits };
}
