import type { ShopperKind } from './population.ts';
import type { Visit } from './movement.ts';

/**
 * Ground truth, one record per window per opted-in DETECTABLE shopper present in the store for
 * any part of that window (iOS-background shoppers are enrolled but never on air, so they are
 * not listed: the system cannot see them, by design).
 *
 * - `zone`: the zone the shopper spent the most time in during the window (earliest on a tie);
 * - `x`, `y`: the spot (metres) they stood at longest inside that zone during the window;
 * - `eids`: every EID they transmitted in the window (heard or not), in first-sent order;
 * - `heardBy`: the gateways that received at least one of those adverts in the window.
 */
export interface TruthRecord {
  /** Unix seconds, a multiple of the window length. */
  windowStart: number;
  shopperId: string;
  kind: ShopperKind;
  zone: string;
  x: number;
  y: number;
  eids: string[];
  heardBy: string[];
}

export function formatTruthRecord(record: TruthRecord): string {
  return JSON.stringify(record);
}

export interface WindowPlacement {
  zone: number;
  x: number;
  y: number;
}

/**
 * Where a shopper was during [fromMs, toMs): the zone with the longest overlap and the longest
 * spot in it. `cursor` is the index of the first segment that may overlap (segments before it
 * ended before `fromMs`); the returned cursor is ready for the next window. Null if absent.
 */
export function placeInWindow(
  visit: Visit,
  fromMs: number,
  toMs: number,
  cursor: number,
): { placement: WindowPlacement | null; cursor: number } {
  const segs = visit.segments;
  let c = cursor;
  while (c < segs.length && (segs[c] as Visit['segments'][number]).endMs <= fromMs) c++;
  const byZone = new Map<number, number>();
  let firstZoneOrder: number[] = [];
  for (let i = c; i < segs.length; i++) {
    const s = segs[i] as Visit['segments'][number];
    if (s.startMs >= toMs) break;
    const overlap = Math.min(s.endMs, toMs) - Math.max(s.startMs, fromMs);
    if (overlap <= 0) continue;
    if (!byZone.has(s.zone)) firstZoneOrder = [...firstZoneOrder, s.zone];
    byZone.set(s.zone, (byZone.get(s.zone) ?? 0) + overlap);
  }
  if (byZone.size === 0) return { placement: null, cursor: c };
  let zone = firstZoneOrder[0] as number;
  for (const z of firstZoneOrder) if ((byZone.get(z) as number) > (byZone.get(zone) as number)) zone = z;
  let best: Visit['segments'][number] | undefined;
  let bestOverlap = -1;
  for (let i = c; i < segs.length; i++) {
    const s = segs[i] as Visit['segments'][number];
    if (s.startMs >= toMs) break;
    if (s.zone !== zone) continue;
    const overlap = Math.min(s.endMs, toMs) - Math.max(s.startMs, fromMs);
    if (overlap > bestOverlap) {
      best = s;
      bestOverlap = overlap;
    }
  }
  const spot = best as Visit['segments'][number];
  return { placement: { zone, x: spot.x, y: spot.y }, cursor: c };
}
