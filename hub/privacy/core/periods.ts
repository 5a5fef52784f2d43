/**
 * Release periods in the store's time zone (pure; Intl only). A period is an hour (a clock hour
 * of the time zone, so a DST fall-back day has two distinct "01:00" hours, told apart by their
 * UTC offset) or a calendar day. Ledger days are local calendar days numbered like Unix days
 * (days since 1970-01-01 of the local date), so "the same day" means the same date in the store.
 *
 * Assumes whole-hour DST shifts (every IANA zone in use except Lord Howe's 30-minute shift).
 */

export type PeriodUnit = 'hour' | 'day';

export interface Period {
  readonly unit: PeriodUnit;
  /** Unix ms, inclusive. */
  readonly startMs: number;
  /** Unix ms, exclusive. */
  readonly endMs: number;
  /** Local day number of the start (the ledger day charged). */
  readonly day: number;
  /** "2026-11-28T10:00+01:00" (hour) or "2026-11-28" (day): unique per period. */
  readonly label: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True iff Intl knows the IANA zone. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function localParts(ms: number, timeZone: string): LocalParts {
  const out: LocalParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter(timeZone).formatToParts(ms)) {
    if (part.type in out) out[part.type as keyof LocalParts] = Number(part.value);
  }
  return out;
}

/** The zone's UTC offset at `ms`, in minutes (east positive). */
export function offsetMinutes(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - (ms - (((ms % 1000) + 1000) % 1000))) / 60_000);
}

/** The local day number of the instant `ms`. */
export function localDay(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day) / DAY_MS;
}

/** "YYYY-MM-DD" of a day number. */
export function dayLabel(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The day number of "YYYY-MM-DD", or null. */
export function parseDayLabel(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return null;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return dayLabel(ms / DAY_MS) === text ? ms / DAY_MS : null;
}

/** Start of the local clock hour containing `ms`. */
export function hourStart(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return ms - (((ms % 1000) + 1000) % 1000) - (p.minute * 60 + p.second) * 1000;
}

/** The first instant of local day `day`. */
export function dayStart(day: number, timeZone: string): number {
  const guess = day * DAY_MS;
  let t = guess - offsetMinutes(guess, timeZone) * 60_000;
  t = guess - offsetMinutes(t, timeZone) * 60_000;
  t = hourStart(t, timeZone);
  // Fix up around DST changes at midnight: step to the earliest hour of `day`.
  while (localDay(t, timeZone) < day) t += HOUR_MS;
  while (localDay(t - HOUR_MS, timeZone) === day) t -= HOUR_MS;
  return t;
}

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0');
}

function offsetText(minutes: number): string {
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

/** ISO 8601 local time with the zone's offset: "2026-11-28T10:00:00+01:00". */
export function isoLocal(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${offsetText(offsetMinutes(ms, timeZone))}`;
}

export function hourPeriod(ms: number, timeZone: string): Period {
  const startMs = hourStart(ms, timeZone);
  const iso = isoLocal(startMs, timeZone);
  return {
    unit: 'hour',
    startMs,
    endMs: startMs + HOUR_MS,
    day: localDay(startMs, timeZone),
    label: `${iso.slice(0, 16)}${iso.slice(19)}`,
  };
}

export function dayPeriod(day: number, timeZone: string): Period {
  return {
    unit: 'day',
    startMs: dayStart(day, timeZone),
    endMs: dayStart(day + 1, timeZone),
    day,
    label: dayLabel(day),
  };
}

/**
 * Every period of `unit` that starts at or after `fromMs`'s period and ends at or before
 * `untilMs`, oldest first. (An hour or day still running at `untilMs` is not included.)
 */
export function completedPeriods(unit: PeriodUnit, fromMs: number, untilMs: number, timeZone: string): Period[] {
  const out: Period[] = [];
  if (unit === 'hour') {
    for (let p = hourPeriod(fromMs, timeZone); p.endMs <= untilMs; p = hourPeriod(p.endMs, timeZone)) out.push(p);
  } else {
    for (let d = localDay(fromMs, timeZone); ; d++) {
      const p = dayPeriod(d, timeZone);
      if (p.endMs > untilMs) break;
      out.push(p);
    }
  }
  return out;
}

/** The hours of one local day (23, 24 or 25 of them). */
export function hoursOfDay(day: number, timeZone: string): Period[] {
  const p = dayPeriod(day, timeZone);
  return completedPeriods('hour', p.startMs, p.endMs, timeZone);
}
