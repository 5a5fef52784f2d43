import { AppError } from '../../errors.ts';

/**
 * value limited to [lo, hi]. A clamp is a per-row map, so it never increases the number of rows a
 * privacy unit contributes; it bounds each row's value, which is what makes a sum's L∞ finite.
 */
export function clamp(value: number, lo: number, hi: number): number;
export function clamp(value: bigint, lo: bigint, hi: bigint): bigint;
export function clamp<T extends number | bigint>(value: T, lo: T, hi: T): T {
  if (typeof value === 'number' && Number.isNaN(value)) {
    throw new AppError('DP_INVALID_PARAMETER', 'clamp value is NaN, expected a number');
  }
  if (!(lo <= hi)) throw new AppError('DP_INVALID_PARAMETER', `clamp bounds are [${lo}, ${hi}], expected lo ≤ hi`);
  return value < lo ? lo : value > hi ? hi : value;
}
