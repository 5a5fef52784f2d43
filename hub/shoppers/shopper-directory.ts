import type { Database } from 'better-sqlite3';
import { EidResolver } from './core/eid-resolver.ts';
import { listShoppers, shoppersGeneration, type EnrolledShopper } from './shopper-store.ts';

/**
 * The hub's in-memory view of enrolled shoppers: the EID resolver plus, per shopper pk, the
 * public id and the pause. Kept in step with the database incrementally (enroll, delete,
 * consent change in this process) and by reloading when another process changed the shoppers
 * (`shoppers.generation` in `meta`, checked by `refreshIfChanged`).
 */
export interface ShopperInfo {
  id: string;
  pausedUntilMs: number | null;
  /** False when the shopper consented to neither presence for offers nor analytics: nothing is collected. */
  collect: boolean;
}

export class ShopperDirectory {
  readonly resolver: EidResolver;
  readonly #db: Database;
  readonly #info = new Map<number, ShopperInfo>();
  #generation = -1;

  constructor(db: Database, options: { cachedPeriods?: number } = {}) {
    this.#db = db;
    this.resolver = new EidResolver(options);
  }

  get size(): number {
    return this.#info.size;
  }

  info(pk: number): ShopperInfo | undefined {
    return this.#info.get(pk);
  }

  /** Loads every shopper and computes the tables around `nowSeconds`. */
  load(nowSeconds: number): void {
    this.#generation = shoppersGeneration(this.#db);
    this.resolver.clearShoppers();
    this.#info.clear();
    for (const shopper of listShoppers(this.#db)) this.#add(shopper);
    this.resolver.prepare(nowSeconds);
  }

  /** Reloads when another process changed the shoppers; returns true if it did. */
  refreshIfChanged(nowSeconds: number): boolean {
    if (shoppersGeneration(this.#db) === this.#generation) return false;
    this.load(nowSeconds);
    return true;
  }

  /** Applies a change made in this process (enroll, import, consent) without a full reload. */
  upsert(shopper: EnrolledShopper): void {
    this.#add(shopper);
    this.#ownChange();
  }

  remove(pk: number): void {
    this.resolver.remove(pk);
    this.#info.delete(pk);
    this.#ownChange();
  }

  /** Our own change bumped the generation by one; anything more was another process (reload later). */
  #ownChange(): void {
    const generation = shoppersGeneration(this.#db);
    if (generation === this.#generation + 1) this.#generation = generation;
  }

  #add(shopper: EnrolledShopper): void {
    this.resolver.upsert({ pk: shopper.pk, identityKey: shopper.identityKey, exponent: shopper.exponent });
    const { presenceForOffers, analytics, pausedUntilMs } = shopper.consent;
    this.#info.set(shopper.pk, { id: shopper.id, pausedUntilMs, collect: presenceForOffers || analytics });
  }
}
