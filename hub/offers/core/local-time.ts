import { AppError } from '../../../shared/errors.ts';

/**
 * Store-local time for the offer guards (quiet hours, "per day" caps and budgets), pure: Intl
 * only. Days are numbered like Unix days (days since 1970-01-01 of the local date), the same
 * numbering the analytics ledger uses, so "today" means the same date everywhere in the hub.
 *
 * Intl is slow (microseconds per call), and a decision needs the local time once, so the UTC
 * offset is cached per 15-minute block: every real-world offset change happens on a quarter hour.
 */

export interface LocalTime {
  /** Local calendar day, numbered like Unix days. */
  readonly day: number;
  /** Minutes since local midnight, 0..1439. */
  readonly minuteOfDay: number;
}

export interface QuietHours {
  /** "HH:MM", local time; the quiet period starts here ... */
  readonly start: string;
  /** ... and ends here (exclusive). An end before the start wraps past midnight. */
  readonly end: string;
}

const BLOCK_MS = 15 * 60_000;
const DAY_MS = 86_400_000;

export type LocalClock = (ms: number) => LocalTime;

/** A function from Unix ms to local day and minute in `timeZone` (an IANA zone). */
export function makeLocalClock(timeZone: string): LocalClock {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
  } catch {
    throw new AppError(
      'CFG_INVALID',
      `time zone "${timeZone}" is unknown, expected an IANA zone such as "Europe/Berlin"`,
    );
  }
  let cachedBlock = Number.NaN;
  let cachedOffsetMs = 0;
  const offsetAt = (ms: number): number => {
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(ms)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
    const local = Date.UTC(
      parts.year ?? 1970,
      (parts.month ?? 1) - 1,
      parts.day ?? 1,
      parts.hour ?? 0,
      parts.minute ?? 0,
    );
    return local - (ms - (((ms % 60_000) + 60_000) % 60_000));
  };
  return (ms) => {
    const block = Math.floor(ms / BLOCK_MS);
    if (block !== cachedBlock) {
      cachedBlock = block;
      cachedOffsetMs = offsetAt(block * BLOCK_MS);
    }
    const local = ms + cachedOffsetMs;
    const day = Math.floor(local / DAY_MS);
    return { day, minuteOfDay: Math.floor((local - day * DAY_MS) / 60_000) };
  };
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
