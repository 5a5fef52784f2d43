/**
 * Copies of releases inside one batch (pure): a release redelivered while its first copy still
 * waits in the same batch, or a store's replay mixed with live traffic. Copies are grouped by
 * (store, release id), then by bytes; a group is resolved against what is already stored:
 *   nothing stored        the first version in batch order is stored (its first copy 'stored',
 *                         its other copies 'duplicate'); every other version is a 'mismatch'
 *   stored bytes S        the version equal to S is 'duplicate' (each copy counted); others 'mismatch'
 * Groups come sorted by (store, release id) so that concurrent writers lock rows in one order.
 */

export interface BatchItem {
  readonly store: string;
  readonly releaseId: string;
  readonly sha256: Buffer;
}

export interface ReleaseVersion {
  readonly sha256: Buffer;
  /** Indices into the batch of the copies with these bytes, in batch order. */
  readonly indices: readonly number[];
}

export interface ReleaseGroup {
  readonly store: string;
  readonly releaseId: string;
  /** Distinct byte versions in order of first appearance. */
  readonly versions: readonly ReleaseVersion[];
}

export type Outcome = 'stored' | 'duplicate' | 'mismatch';

export function groupBatch(items: readonly BatchItem[]): ReleaseGroup[] {
  const groups = new Map<
    string,
    { store: string; releaseId: string; versions: Array<{ sha256: Buffer; indices: number[] }> }
  >();
  items.forEach((item, i) => {
    const key = `${item.store}\u0000${item.releaseId}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { store: item.store, releaseId: item.releaseId, versions: [] };
      groups.set(key, group);
    }
    const version = group.versions.find((v) => v.sha256.equals(item.sha256));
    if (version === undefined) group.versions.push({ sha256: item.sha256, indices: [i] });
    else version.indices.push(i);
  });
  return [...groups.values()].sort((a, b) =>
    a.store < b.store ? -1 : a.store > b.store ? 1 : a.releaseId < b.releaseId ? -1 : a.releaseId > b.releaseId ? 1 : 0,
  );
}

export interface GroupResolution {
  /** The version to write as new (index into versions), or null. */
  readonly store: number | null;
  /** The version that equals the stored bytes (its copies add to deliveries), or null. */
  readonly duplicate: number | null;
  /** Outcome per batch index of the group's copies. */
  readonly outcomes: ReadonlyArray<readonly [number, Outcome]>;
}

/** How one group resolves against the stored bytes (null: nothing stored under its id). */
export function resolveGroup(group: ReleaseGroup, storedSha: Buffer | null): GroupResolution {
  const outcomes: Array<[number, Outcome]> = [];
  let store: number | null = null;
  let duplicate: number | null = null;
  group.versions.forEach((version, v) => {
    const isNew = storedSha === null && v === 0;
    const isStored = storedSha !== null && version.sha256.equals(storedSha);
    if (isNew) store = v;
    if (isStored) duplicate = v;
    version.indices.forEach((index, copy) => {
      outcomes.push([index, isNew ? (copy === 0 ? 'stored' : 'duplicate') : isStored ? 'duplicate' : 'mismatch']);
    });
  });
  return { store, duplicate, outcomes };
}
