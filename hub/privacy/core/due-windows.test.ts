import { describe, expect, it } from 'vitest';
import { dueWindows } from './due-windows.ts';
import type { ReleaseWindow } from '../../../shared/time/local-calendar.ts';

const D = 86_400_000;
const T0 = Date.parse('2026-09-21T10:20:00Z'); // a Monday

function run(nowMs: number, released: Set<string> = new Set(), sinceMs = T0, maxCatchUpDays = 14) {
  return dueWindows({
    kinds: [
      { kind: 'footfall', window: 'day', sinceMs },
      { kind: 'dwell', window: 'week', sinceMs },
    ],
    nowMs,
    settleMs: 3_600_000,
    maxCatchUpDays,
    timeZone: 'UTC',
    periodUnit: 'quarter',
    released: (kind: string, window: ReleaseWindow) => released.has(`${kind}:${window.label}`),
  });
}

const labels = (r: ReturnType<typeof run>): string[] => r.due.map((d) => `${d.kind}:${d.window.label}`);

describe('due release windows and catch-up', () => {
  it('releases a day once it ended and settled, not the running one', () => {
    expect(labels(run(Date.parse('2026-09-22T01:20:00Z')))).toEqual(['footfall:2026-09-21']);
    expect(run(Date.parse('2026-09-22T00:30:00Z')).due).toEqual([]);
  });

  it('cuts the week at the quarter and releases each part in its own period, days before the week they end', () => {
    const got = labels(run(Date.parse('2026-10-05T02:00:00Z')));
    expect(got).toContain('dwell:2026-W39');
    expect(got).toContain('dwell:2026-W40.2026-Q3');
    expect(got).toContain('dwell:2026-W40.2026-Q4');
    expect(got.indexOf('dwell:2026-W40.2026-Q3')).toBe(got.indexOf('footfall:2026-09-30') + 1);
    const q3 = run(Date.parse('2026-10-05T02:00:00Z')).due.find((d) => d.window.label === '2026-W40.2026-Q3');
    expect(q3?.window.period.label).toBe('2026-Q3');
    expect(got.at(-1)).toBe('dwell:2026-W40.2026-Q4');
  });

  it('catches up every missed window after downtime, oldest first, and never one already released', () => {
    const now = Date.parse('2026-09-25T02:00:00Z');
    const released = new Set(['footfall:2026-09-21']);
    expect(labels(run(now, released))).toEqual(['footfall:2026-09-22', 'footfall:2026-09-23', 'footfall:2026-09-24']);
  });

  it('skips windows older than the catch-up limit once, and moves the kind past them', () => {
    const now = T0 + 30 * D;
    const result = run(now, new Set(), T0, 7);
    expect(result.skipped.length).toBeGreaterThan(0);
    expect(result.skipped.every((s) => s.window.endMs < now - 7 * D)).toBe(true);
    const since = result.nextSinceMs.get('footfall') as number;
    const again = run(now, new Set(), since, 7);
    expect(again.skipped.filter((s) => s.kind === 'footfall')).toEqual([]);
    expect(again.due.filter((d) => d.kind === 'footfall').length).toBe(
      result.due.filter((d) => d.kind === 'footfall').length,
    );
  });
});
