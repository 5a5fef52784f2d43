import { describe, expect, it } from 'vitest';
import {
  completedPeriods,
  dayLabel,
  dayPeriod,
  dayStart,
  hourPeriod,
  hoursOfDay,
  isoLocal,
  localDay,
  offsetMinutes,
  parseDayLabel,
  budgetPeriodAt,
  budgetPeriodOfDay,
  completedWindows,
  isoWeekOf,
  makeLocalClock,
  parseBudgetPeriodLabel,
  periodsPerYear,
  shiftBudgetPeriod,
  weekday,
  windowOfDay,
} from './local-calendar.ts';

const BERLIN = 'Europe/Berlin';

describe('release periods in the store time zone', () => {
  it('labels an hour with its local start and offset', () => {
    const p = hourPeriod(Date.parse('2026-11-28T09:42:17Z'), BERLIN);
    expect(p).toEqual({
      unit: 'hour',
      startMs: Date.parse('2026-11-28T09:00:00Z'),
      endMs: Date.parse('2026-11-28T10:00:00Z'),
      day: localDay(Date.parse('2026-11-28T09:00:00Z'), BERLIN),
      label: '2026-11-28T10:00+01:00',
    });
    expect(isoLocal(p.startMs, BERLIN)).toBe('2026-11-28T10:00:00+01:00');
    expect(dayLabel(p.day)).toBe('2026-11-28');
  });

  it('uses local days: 23:30 UTC on Nov 27 is already Nov 28 in Berlin', () => {
    expect(dayLabel(localDay(Date.parse('2026-11-27T23:30:00Z'), BERLIN))).toBe('2026-11-28');
    expect(dayLabel(localDay(Date.parse('2026-11-27T23:30:00Z'), 'UTC'))).toBe('2026-11-27');
    expect(dayStart(parseDayLabel('2026-11-28') as number, BERLIN)).toBe(Date.parse('2026-11-27T23:00:00Z'));
  });

  it('gives DST days 23 and 25 distinct hours', () => {
    const spring = hoursOfDay(parseDayLabel('2026-03-29') as number, BERLIN);
    const autumn = hoursOfDay(parseDayLabel('2026-10-25') as number, BERLIN);
    const normal = hoursOfDay(parseDayLabel('2026-11-28') as number, BERLIN);
    expect([spring.length, autumn.length, normal.length]).toEqual([23, 25, 24]);
    const labels = autumn.map((p) => p.label);
    expect(new Set(labels).size).toBe(25);
    expect(labels).toContain('2026-10-25T02:00+02:00');
    expect(labels).toContain('2026-10-25T02:00+01:00');
    expect(spring.map((p) => p.label)).not.toContain('2026-03-29T02:00+01:00');
    expect(offsetMinutes(Date.parse('2026-07-01T12:00:00Z'), BERLIN)).toBe(120);
  });

  it('lists completed periods only, oldest first', () => {
    const from = Date.parse('2026-11-28T08:10:00Z');
    const until = Date.parse('2026-11-28T11:04:00Z');
    expect(completedPeriods('hour', from, until, 'UTC').map((p) => p.label)).toEqual([
      '2026-11-28T08:00+00:00',
      '2026-11-28T09:00+00:00',
      '2026-11-28T10:00+00:00',
    ]);
    const days = completedPeriods('day', Date.parse('2026-11-26T12:00:00Z'), Date.parse('2026-11-28T00:15:00Z'), 'UTC');
    expect(days.map((p) => p.label)).toEqual(['2026-11-26', '2026-11-27']);
    expect(dayPeriod(days[0]?.day as number, 'UTC').endMs).toBe(Date.parse('2026-11-27T00:00:00Z'));
  });

  it('rejects impossible day labels', () => {
    expect(parseDayLabel('2026-02-30')).toBeNull();
    expect(parseDayLabel('28.11.2026')).toBeNull();
  });
});

