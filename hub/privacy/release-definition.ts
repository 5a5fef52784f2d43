import type { Database } from 'better-sqlite3';
import type { RandomSource } from '../../shared/ports/random.ts';
import type { RationalInput } from '../../shared/privacy/rational.ts';
import type { ReleaseWindow, WindowUnit } from '../../shared/time/local-calendar.ts';
import type { MeasureDefinition } from './core/calibrate.ts';

/**
 * What a release kind is (docs/privacy.md §4): its window (a day, a week cut at the budget
 * period's edges, or the whole period), its public cells, the data it reads, its measures and its
 * contribution bound. The built-in kinds (release-kinds.ts) and kinds registered by other
 * features (the offers' response per arm × week, the recommender's statistics, the synthetic
 * visits) use this same shape; the release service does the rest — consent filter, contribution
 * bounding, the budget ledger of the window's period, noise, storage, upstream.
 */

export interface ReleaseContext {
  readonly window: ReleaseWindow;
  /** The store's IANA time zone (local hours and days). */
  readonly timeZone: string;
  /** The public zone list at release time (config or gateway registry). */
  readonly zones: readonly string[];
  /**
   * A memo shared by the releases of one run (e.g. two kinds that read the same per shopper-zone
   * aggregate of a day). Keys should name the query and the window.
   */
  readonly cache: Map<string, unknown>;
  /** For a definition that samples a shopper's own rows (e.g. one visit per shopper-week). */
  readonly rng: RandomSource;
}

/** One shopper's contribution to one cell of the window: ONE row per (shopperPk, cell). */
export interface SourceRow {
  readonly shopperPk: number;
  readonly cell: string;
  /** Integer value for sums (e.g. seconds); clamped by the measure, not here. */
  readonly value?: number;
}

export interface ReleaseDefinition {
  /** Release kind, [a-z0-9-]: the release id is "<kind>:<window label>". */
  readonly kind: string;
  readonly window: WindowUnit;
  /** The public cells of a window, zeros included. Public information only (zones, hours, buckets, arms, ...). */
  cells(context: ReleaseContext): readonly string[];
  /**
   * The window's data, read inside the release transaction — and ONLY the window's data (so it
   * lies in one budget period). Rows of shoppers without analytics consent are dropped by the
   * service (a definition cannot forget the consent rule), and rows outside `cells` are ignored.
   */
  rows(db: Database, context: ReleaseContext): Iterable<SourceRow>;
  readonly measures: readonly MeasureDefinition[];
  /** L0: the most cells one shopper contributes to in one release of this kind. */
  readonly maxCellsPerShopper: number;
  /** ρ of one release for a shopper at the bound. */
  readonly rho: RationalInput;
}
