import { AppError } from '../../errors.ts';

/**
 * Purchase histories per shopper (pure): which catalog items each shopper bought in a time range,
 * and on how many distinct invoices. This is all the recommender reads of a shopper — the DP
 * statistics use the item sets, the per-shopper ranking also the invoice counts.
 */

/** The public item list of a store or chain (the product catalog), in a fixed order. */
export interface ItemCatalog {
  readonly codes: readonly string[];
  readonly index: ReadonlyMap<string, number>;
}

export function buildCatalog(codes: Iterable<string>): ItemCatalog {
  const list: string[] = [];
  const index = new Map<string, number>();
  for (const code of codes) {
    if (typeof code !== 'string' || code === '') {
      throw new AppError('RECO_BAD_INPUT', `catalog item ${JSON.stringify(code)} is not a product code`);
    }
    if (index.has(code)) continue;
    index.set(code, list.length);
    list.push(code);
  }
  return { codes: list, index };
}

/** The fields of a purchase line the histories use (AcceptedLine has them). */
export interface PurchaseLike {
  readonly shopperId: string;
  readonly stockCode: string;
  readonly invoice: string;
  readonly atMinute: number;
}

export interface ShopperHistory {
  readonly shopperId: string;
  /** Distinct catalog indices bought, ascending. */
  readonly items: Int32Array;
  /** invoices[k]: on how many distinct invoices items[k] was bought. */
  readonly invoices: Int32Array;
}

export interface HistoryOptions {
  /** Only lines at or after this local minute. */
  readonly fromMinute?: number;
  /** Only lines before this local minute. */
  readonly untilMinute?: number;
  /** Lines the shopper excluded (e.g. gifts): never used. */
  readonly exclude?: (line: PurchaseLike) => boolean;
}

export interface Histories {
  readonly catalog: ItemCatalog;
  /** Ordered by shopper id (a public, data-independent order for equal inputs). */
  readonly shoppers: readonly ShopperHistory[];
  /** Lines in range whose item is not in the catalog (not used). */
  readonly outsideCatalog: number;
}

/** Groups lines into one history per shopper who bought at least one catalog item in range. */
export function buildHistories(
  lines: readonly PurchaseLike[],
  catalog: ItemCatalog,
  options: HistoryOptions = {},
): Histories {
  const from = options.fromMinute ?? -Infinity;
  const until = options.untilMinute ?? Infinity;
  const perShopper = new Map<string, Map<number, Set<string>>>();
  let outsideCatalog = 0;
  for (const line of lines) {
    if (line.atMinute < from || line.atMinute >= until) continue;
    if (options.exclude?.(line)) continue;
    const item = catalog.index.get(line.stockCode);
    if (item === undefined) {
      outsideCatalog++;
      continue;
    }
    let items = perShopper.get(line.shopperId);
    if (items === undefined) {
      items = new Map();
      perShopper.set(line.shopperId, items);
    }
    let invoices = items.get(item);
    if (invoices === undefined) {
      invoices = new Set();
      items.set(item, invoices);
    }
    invoices.add(line.invoice);
  }
  const ids = [...perShopper.keys()].sort();
  const shoppers = ids.map((shopperId): ShopperHistory => {
    const items = perShopper.get(shopperId) as Map<number, Set<string>>;
    const sorted = Int32Array.from(items.keys()).sort();
    return {
      shopperId,
      items: sorted,
      invoices: Int32Array.from(sorted, (i) => (items.get(i) as Set<string>).size),
    };
  });
  return { catalog, shoppers, outsideCatalog };
}

/**
 * The store a customer belongs to when one file is split into `stores` stores (`fit --stores N`):
 * FNV-1a of the id, modulo N. A public function of the id alone, so each customer is in exactly
 * one store and the split does not depend on anyone's purchases.
 */
export function storeOf(shopperId: string, stores: number): number {
  let h = 2166136261;
  for (let i = 0; i < shopperId.length; i++) {
    h ^= shopperId.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % stores;
}

/** Splits histories into `stores` disjoint groups by storeOf. */
export function splitByStore(histories: readonly ShopperHistory[], stores: number): ShopperHistory[][] {
  if (!Number.isSafeInteger(stores) || stores < 1) {
    throw new AppError('RECO_BAD_INPUT', `stores is ${stores}, expected a positive integer`);
  }
  const groups: ShopperHistory[][] = Array.from({ length: stores }, () => []);
  for (const h of histories) (groups[storeOf(h.shopperId, stores)] as ShopperHistory[]).push(h);
  return groups;
}
