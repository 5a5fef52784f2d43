/**
 * Local calendar of a simulated store (pure; Intl only): local midnights and clock hours in an
 * IANA time zone as Unix seconds, ISO 8601 strings with the zone's offset, ISO weeks and calendar
 * quarters (the default budget period, docs/privacy.md).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function parts(unixMs: number, timeZone: string): { y: number; m: number; d: number; h: number; min: number } {
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
    });
    formatters.set(timeZone, f);
  }
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(unixMs))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return {
    y: out.year as number,
    m: out.month as number,
    d: out.day as number,
    h: out.hour as number,
    min: out.minute as number,
  };
}

/** The zone's UTC offset at an instant, in minutes (+60 for Europe/Berlin in winter). */
export function offsetMinutes(unixMs: number, timeZone: string): number {
  const p = parts(unixMs, timeZone);
  return Math.round((Date.UTC(p.y, p.m - 1, p.d, p.h, p.min) - Math.floor(unixMs / 60_000) * 60_000) / 60_000);
}

/** Unix seconds of local y-m-d hh:00 (month 1-12). */
export function localTime(y: number, m: number, d: number, hour: number, timeZone: string): number {
  const naive = Date.UTC(y, m - 1, d, hour);
  let guess = naive - offsetMinutes(naive, timeZone) * 60_000;
  guess = naive - offsetMinutes(guess, timeZone) * 60_000;
  return guess / 1000;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** "2026-11-28T10:00:00+01:00" */
export function isoLocal(unixSeconds: number, timeZone: string): string {
  const ms = unixSeconds * 1000;
  const p = parts(ms, timeZone);
  const off = offsetMinutes(ms, timeZone);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return `${p.y}-${pad(p.m)}-${pad(p.d)}T${pad(p.h)}:${pad(p.min)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export interface LocalDate {
  readonly y: number;
  readonly m: number;
  readonly d: number;
}

export function parseLocalDate(text: string): LocalDate | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const check = new Date(Date.UTC(y, m - 1, d));
  return check.getUTCMonth() === m - 1 && check.getUTCDate() === d ? { y, m, d } : null;
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const t = new Date(Date.UTC(date.y, date.m - 1, date.d + days));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

export function formatDate(date: LocalDate): string {
  return `${date.y}-${pad(date.m)}-${pad(date.d)}`;
}

/** 0 = Monday … 6 = Sunday. */
export function weekday(date: LocalDate): number {
  return (new Date(Date.UTC(date.y, date.m - 1, date.d)).getUTCDay() + 6) % 7;
}

/** ISO 8601 week label "2026-W48" (the week-year of its Thursday). */
export function isoWeekLabel(date: LocalDate): string {
  const thursday = addDays(date, 3 - weekday(date));
  const jan1 = Date.UTC(thursday.y, 0, 1);
  const week = Math.floor((Date.UTC(thursday.y, thursday.m - 1, thursday.d) - jan1) / 86_400_000 / 7) + 1;
  return `${thursday.y}-W${pad(week)}`;
}

export interface Quarter {
  readonly label: string;
  readonly first: LocalDate;
  /** The first day of the next quarter. */
  readonly next: LocalDate;
}

export function quarterOf(date: LocalDate): Quarter {
  const q = Math.floor((date.m - 1) / 3);
  const first = { y: date.y, m: q * 3 + 1, d: 1 };
  const next = q === 3 ? { y: date.y + 1, m: 1, d: 1 } : { y: date.y, m: q * 3 + 4, d: 1 };
  return { label: `${date.y}-Q${q + 1}`, first, next };
}

export function compareDates(a: LocalDate, b: LocalDate): number {
  return Date.UTC(a.y, a.m - 1, a.d) - Date.UTC(b.y, b.m - 1, b.d);
}
