import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileValidator } from '../../shared/validation.ts';
import { silentLogger, type Logger } from '../../shared/ports/logger.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import type { RandomSource } from '../../shared/ports/random.ts';
import { openHubDatabase, type Database } from '../../hub/storage/sqlite-database.ts';
import {
  PrivacySection,
  UpstreamSection,
  type PrivacyConfig,
  type UpstreamConfig,
} from '../../hub/privacy/config.schema.ts';
import {
  createReleaseService,
  type ReleaseService,
  type ReleaseServiceDeps,
} from '../../hub/privacy/release-service.ts';
import type { UpstreamSender } from '../../hub/privacy/upstream-sender.ts';

/**
 * Fixtures for the release tests: a real, migrated hub database in a temp folder, shoppers and
 * presence rows written straight into the presence model's tables (zone_windows, visits), and a
 * release service with the defaults of the privacy and upstream config sections.
 */

export const ZONES = ['bakery', 'dairy', 'produce'];
export const WINDOW = 10;

const privacyValidator = compileValidator<PrivacyConfig>(PrivacySection, { useDefaults: true });
const upstreamValidator = compileValidator<UpstreamConfig>(UpstreamSection, { useDefaults: true });

export function privacyConfig(document: Record<string, unknown> = {}): PrivacyConfig {
  const result = privacyValidator(structuredClone({ zones: ZONES, ...document }));
  if (!result.ok) throw new Error(`bad privacy config: ${JSON.stringify(result.problems)}`);
  return result.value;
}

export function upstreamConfig(document: Record<string, unknown> = {}): UpstreamConfig {
  const result = upstreamValidator(structuredClone(document));
  if (!result.ok) throw new Error(`bad upstream config: ${JSON.stringify(result.problems)}`);
  return result.value;
}

function exactPrivacy(config: PrivacyConfig): PrivacyConfig {
  const r = config.releases;
  return {
    ...config,
    budget: { ...config.budget, periodRho: 1e7 },
    releases: {
      footfall: { ...r.footfall, rho: 1000 },
      visits: { ...r.visits, rho: 1000 },
      dwell: { ...r.dwell, rho: 1000 },
      repeat: { ...r.repeat, rho: 1000 },
      transitions: { ...r.transitions, rho: 1000 },
      conversion: { ...r.conversion, rho: 1000 },
      syntheticVisits: { ...r.syntheticVisits, rho: 1000 },
      itemStatistics: r.itemStatistics,
    },
  };
}

export interface TestDb {
  db: Database;
  dir: string;
  file: string;
  close(): void;
}

export function openTestDb(dir = mkdtempSync(join(tmpdir(), 'hp-releases-'))): TestDb {
  const file = join(dir, 'hub.db');
  const db = openHubDatabase(file);
  return {
    db,
    dir,
    file,
    close() {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Inserts `count` shoppers (analytics consent unless `analytics(i)` says no); returns their pks. */
export function addShoppers(
  db: Database,
  count: number,
  options: { analytics?: (i: number) => boolean; prefix?: string } = {},
): number[] {
  const insert = db.prepare(
    'INSERT INTO shoppers (id, identity_key, exponent, presence_for_offers, analytics, created_ms) VALUES (?, randomblob(16), 9, 1, ?, 0)',
  );
  const pks: number[] = [];
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      pks.push(
        Number(insert.run(`${options.prefix ?? 's'}-${i}`, options.analytics?.(i) === false ? 0 : 1).lastInsertRowid),
      );
    }
  })();
  return pks;
}

/** One zone per shopper-window: `windows` consecutive windows of WINDOW s in `zone` from `startS`. */
export function addPresence(db: Database, pk: number, zone: string, startS: number, windows = 1): void {
  const insert = db.prepare(
    'INSERT OR REPLACE INTO zone_windows (shopper_pk, window_start, window_seconds, zone) VALUES (?, ?, ?, ?)',
  );
  for (let i = 0; i < windows; i++) insert.run(pk, startS + i * WINDOW, WINDOW, zone);
}

