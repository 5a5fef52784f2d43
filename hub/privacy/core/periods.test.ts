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
} from './periods.ts';

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
