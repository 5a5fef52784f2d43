import { AppError } from '../errors.ts';
/**
 * The store's local calendar (pure; Intl only): hours, days, ISO weeks and the budget periods
 * (calendar months, quarters, years) in the store's time zone. Days are local calendar days
 * numbered like Unix days (days since 1970-01-01 of the local date), so "the same day" means the
 * same date in the store, for the releases, the budget ledger and the offers alike.
 *
 * An hour is a clock hour of the time zone, so a DST fall-back day has two distinct "01:00"
 * hours, told apart by their UTC offset. Assumes whole-hour DST shifts (every IANA zone in use
 * except Lord Howe's 30-minute shift).
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

// ---------------------------------------------------------------------------------------------
// Budget periods and release windows (docs/privacy.md): the privacy unit is one shopper over one
// budget period; every release window lies inside one period (a week that crosses a period's
// edge is cut in two).

export type BudgetPeriodUnit = 'month' | 'quarter' | 'year';
export const BUDGET_PERIOD_UNITS: readonly BudgetPeriodUnit[] = ['month', 'quarter', 'year'];
const MONTHS_PER: Record<BudgetPeriodUnit, number> = { month: 1, quarter: 3, year: 12 };

export interface BudgetPeriod {
  readonly unit: BudgetPeriodUnit;
  /** "2026-11" (month), "2026-Q4" (quarter), "2026" (year). */
  readonly label: string;
  /** Months since 1970-01 of the period's first month, divided by the period's length: consecutive periods differ by 1. */
  readonly index: number;
  /** Local day numbers: the first day, and the day after the last. */
  readonly firstDay: number;
  readonly endDay: number;
  /** Unix ms of the first instant, and of the first instant of the next period. */
  readonly startMs: number;
  readonly endMs: number;
}

/** Periods of `unit` in one year (12, 4 or 1). */
export function periodsPerYear(unit: BudgetPeriodUnit): number {
  return 12 / MONTHS_PER[unit];
}

function dayOfMonthStart(year: number, month0: number): number {
  return Date.UTC(year, month0, 1) / DAY_MS;
}

function periodFromIndex(unit: BudgetPeriodUnit, index: number, timeZone: string): BudgetPeriod {
  const months = MONTHS_PER[unit];
  const first = index * months;
  const year = Math.floor(first / 12);
  const month0 = first - year * 12;
  const firstDay = dayOfMonthStart(year, month0);
  const endDay = dayOfMonthStart(year, month0 + months);
  const label =
    unit === 'year'
      ? String(year)
      : unit === 'quarter'
        ? `${year}-Q${month0 / 3 + 1}`
        : `${year}-${String(month0 + 1).padStart(2, '0')}`;
  return {
    unit,
    label,
    index,
    firstDay,
    endDay,
    startMs: dayStart(firstDay, timeZone),
    endMs: dayStart(endDay, timeZone),
  };
}

/** The budget period of `unit` that contains local day `day`. */
export function budgetPeriodOfDay(day: number, unit: BudgetPeriodUnit, timeZone: string): BudgetPeriod {
  const date = new Date(day * DAY_MS);
  const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth();
  return periodFromIndex(unit, Math.floor(monthIndex / MONTHS_PER[unit]), timeZone);
}

/** The budget period of `unit` that contains the instant `ms`. */
export function budgetPeriodAt(ms: number, unit: BudgetPeriodUnit, timeZone: string): BudgetPeriod {
  return budgetPeriodOfDay(localDay(ms, timeZone), unit, timeZone);
}

/** The period `steps` periods after `period` (before, for negative steps). */
export function shiftBudgetPeriod(period: BudgetPeriod, steps: number, timeZone: string): BudgetPeriod {
  return periodFromIndex(period.unit, period.index + steps, timeZone);
}

/** The period named by a label ("2026-11", "2026-Q4", "2026"), or null. */
export function parseBudgetPeriodLabel(label: string, timeZone: string): BudgetPeriod | null {
  let match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(label);
  if (match !== null) return periodFromIndex('month', Number(match[1]) * 12 + Number(match[2]) - 1, timeZone);
  match = /^(\d{4})-Q([1-4])$/.exec(label);
  if (match !== null) return periodFromIndex('quarter', Number(match[1]) * 4 + Number(match[2]) - 1, timeZone);
  match = /^(\d{4})$/.exec(label);
  if (match !== null) return periodFromIndex('year', Number(match[1]), timeZone);
  return null;
}