/** A visit, with the dwell seconds it spent in each zone (visit_zones). Returns the visit's pk. */
export function addVisit(
  db: Database,
  pk: number,
  startedAt: number,
  endedAt: number,
  zones: Readonly<Record<string, number>> = {},
): number {
  const visit = Number(
    db
      .prepare('INSERT INTO visits (shopper_pk, started_at, last_seen_at, ended_at) VALUES (?, ?, ?, ?)')
      .run(pk, startedAt, endedAt, endedAt).lastInsertRowid,
  );
  const zone = db.prepare(
    'INSERT INTO visit_zones (visit_pk, zone, dwell_seconds, first_at, last_at) VALUES (?, ?, ?, ?, ?)',
  );
  for (const [name, dwell] of Object.entries(zones)) zone.run(visit, name, dwell, startedAt, startedAt + dwell);
  return visit;
}

export interface ServiceOptions {
  privacy?: Record<string, unknown>;
  /**
   * Test only: after validation, set every release's ρ to 1000 and the period cap to 10^7, beyond
   * what a config may say. Count noise then vanishes (σ² ≤ 0.01, P(noise ≠ 0) < 1e-20), so counts
   * can be checked exactly; the ledger and the filter still work as in production.
   */
  exact?: boolean;
  upstream?: Record<string, unknown>;
  sender?: UpstreamSender | null;
  random: RandomSource;
  clock?: FakeClock;
  firstWindowMs?: number;
  logger?: Logger;
  checkpoint?: ReleaseServiceDeps['checkpoint'];
  itemStatistics?: ReleaseServiceDeps['itemStatistics'];
}

export function makeService(db: Database, options: ServiceOptions): ReleaseService {
  return createReleaseService({
    db,
    store: 'store-1',
    privacy: options.exact === true ? exactPrivacy(privacyConfig(options.privacy)) : privacyConfig(options.privacy),
    upstream: upstreamConfig(options.upstream),
    visitGapSeconds: 300,
    clock: options.clock ?? new FakeClock(0),
    random: options.random,
    logger: options.logger ?? silentLogger(),
    sender: options.sender ?? null,
    ...(options.firstWindowMs !== undefined ? { firstWindowMs: options.firstWindowMs } : {}),
    ...(options.checkpoint !== undefined ? { checkpoint: options.checkpoint } : {}),
    ...(options.itemStatistics !== undefined ? { itemStatistics: options.itemStatistics } : {}),
  });
}

/** The release body as JSON. */
export function bodyOf(
  service: ReleaseService,
  id: string,
): { cells: string[]; measures: Array<{ metric: string; values: number[] }>; [key: string]: unknown } {
  const record = service.releases.get(id);
  if (record === null) throw new Error(`no release ${id}`);
  return JSON.parse(record.body.toString('utf8')) as {
    cells: string[];
    measures: Array<{ metric: string; values: number[] }>;
  };
}

/** The ledger's totals: the most any shopper spent in one period, the sum, and what the releases say they charged. */
export function ledgerTotals(db: Database): { maxPeriod: number; total: number; charged: number } {
  const maxPeriod = db
    .prepare("SELECT COALESCE(MAX(spent_micro), 0) FROM budget_ledger WHERE budget = 'analytics'")
    .pluck()
    .get() as number;
  const total = db
    .prepare("SELECT COALESCE(SUM(spent_micro), 0) FROM budget_ledger WHERE budget = 'analytics'")
    .pluck()
    .get() as number;
  const charged = db
    .prepare('SELECT COALESCE(SUM(charged_micro), 0) FROM privacy_releases WHERE version = 2')
    .pluck()
    .get() as number;
  return { maxPeriod, total, charged };
}

/** The privacy settings of the crash test: a cap tight enough that the filter binds within the period. */
export const CRASH_PRIVACY = {
  budget: { period: 'month', periodRho: 0.3 },
  releases: {
    footfall: { rho: 0.05 },
    visits: { rho: 0.02 },
    dwell: { rho: 0.03 },
    repeat: { rho: 0.02 },
    transitions: { rho: 0.03 },
  },
};
