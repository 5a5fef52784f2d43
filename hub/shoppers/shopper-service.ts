import type { Database } from 'better-sqlite3';
import { unixSeconds, type Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { RandomSource } from '../../shared/ports/random.ts';
import type { HubEvents } from '../events.ts';
import { ShopperDirectory } from './shopper-directory.ts';
import {
  deleteShopper,
  enrollShopper,
  getShopper,
  importShoppers,
  shopperByToken,
  updateConsent,
  type Consent,
  type EnrolledShopper,
  type EnrollInput,
  type ImportedShopper,
} from './shopper-store.ts';

/**
 * Enrolled shoppers (docs/architecture.md#identifiers, docs/shopper-api.md): enrollment and import, consent, erasure,
 * and the in-memory directory the ingest resolves EIDs with. The directory follows every change
 * made here at once, reloads when another process changed the shoppers, and recomputes its EID
 * tables at each rotation boundary. Erasure deletes the rows, announces `shopperErased` so every
 * feature drops what it holds in memory, then checkpoints the WAL so the bytes leave the disk.
 */
export interface ShopperService {
  readonly directory: ShopperDirectory;
  enroll(input: EnrollInput): { shopper: EnrolledShopper; token: string };
  import(shoppers: ImportedShopper[]): { imported: number };
  get(id: string): EnrolledShopper | null;
  byToken(token: string): EnrolledShopper | null;
  updateConsent(id: string, patch: Partial<Consent>): EnrolledShopper | null;
  /** Erases the shopper; false for an unknown id. */
  delete(id: string): boolean;
  /** Loads the directory and starts its boundary and refresh timers. */
  start(): void;
  stop(): void;
}

export interface ShopperServiceDeps {
  db: Database;
  events: HubEvents;
  random: RandomSource;
  clock: Clock;
  logger: Logger;
  /** Rotation periods of EIDs kept in the directory's tables. */
  cachedPeriods: number;
  /** How often to check whether another process changed the shoppers. */
  refreshIntervalMs: number;
}

export function createShopperService(deps: ShopperServiceDeps): ShopperService {
  const { db, events, random, clock, logger } = deps;
  const directory = new ShopperDirectory(db, { cachedPeriods: deps.cachedPeriods });
  const nowSeconds = (): number => unixSeconds(clock.now());
  let boundaryTimer: NodeJS.Timeout | null = null;
  let refreshTimer: NodeJS.Timeout | null = null;

  function scheduleBoundary(): void {
    const seconds = directory.resolver.secondsToNextBoundary(nowSeconds());
    const delay = Number.isFinite(seconds) ? Math.min(seconds * 1000 + 50, 3_600_000) : 60_000;
    boundaryTimer = setTimeout(() => {
      const started = performance.now();
      directory.resolver.prepare(nowSeconds());
      logger.debug(
        { ms: Math.round(performance.now() - started), ...directory.resolver.stats() },
        'resolver tables prepared',
      );
      scheduleBoundary();
    }, delay);
    boundaryTimer.unref();
  }

  return {
    directory,
    enroll(input) {
      const result = enrollShopper(db, input, { random, nowMs: clock.now() });
      directory.upsert(result.shopper);
      return result;
    },
    import(shoppers) {
      const result = importShoppers(db, shoppers, clock.now());
      directory.load(nowSeconds());
      return result;
    },
    get: (id) => getShopper(db, id),
    byToken: (token) => shopperByToken(db, token),
    updateConsent(id, patch) {
      const updated = updateConsent(db, id, patch);
      if (updated !== null) directory.upsert(updated);
      return updated;
    },
    delete(id) {
      const shopper = getShopper(db, id);
      if (shopper === null) return false;
      deleteShopper(db, id);
      directory.remove(shopper.pk);
      events.emit('shopperErased', { shopperPk: shopper.pk, shopperId: shopper.id });
      // Copy the WAL's pages (which still hold the deleted rows' old versions) back into the
      // zeroed database file and truncate it, so the erased bytes leave the disk now.
      db.pragma('wal_checkpoint(TRUNCATE)');
      return true;
    },
    start() {
      const loadStart = performance.now();
      directory.load(nowSeconds());
      logger.info({ shoppers: directory.size, ms: Math.round(performance.now() - loadStart) }, 'resolver loaded');
      scheduleBoundary();
      refreshTimer = setInterval(() => {
        try {
          if (directory.refreshIfChanged(nowSeconds())) logger.info({ shoppers: directory.size }, 'shoppers reloaded');
        } catch (error) {
          logger.error({ err: error }, 'shopper refresh failed');
        }
      }, deps.refreshIntervalMs);
      refreshTimer.unref();
    },
    stop() {
      if (boundaryTimer !== null) clearTimeout(boundaryTimer);
      if (refreshTimer !== null) clearInterval(refreshTimer);
      boundaryTimer = null;
      refreshTimer = null;
    },
  };
}
