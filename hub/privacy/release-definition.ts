import type { Database } from 'better-sqlite3';
import type { RandomSource } from '../../shared/ports/random.ts';
import type { Rational, RationalInput } from '../../shared/privacy/rational.ts';
import type { ReleaseMeasureV2 } from '../../shared/upstream/release-payload-v2.ts';
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

/** A release of counts or clamped sums over public cells: the service bounds, charges and noises it. */
export interface ReleaseDefinition {
  readonly custom?: undefined;
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

/** What a custom release computed: the payload's cells, bounds and measures (noise drawn once, here). */
export interface CustomRelease {
  readonly cells: readonly string[];
  readonly bounds: Readonly<Record<string, number>>;
  readonly measures: readonly ReleaseMeasureV2[];
  /** The exact ρ the release cost each shopper whose data it read (≤ the definition's ρ). */
  readonly rho: Rational;
}

/**
 * A release whose mechanism is its own (the synthetic visits, the recommender's statistics): the
 * service still decides WHOSE data it may read — consenting shoppers with the definition's ρ left
 * in the window's period — charges each of them ρ, and stores and sends the result like any
 * release. The definition must read only the window's data of the shoppers it is given.
 */
export interface CustomReleaseDefinition {
  readonly custom: true;
  readonly kind: string;
  readonly window: WindowUnit;
  /** ρ of one release for each shopper whose data it reads (worst case, charged in full). */
  readonly rho: RationalInput;
  /** The shoppers with data in the window (before consent and budget). */
  units(db: Database, context: ReleaseContext): Iterable<number>;
  compute(db: Database, context: ReleaseContext, included: ReadonlySet<number>): CustomRelease;
}

export type AnyReleaseDefinition = ReleaseDefinition | CustomReleaseDefinition;
