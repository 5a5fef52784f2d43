/**
 * Monthly partitions of HQ's PostgreSQL tables (pure): a window belongs to the partition of the
 * UTC month its start falls in. Names are releases_y2026m11, cell_values_y2026m11.
 */

export interface MonthPartition {
  /** "y2026m11" */
  readonly suffix: string;
  readonly fromUnix: number;
  readonly toUnix: number;
}

export function monthPartition(unixSeconds: number): MonthPartition {
  const date = new Date(unixSeconds * 1000);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  return {
    suffix: `y${year}m${String(month + 1).padStart(2, '0')}`,
    fromUnix: Date.UTC(year, month, 1) / 1000,
    toUnix: Date.UTC(year, month + 1, 1) / 1000,
  };
}
