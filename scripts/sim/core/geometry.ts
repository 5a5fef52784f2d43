/** Plane geometry for zones (metres): rectangles become polygons, points are sampled inside them. */

export type Point = readonly [number, number];
export type Polygon = readonly Point[];

export interface ZoneShape {
  rect?: { x: number; y: number; width: number; height: number } | undefined;
  polygon?: readonly (readonly [number, number])[] | undefined;
}

export function zonePolygon(zone: ZoneShape): Polygon {
  if (zone.rect !== undefined) {
    const { x, y, width, height } = zone.rect;
    return [
      [x, y],
      [x + width, y],
      [x + width, y + height],
      [x, y + height],
    ];
  }
  if (zone.polygon !== undefined) return zone.polygon;
  throw new RangeError('zone has neither rect nor polygon');
}

/** Even–odd ray casting; points on an edge count as inside. */
export function pointInPolygon(point: Point, polygon: Polygon): boolean {
  const [px, py] = point;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] as Point;
    const [xj, yj] = polygon[j] as Point;
    if (onSegment(px, py, xi, yi, xj, yj)) return true;
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function onSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): boolean {
  const cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
  if (Math.abs(cross) > 1e-9) return false;
  return (
    px >= Math.min(ax, bx) - 1e-9 &&
    px <= Math.max(ax, bx) + 1e-9 &&
    py >= Math.min(ay, by) - 1e-9 &&
    py <= Math.max(ay, by) + 1e-9
  );
}

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function bounds(polygon: Polygon): Bounds {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of polygon) {
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  return { minX, minY, maxX, maxY };
}

/** Shoelace area (absolute). */
export function area(polygon: Polygon): number {
  let twice = 0;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] as Point;
    const [xj, yj] = polygon[j] as Point;
    twice += xj * yi - xi * yj;
  }
  return Math.abs(twice) / 2;
}

/** Area centroid; falls back to the vertex mean for degenerate polygons. */
export function centroid(polygon: Polygon): Point {
  let a = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] as Point;
    const [xj, yj] = polygon[j] as Point;
    const f = xj * yi - xi * yj;
    a += f;
    cx += (xj + xi) * f;
    cy += (yj + yi) * f;
  }
  if (Math.abs(a) < 1e-12) {
    const n = polygon.length;
    return [polygon.reduce((s, p) => s + p[0], 0) / n, polygon.reduce((s, p) => s + p[1], 0) / n];
  }
  return [cx / (3 * a), cy / (3 * a)];
}

/**
 * A uniform point inside the polygon by rejection from its bounding box, given a source of
 * uniforms in [0, 1). Rectangles accept at once; after 1000 misses (a sliver polygon) the
 * centroid is returned so the simulator never spins.
 */
export function randomPointIn(polygon: Polygon, box: Bounds, unit: () => number): Point {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const p: Point = [box.minX + unit() * (box.maxX - box.minX), box.minY + unit() * (box.maxY - box.minY)];
    if (pointInPolygon(p, polygon)) return p;
  }
  return centroid(polygon);
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}