describe('budget periods and release windows', () => {
  const day = (text: string): number => parseDayLabel(text) as number;

  it('finds the month, quarter and year of a day, with labels and local edges', () => {
    const d = day('2026-11-28');
    expect(budgetPeriodOfDay(d, 'month', BERLIN)).toMatchObject({
      label: '2026-11',
      firstDay: day('2026-11-01'),
      endDay: day('2026-12-01'),
      startMs: Date.parse('2026-10-31T23:00:00Z'),
      endMs: Date.parse('2026-11-30T23:00:00Z'),
    });
    expect(budgetPeriodOfDay(d, 'quarter', BERLIN)).toMatchObject({
      label: '2026-Q4',
      firstDay: day('2026-10-01'),
      endDay: day('2027-01-01'),
      // Berlin is on summer time on 1 October: the quarter starts at 22:00 UTC the day before.
      startMs: Date.parse('2026-09-30T22:00:00Z'),
    });
    expect(budgetPeriodOfDay(d, 'year', BERLIN)).toMatchObject({ label: '2026', firstDay: day('2026-01-01') });
  });

  it('steps periods by their index and parses labels back', () => {
    const q4 = budgetPeriodAt(Date.parse('2026-12-31T22:59:59Z'), 'quarter', BERLIN);
    expect(q4.label).toBe('2026-Q4');
    expect(budgetPeriodAt(Date.parse('2026-12-31T23:00:00Z'), 'quarter', BERLIN).label).toBe('2027-Q1');
    expect(shiftBudgetPeriod(q4, 1, BERLIN).label).toBe('2027-Q1');
    expect(shiftBudgetPeriod(q4, -4, BERLIN).label).toBe('2025-Q4');
    for (const label of ['2026-11', '2026-Q4', '2026', '2027-01'])
      expect(parseBudgetPeriodLabel(label, BERLIN)?.label).toBe(label);
    for (const bad of ['2026-13', '2026-Q5', '26', '2026-1']) expect(parseBudgetPeriodLabel(bad, BERLIN)).toBeNull();
    expect(periodsPerYear('quarter')).toBe(4);
  });

  it('numbers ISO weeks and weekdays', () => {
    expect(weekday(day('2026-11-30'))).toBe(0); // a Monday
    expect(weekday(day('2026-11-29'))).toBe(6);
    expect(isoWeekOf(day('2026-11-28'))).toEqual({ year: 2026, week: 48 });
    expect(isoWeekOf(day('2027-01-01'))).toEqual({ year: 2026, week: 53 });
    expect(isoWeekOf(day('2024-12-30'))).toEqual({ year: 2025, week: 1 });
  });

  it('cuts a week at the budget period edge, so each part lies in one period', () => {
    // 2026-09-28 (Mon) … 2026-10-04 (Sun) crosses from Q3 into Q4.
    const before = windowOfDay(day('2026-09-30'), 'week', 'quarter', BERLIN);
    const after = windowOfDay(day('2026-10-02'), 'week', 'quarter', BERLIN);
    expect(before).toMatchObject({ label: '2026-W40.2026-Q3', firstDay: day('2026-09-28'), endDay: day('2026-10-01') });
    expect(after).toMatchObject({ label: '2026-W40.2026-Q4', firstDay: day('2026-10-01'), endDay: day('2026-10-05') });
    expect(before.period.label).toBe('2026-Q3');
    expect(after.period.label).toBe('2026-Q4');
    // With monthly periods the same week is cut at the month's edge; with yearly ones it is whole.
    expect(windowOfDay(day('2026-09-30'), 'week', 'year', BERLIN).label).toBe('2026-W40');
  });

  it('lists the completed windows between two instants, oldest first', () => {
    const from = Date.parse('2026-09-27T12:00:00Z');
    const until = Date.parse('2026-10-12T00:00:00Z');
    expect(completedWindows('week', 'quarter', from, until, 'UTC').map((w) => w.label)).toEqual([
      '2026-W39',
      '2026-W40.2026-Q3',
      '2026-W40.2026-Q4',
      '2026-W41',
    ]);
    expect(
      completedWindows('day', 'quarter', from, Date.parse('2026-09-30T00:00:00Z'), 'UTC').map((w) => w.label),
    ).toEqual(['2026-09-27', '2026-09-28', '2026-09-29']);
    const period = completedWindows('period', 'month', from, Date.parse('2026-11-01T00:00:00Z'), 'UTC');
    expect(period.map((w) => w.label)).toEqual(['2026-09', '2026-10']);
  });

  it('gives the same local day and minute as localDay, fast (cached per quarter hour)', () => {
    const clock = makeLocalClock(BERLIN);
    for (const iso of [
      '2026-03-29T00:59:59Z',
      '2026-03-29T01:00:00Z',
      '2026-10-25T00:30:00Z',
      '2026-10-25T01:30:00Z',
    ]) {
      const ms = Date.parse(iso);
      expect(clock(ms).day).toBe(localDay(ms, BERLIN));
    }
    expect(() => makeLocalClock('Mars/Olympus')).toThrow(/unknown, expected an IANA zone/);
  });
});
