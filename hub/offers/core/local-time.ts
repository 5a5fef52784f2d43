import { AppError } from '../../../shared/errors.ts';

/**
 * Quiet hours for the offer guards (pure). Local days and minutes come from the store's local
 * calendar (shared/time/local-calendar.ts), the same numbering the releases and the budget
 * ledger use, so "today" means the same date everywhere in the hub.
 */

export type { LocalClock, LocalTime } from '../../../shared/time/local-calendar.ts';
export { makeLocalClock } from '../../../shared/time/local-calendar.ts';

export interface QuietHours {
  /** "HH:MM", local time; the quiet period starts here ... */
  readonly start: string;
  /** ... and ends here (exclusive). An end before the start wraps past midnight. */
  readonly end: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
export const HHMM_PATTERN = HHMM.source;

/** Minutes since midnight of "HH:MM", or null when the text is not a time. */
export function parseHhmm(text: string): number | null {
  const match = HHMM.exec(text);
  return match === null ? null : Number(match[1]) * 60 + Number(match[2]);
}

/** True when `minuteOfDay` falls inside the quiet period (equal start and end: never quiet). */
export function inQuietHours(quiet: QuietHours, minuteOfDay: number): boolean {
  const start = parseHhmm(quiet.start);
  const end = parseHhmm(quiet.end);
  if (start === null || end === null)
    throw new AppError('API_BAD_REQUEST', `quiet hours "${quiet.start}"–"${quiet.end}" are not both HH:MM`);
  if (start === end) return false;
  return start < end ? minuteOfDay >= start && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
}

/** "HH:MM" of a minute of the day. */
export function formatMinute(minuteOfDay: number): string {
  return `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;
}