export type WindowUnit = 'day' | 'week' | 'period';

/** The time a release describes: a day, an ISO week (cut at the budget period's edges), or the whole period. */
export interface ReleaseWindow {
  readonly unit: WindowUnit;
  /** "2026-11-28" (day), "2026-W48" (week; "2026-W40.2026-Q4" for the part of a cut week), or the period's label. */
  readonly label: string;
  readonly firstDay: number;
  readonly endDay: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly period: BudgetPeriod;
}

/** Monday = 0 … Sunday = 6 of a local day number (day 0, 1970-01-01, was a Thursday). */
export function weekday(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** ISO 8601 week-numbering year and week of a local day. */
export function isoWeekOf(day: number): { year: number; week: number } {
  const thursday = day - weekday(day) + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1) / DAY_MS;
  return { year, week: Math.floor((thursday - jan1) / 7) + 1 };
}

function makeWindow(
  unit: WindowUnit,
  label: string,
  firstDay: number,
  endDay: number,
  period: BudgetPeriod,
  timeZone: string,
): ReleaseWindow {
  return {
    unit,
    label,
    firstDay,
    endDay,
    startMs: dayStart(firstDay, timeZone),
    endMs: dayStart(endDay, timeZone),
    period,
  };
}

/** The release window of `unit` containing local day `day`, inside that day's budget period. */
export function windowOfDay(
  day: number,
  unit: WindowUnit,
  periodUnit: BudgetPeriodUnit,
  timeZone: string,
): ReleaseWindow {
  const period = budgetPeriodOfDay(day, periodUnit, timeZone);
  if (unit === 'day') return makeWindow('day', dayLabel(day), day, day + 1, period, timeZone);
  if (unit === 'period') return makeWindow('period', period.label, period.firstDay, period.endDay, period, timeZone);
  const monday = day - weekday(day);
  const firstDay = Math.max(monday, period.firstDay);
  const endDay = Math.min(monday + 7, period.endDay);
  const { year, week } = isoWeekOf(day);
  const base = `${year}-W${String(week).padStart(2, '0')}`;
  const cut = firstDay !== monday || endDay !== monday + 7;
  return makeWindow('week', cut ? `${base}.${period.label}` : base, firstDay, endDay, period, timeZone);
}

/**
 * Every window of `unit` that starts on or after the window containing `fromMs` and ended by
 * `untilMs`, oldest first (a window still running at `untilMs` is not included).
 */
export function completedWindows(
  unit: WindowUnit,
  periodUnit: BudgetPeriodUnit,
  fromMs: number,
  untilMs: number,
  timeZone: string,
): ReleaseWindow[] {
  const out: ReleaseWindow[] = [];
  for (let w = windowOfDay(localDay(fromMs, timeZone), unit, periodUnit, timeZone); w.endMs <= untilMs;) {
    out.push(w);
    w = windowOfDay(w.endDay, unit, periodUnit, timeZone);
  }
  return out;
}

const CLOCK_BLOCK_MS = 15 * 60_000;

/** Local time of an instant: the day number and the minute of the day. */
export interface LocalTime {
  readonly day: number;
  /** Minutes since local midnight, 0..1439. */
  readonly minuteOfDay: number;
}

export type LocalClock = (ms: number) => LocalTime;

/**
 * A fast `localDay` for hot paths (an offer decision needs it once): Intl is slow (microseconds
 * per call), so the UTC offset is cached per 15-minute block — every real-world offset change
 * happens on a quarter hour.
 */
export function makeLocalClock(timeZone: string): LocalClock {
  if (!isTimeZone(timeZone)) {
    throw new AppError(
      'CFG_INVALID',
      `time zone "${timeZone}" is unknown, expected an IANA zone such as "Europe/Berlin"`,
    );
  }
  let cachedBlock = Number.NaN;
  let cachedOffsetMs = 0;
  return (ms) => {
    const block = Math.floor(ms / CLOCK_BLOCK_MS);
    if (block !== cachedBlock) {
      cachedBlock = block;
      cachedOffsetMs = offsetMinutes(block * CLOCK_BLOCK_MS, timeZone) * 60_000;
    }
    const local = ms + cachedOffsetMs;
    const day = Math.floor(local / DAY_MS);
    return { day, minuteOfDay: Math.floor((local - day * DAY_MS) / 60_000) };
  };
}
