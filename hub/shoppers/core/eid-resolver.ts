import { createCipheriv, type Cipher } from 'node:crypto';
import { MAX_EXPONENT, periodStart, temporaryKey } from '../../../shared/eid/eid.ts';

/**
 * EID → shopper resolution (docs/architecture.md#identifiers). For each rotation exponent K in use and each rotation
 * period the hub needs, a table maps the 16-hex-digit EID of every enrolled shopper with that
 * exponent to the shopper's key (pk). A sighting in a batch whose window starts at `w` (gateway
 * clock) resolves if its EID is a shopper's EID for the period containing `w`, or the one
 * before or after (±1 period of clock skew between phone, gateway and hub).
 *
 * Speed (docs/references.md#measured-performance-anchors-2-cores-node-20): an AES cipher per temporary key is created once and
 * cached (the temporary key changes only every 65,536 s); computing a shopper's EIDs for
 * several periods is then one `update` of 16 bytes per period, the same input block for every
 * shopper with that exponent. Memory: about 1.2 KB of native cipher state per shopper.
 * Tables are kept for `cachedPeriods` periods (least recently used first out): the live ones
 * around the hub's clock, plus those a late or replayed batch needed.
 */

export interface ResolverShopper {
  pk: number;
  identityKey: Uint8Array;
  exponent: number;
}

interface Entry {
  pk: number;
  identityKey: Buffer;
  exponent: number;
  ciphers: Array<{ epoch: number; cipher: Cipher }>;
}

/** Value stored for an EID shared by two shoppers in one period (2^-64 per pair; never resolved). */
const AMBIGUOUS = -1;
const EID_HEX = 16;

export interface ResolverStats {
  shoppers: number;
  tables: number;
  entries: number;
}

export class EidResolver {
  readonly #shoppers = new Map<number, Entry>();
  readonly #byExponent = new Map<number, Set<number>>();
  /** `${K}:${periodStart}` → (eid hex → pk); Map order is least recently used first. */
  readonly #tables = new Map<string, Map<string, number>>();
  readonly #maxTables: number;

  constructor(options: { cachedPeriods?: number } = {}) {
    this.#maxTables = Math.max(3, options.cachedPeriods ?? 8);
  }

  get size(): number {
    return this.#shoppers.size;
  }

