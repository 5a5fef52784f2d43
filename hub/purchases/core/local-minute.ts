import { offsetMinutes } from '../../../shared/time/local-calendar.ts';

/**
 * The store's wall clock → UTC (pure; Intl only). A POS prints its invoices in store-local time,
 * without an offset; the hub knows its time zone (privacy.timeZone, the one the releases and the
 * ledger use), so a local minute becomes an instant here (docs/purchases.md#time).
 *
 * Around a change of offset a local time can be missing (the clock jumps forward: 02:30 on a
 * spring-forward night) or happen twice (it falls back: 01:30 twice). A missing time is read with
 * the offset in force before the jump (02:30 → 03:30 of the new offset, the instant a clock that
 * missed the change would have meant); a repeated time is the earlier of the two. These are the
 * "compatible" choices of ECMAScript Temporal.
 *
 * Intl costs microseconds per call, and an export holds hundreds of thousands of lines in a few
 * thousand distinct hours, so the offset is computed once per local hour and cached. Offsets change
 * on whole hours in every zone the hub supports (shared/time/local-calendar.ts assumes the same).
 */

const MINUTE_MS = 60_000;
const HALF_DAY_MINUTES = 12 * 60;

/** The zone's UTC offset (minutes, east positive) at a Unix ms instant. */
export type OffsetAt = (ms: number) => number;

/** Local minutes since 1970-01-01 00:00 (the store's wall clock) → Unix ms. */
export type LocalToUtc = (localMinute: number) => number;

/** The offset to subtract from a local minute of `localHour` (in hours since 1970-01-01 00:00 local). */
function offsetForLocalHour(localHour: number, offsetAt: OffsetAt): number {
  const localMinute = localHour * 60;
  // The offsets half a day either side: a change of offset in between is the only one near.
  const before = offsetAt((localMinute - HALF_DAY_MINUTES) * MINUTE_MS);
  const after = offsetAt((localMinute + HALF_DAY_MINUTES) * MINUTE_MS);
  const fits = (offset: number): boolean => offsetAt((localMinute - offset) * MINUTE_MS) === offset;
  const fitBefore = fits(before);
  const fitAfter = before !== after && fits(after);
  // Both fit: the hour happens twice; the earlier instant has the larger offset.
  if (fitBefore && fitAfter) return Math.max(before, after);
  if (fitBefore) return before;
  if (fitAfter) return after;
  // Neither fits: the hour is skipped; read it with the offset in force before the jump.
  return before;
}

/** A converter for `timeZone`, caching the offset per local hour. */
export function makeLocalToUtc(timeZone: string, offsetAt: OffsetAt = (ms) => offsetMinutes(ms, timeZone)): LocalToUtc {
  const cache = new Map<number, number>();
  return (localMinute) => {
    const hour = Math.floor(localMinute / 60);
    let offset = cache.get(hour);
    if (offset === undefined) {
      offset = offsetForLocalHour(hour, offsetAt);
      cache.set(hour, offset);
    }
    return (localMinute - offset) * MINUTE_MS;
  };
}
