import type { Database } from 'better-sqlite3';
import type { RationalInput } from '../../shared/privacy/rational.ts';
import type { MeasureDefinition } from './core/calibrate.ts';
import type { Period, PeriodUnit } from '../../shared/time/local-calendar.ts';

/**
 * What a release kind is: its period, its public cells, the data it reads, its measures and its
 * bounds. The built-in kinds (release-kinds.ts) and extra kinds registered by other features
 * (e.g. the offers' "offer response per arm × day") use this same shape; the release service
 * does the rest — consent filter, contribution bounding, ledger, noise, storage, upstream.
 */

export interface ReleaseContext {
  readonly period: Period;
  /** The public zone list at release time (config or gateway registry). */
  readonly zones: readonly string[];
  /**
   * A memo shared by the releases of one run (e.g. footfall and dwell read the same per
   * shopper-zone aggregate of an hour once). Keys should name the query and the period.
   */
  readonly cache: Map<string, unknown>;
}

/** One shopper's contribution to one cell of the period: ONE row per (shopperPk, cell). */
export interface SourceRow {
  readonly shopperPk: number;
  readonly cell: string;
  /** Integer value for sums (e.g. seconds); clamped by the measure, not here. */
  readonly value?: number;
}

export interface ReleaseDefinition {
  /** Release kind, [a-z0-9-]: the release id is "<kind>:<period label>". */
  readonly kind: string;
  readonly unit: PeriodUnit;
  /** The public cells of a period, zeros included. Public information only (zones, arms, ...). */
  cells(context: ReleaseContext): readonly string[];
  /**
   * The period's data, read inside the release transaction. Rows of shoppers without analytics
   * consent are dropped by the service (so a definition cannot forget the consent rule), and rows
   * outside `cells` are ignored.
   */
  rows(db: Database, context: ReleaseContext): Iterable<SourceRow>;
  readonly measures: readonly MeasureDefinition[];
  /** The most cells of this kind one shopper contributes to per day. */
  readonly maxCellsPerDay: number;
  /** ρ of one release for a shopper at the bound. */
  readonly rho: RationalInput;
}

/** An extra daily release registered by another feature (see ReleaseService.registerDailyRelease). */
export type DailyReleaseDefinition = Omit<ReleaseDefinition, 'unit'>;