  stats(): ResolverStats {
    let entries = 0;
    for (const table of this.#tables.values()) entries += table.size;
    return { shoppers: this.#shoppers.size, tables: this.#tables.size, entries };
  }

  /** Adds (or replaces) a shopper, adding their EIDs to every cached table of their exponent. */
  upsert(shopper: ResolverShopper): void {
    if (this.#shoppers.has(shopper.pk)) this.remove(shopper.pk);
    if (!Number.isInteger(shopper.exponent) || shopper.exponent < 0 || shopper.exponent > MAX_EXPONENT) {
      throw new RangeError(`shopper ${shopper.pk} has rotation exponent ${shopper.exponent}, expected 0..15`);
    }
    const entry: Entry = {
      pk: shopper.pk,
      identityKey: Buffer.from(shopper.identityKey),
      exponent: shopper.exponent,
      ciphers: [],
    };
    this.#shoppers.set(entry.pk, entry);
    let group = this.#byExponent.get(entry.exponent);
    if (group === undefined) {
      group = new Set();
      this.#byExponent.set(entry.exponent, group);
    }
    group.add(entry.pk);
    const periods = this.#cachedPeriodsOf(entry.exponent);
    if (periods.length === 0) return;
    const eids = this.#eidsOf(entry, periods);
    periods.forEach((ps, i) =>
      addTo(this.#tables.get(tableKey(entry.exponent, ps)) as Map<string, number>, eids[i] as string, entry.pk),
    );
  }

  /** Forgets a shopper: none of their EIDs, past or future, resolves any more. */
  remove(pk: number): void {
    const entry = this.#shoppers.get(pk);
    if (entry === undefined) return;
    const periods = this.#cachedPeriodsOf(entry.exponent);
    if (periods.length > 0) {
      const eids = this.#eidsOf(entry, periods);
      periods.forEach((ps, i) => {
        const table = this.#tables.get(tableKey(entry.exponent, ps)) as Map<string, number>;
        const eid = eids[i] as string;
        if (table.get(eid) === pk) table.delete(eid);
      });
    }
    this.#shoppers.delete(pk);
    this.#byExponent.get(entry.exponent)?.delete(pk);
    if (this.#byExponent.get(entry.exponent)?.size === 0) this.#byExponent.delete(entry.exponent);
  }

  clearShoppers(): void {
    this.#shoppers.clear();
    this.#byExponent.clear();
    this.#tables.clear();
  }

  /** Ensures the tables of the previous, current and next period around `nowSeconds` exist (call at each rotation boundary). */
  prepare(nowSeconds: number): void {
    for (const exponent of this.#byExponent.keys()) {
      const p = 2 ** exponent;
      const ps = periodStart(nowSeconds, exponent);
      this.#ensure(
        exponent,
        [ps - p, ps, ps + p].filter((x) => x >= 0),
      );
    }
  }

  /** Drops every table and computes previous, current and next period again (startup; benchmarks). */
  rebuild(nowSeconds: number): void {
    this.#tables.clear();
    this.prepare(nowSeconds);
  }

  /** Seconds until the next rotation boundary of any exponent in use (Infinity when nobody is enrolled). */
  secondsToNextBoundary(nowSeconds: number): number {
    let next = Infinity;
    for (const exponent of this.#byExponent.keys()) {
      const p = 2 ** exponent;
      next = Math.min(next, periodStart(nowSeconds, exponent) + p - nowSeconds);
    }
    return next;
  }

  /**
   * A lookup function for one batch window: resolves an EID (lowercase hex) to a shopper pk,
   * or undefined. Builds (and caches) the tables the window needs.
   */
  lookupFor(windowStart: number): (eidHex: string) => number | undefined {
    const tables: Array<Map<string, number>> = [];
    for (const exponent of this.#byExponent.keys()) {
      const p = 2 ** exponent;
      const ps = periodStart(windowStart, exponent);
      const periods = [ps, ps - p, ps + p].filter((x) => x >= 0 && x <= 0xffffffff);
      this.#ensure(exponent, periods);
      for (const period of periods) tables.push(this.#touch(tableKey(exponent, period)));
    }
    return (eidHex: string) => {
      for (const table of tables) {
        const pk = table.get(eidHex);
        if (pk !== undefined) return pk === AMBIGUOUS ? undefined : pk;
      }
      return undefined;
    };
  }

  resolve(eidHex: string, windowStart: number): number | undefined {
    return this.lookupFor(windowStart)(eidHex);
  }

  #touch(key: string): Map<string, number> {
    const table = this.#tables.get(key) as Map<string, number>;
    this.#tables.delete(key);
    this.#tables.set(key, table);
    return table;
  }

  #cachedPeriodsOf(exponent: number): number[] {
    const prefix = `${exponent}:`;
    const periods: number[] = [];
    for (const key of this.#tables.keys()) if (key.startsWith(prefix)) periods.push(Number(key.slice(prefix.length)));
    return periods;
  }

  /** Computes the missing tables among `periods` for one exponent, in one pass over its shoppers. */
  #ensure(exponent: number, periods: number[]): void {
    // The requested tables that exist become the most recently used first, so that the eviction
    // below never drops one of them (a window far from the others needs up to three new ones).
    for (const ps of periods) if (this.#tables.has(tableKey(exponent, ps))) this.#touch(tableKey(exponent, ps));
    const missing = periods.filter((ps) => !this.#tables.has(tableKey(exponent, ps)));
    if (missing.length === 0) return;
    const group = this.#byExponent.get(exponent);
    const tables = missing.map(() => new Map<string, number>());
    if (group !== undefined && group.size > 0) {
      const pks = [...group];
      const perEpoch = new Map<number, number[]>();
      missing.forEach((ps, i) => {
        const epoch = ps >>> 16;
        perEpoch.set(epoch, [...(perEpoch.get(epoch) ?? []), i]);
      });
      for (const [epoch, indexes] of perEpoch) {
        const input = inputBlocks(
          exponent,
          indexes.map((i) => missing[i] as number),
        );
        const targets = indexes.map((i) => tables[i] as Map<string, number>);
        // One cipher call per shopper, then one concat and one hex conversion for all of them.
        const outs = pks.map((pk) => this.#cipherFor(this.#shoppers.get(pk) as Entry, epoch).update(input));
        const hex = Buffer.concat(outs).toString('hex');
        const stride = input.length * 2;
        for (let s = 0; s < pks.length; s++) {
          const pk = pks[s] as number;
          for (let j = 0; j < targets.length; j++) {
            const at = s * stride + j * 32;
            addTo(targets[j] as Map<string, number>, hex.slice(at, at + EID_HEX), pk);
          }
        }
      }
    }
    missing.forEach((ps, i) => this.#tables.set(tableKey(exponent, ps), tables[i] as Map<string, number>));
    while (this.#tables.size > this.#maxTables) {
      const oldest = this.#tables.keys().next().value as string;
      this.#tables.delete(oldest);
    }
  }

  #eidsOf(entry: Entry, periods: number[]): string[] {
    return periods.map((ps) =>
      this.#cipherFor(entry, ps >>> 16)
        .update(inputBlocks(entry.exponent, [ps]))
        .toString('hex', 0, 8),
    );
  }

  #cipherFor(entry: Entry, epoch: number): Cipher {
    const hit = entry.ciphers.find((c) => c.epoch === epoch);
    if (hit !== undefined) return hit.cipher;
    const cipher = createCipheriv('aes-128-ecb', temporaryKey(entry.identityKey, epoch * 65_536), null);
    cipher.setAutoPadding(false);
    // Two epochs at most: the current one and, near a boundary or for a late batch, one more.
    entry.ciphers = [{ epoch, cipher }, ...entry.ciphers].slice(0, 2);
    return cipher;
  }
}

function tableKey(exponent: number, ps: number): string {
  return `${exponent}:${ps}`;
}

/**
 * Adds one EID. A table never gets the same shopper twice (upsert removes first), so an EID that
 * is already there belongs to another shopper: it becomes ambiguous (one map operation per add).
 */
function addTo(table: Map<string, number>, eid: string, pk: number): void {
  const before = table.size;
  table.set(eid, pk);
  if (table.size === before) table.set(eid, AMBIGUOUS);
}

/** The EID input block of the spec for each period: 0x00×11 ‖ K ‖ periodStart (BE32). */
function inputBlocks(exponent: number, periods: number[]): Buffer {
  const input = Buffer.alloc(periods.length * 16);
  periods.forEach((ps, i) => {
    input[i * 16 + 11] = exponent;
    input.writeUInt32BE(ps, i * 16 + 12);
  });
  return input;
}
