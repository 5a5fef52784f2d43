import { createHmac } from 'node:crypto';
import type { RandomSource } from '../../ports/random.ts';
import { nearestCentroid, noisyCellSums, type Clustering } from './cluster.ts';
import type { SynthPlan } from './calibrate.ts';
import type { EncodedTable } from './encode.ts';

/**
 * Disjoint groups of about m records inside each cluster, and their noisy sums
 * (docs/synthetic-data.md §3, steps 3–4).
 *
 * The number of groups of a cluster is B = ⌊n̂/m⌋ from its released noisy count n̂; a cluster with
 * B = 0 is merged into the nearest remaining cluster of its class (by released centroids) until
 * every cluster left has B ≥ 1. A record goes to its nearest remaining cluster, then to group
 * HMAC-SHA256(key, identity) mod B, with a fresh 256-bit key from the RandomSource (independent
 * of the data). So each record is in exactly one group, chosen from its own data, the released
 * values and the key only: adding or removing one record changes exactly one group's sum, by
 * that record's vector — the L2 sensitivity of the whole vector of group sums is ‖v‖₂ ≤ R.
 *
 * A record's identity is its own encoded vector and its occurrence number among identical
 * vectors (or the caller's identity): identical copies are interchangeable, so adding a copy adds
 * one vector to one group. Grouping by position in the file would not do: one insertion would
 * shift every later record.
 */

export interface GroupCell {
  readonly labelClass: number;
  /** The cluster's centroid (feature coordinates, integer units). */
  readonly centroid: Float64Array;
  readonly group: number;
}

export interface GroupRelease extends GroupCell {
  /** Noisy sums of the feature coordinates, then the noisy count coordinate (integer units). */
  readonly noisySums: readonly number[];
}

interface ActiveCluster {
  readonly centroid: Float64Array;
  readonly groups: number;
  readonly firstCell: number;
}

/** Clusters with at least one group of m after merging small ones into their nearest neighbour. */
export function activeClusters(clustering: Clustering, groupSize: number): ActiveCluster[][] {
  let cell = 0;
  return clustering.centroids.map((list, c) => {
    const centroids = [...list];
    const counts = [...(clustering.counts[c] as number[])];
    for (;;) {
      const small = counts.findIndex((n) => Math.floor(n / groupSize) < 1);
      if (small < 0 || centroids.length === 1) break;
      const [gone] = centroids.splice(small, 1) as [Float64Array];
      const [goneCount] = counts.splice(small, 1) as [number];
      let nearest = 0;
      let best = Number.POSITIVE_INFINITY;
      centroids.forEach((other, j) => {
        let d = 0;
        for (let f = 0; f < other.length; f++) d += ((other[f] as number) - (gone[f] as number)) ** 2;
        if (d < best) {
          best = d;
          nearest = j;
        }
      });
      counts[nearest] = (counts[nearest] as number) + Math.max(0, goneCount);
    }
    return centroids.flatMap((centroid, j) => {
      const groups = Math.floor(Math.min(counts[j] as number, 1e9) / groupSize);
      if (groups < 1) return [];
      const active = { centroid, groups, firstCell: cell };
      cell += groups;
      return [active];
    });
  });
}

/** The identity of each row: its encoded vector and the occurrence number of that vector. */
export function contentIdentities(table: EncodedTable): string[] {
  const seen = new Map<string, number>();
  const { dim } = table.layout;
  const bytes = Buffer.from(table.values.buffer, table.values.byteOffset, table.values.byteLength);
  const out: string[] = [];
  for (let r = 0; r < table.rows; r++) {
    const content = bytes.toString('latin1', r * dim * 4, (r + 1) * dim * 4);
    const occurrence = seen.get(content) ?? 0;
    seen.set(content, occurrence + 1);
    out.push(`${occurrence}:${content}`);
  }
  return out;
}

export interface GroupAssignment {
  readonly cells: readonly GroupCell[];
  /** The group of each row, or −1 when its class has no group. */
  readonly cellOf: Int32Array;
}

/** Every row's group under a given 32-byte key (exact, no noise). */
export function assignGroups(
  table: EncodedTable,
  clustering: Clustering,
  groupSize: number,
  key: Uint8Array,
  identities: readonly string[],
): GroupAssignment {
  const clusters = activeClusters(clustering, groupSize);
  const cells: GroupCell[] = [];
  for (const [c, list] of clusters.entries()) {
    for (const cluster of list) {
      for (let g = 0; g < cluster.groups; g++) cells.push({ labelClass: c, centroid: cluster.centroid, group: g });
    }
  }
  const cellOf = new Int32Array(table.rows).fill(-1);
  const centroidLists = clusters.map((list) => list.map((a) => a.centroid));
  for (let r = 0; r < table.rows; r++) {
    const c = table.labelClass[r] as number;
    const list = clusters[c] ?? [];
    if (list.length === 0) continue;
    const cluster = list[nearestCentroid(table, r, centroidLists[c] as Float64Array[])] as ActiveCluster;
    const digest = createHmac('sha256', key)
      .update(identities[r] as string, 'latin1')
      .digest();
    cellOf[r] = cluster.firstCell + (digest.readUIntBE(0, 6) % cluster.groups);
  }
  return { cells, cellOf };
}

export function releaseGroups(
  table: EncodedTable,
  clustering: Clustering,
  plan: SynthPlan,
  rng: RandomSource,
  identities: readonly string[] = contentIdentities(table),
): GroupRelease[] {
  const key = new Uint8Array(32);
  rng.fillBytes(key);
  const { cells, cellOf } = assignGroups(table, clustering, plan.groupSize, key, identities);
  if (cells.length === 0) return [];
  const noisy = noisyCellSums(table, (r) => cellOf[r] as number, cells.length, plan.groups, rng);
  return cells.map((cell, i) => ({ ...cell, noisySums: noisy[i] as number[] }));
}
