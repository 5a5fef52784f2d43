import { describe, expect, it } from 'vitest';
import { duePeriods } from './due-periods.ts';
import type { Period } from '../../../shared/time/local-calendar.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-11-27T10:20:00Z');

function run(nowMs: number, released: Set<string> = new Set(), sinceMs = T0) {
  return duePeriods({
    kinds: [
      { kind: 'footfall', unit: 'hour', sinceMs },
      { kind: 'transitions', unit: 'day', sinceMs },
    ],
    nowMs,
    settleMs: 60_000,
    maxCatchUpDays: 7,
    timeZone: 'UTC',
    released: (kind: string, period: Period) => released.has(`${kind}:${period.label}`),
  });
}

describe('due releases and catch-up', () => {
  it('releases the previous hour at :05, not the running one', () => {
    const { due } = run(Date.parse('2026-11-27T11:05:00Z'));
    expect(due.map((d) => `${d.kind}:${d.period.label}`)).toEqual(['footfall:2026-11-27T10:00+00:00']);
    expect(run(Date.parse('2026-11-27T11:00:30Z')).due).toEqual([]);
  });

  it('catches up every missed period after downtime, oldest first, hours before the day they end', () => {
    const now = Date.parse('2026-11-28T03:05:00Z');
    const released = new Set(['footfall:2026-11-27T10:00+00:00', 'footfall:2026-11-27T11:00+00:00']);
    const labels = run(now, released).due.map((d) => `${d.kind}:${d.period.label}`);
    expect(labels[0]).toBe('footfall:2026-11-27T12:00+00:00');
    expect(labels).toHaveLength(15 + 1);
    expect(labels.indexOf('transitions:2026-11-27')).toBe(labels.indexOf('footfall:2026-11-27T23:00+00:00') + 1);
    expect(labels.at(-1)).toBe('footfall:2026-11-28T02:00+00:00');
  });

  it('skips periods older than the catch-up limit once, and moves the kind past them', () => {
    const now = T0 + 10 * 24 * H;
    const result = run(now);
    expect(result.skipped.length).toBeGreaterThan(0);
    expect(result.skipped.every((s) => s.period.endMs <= now - 7 * 24 * H + H)).toBe(true);
    const footfallSince = result.nextSinceMs.get('footfall') as number;
    expect(result.due.filter((d) => d.kind === 'footfall')[0]?.period.startMs).toBe(footfallSince);
    const again = run(now, new Set(), footfallSince);
    expect(again.skipped.filter((s) => s.kind === 'footfall')).toEqual([]);
  });
});
