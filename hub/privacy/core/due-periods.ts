import { completedPeriods, dayPeriod, hourPeriod, localDay, type Period, type PeriodUnit } from '../../../shared/time/local-calendar.ts';

/**
 * Which periods are due for release (pure). A kind is released for every period that
 * - starts at or after the kind's `sinceMs` (when the hub first released it) and
 * - ended at least `settleMs` before `nowMs`, and
 * - has no release yet (`released`),
 * oldest first. After downtime this is the catch-up: every missed period, in time order.
 * Periods older than `maxCatchUpDays` are not released any more (their raw data may already be
 * gone by retention); they are reported as `skipped` once, and `nextSinceMs` moves past them.
 */

export interface KindSchedule {
  readonly kind: string;
  readonly unit: PeriodUnit;
  readonly sinceMs: number;
}

export interface DueRelease {
  readonly kind: string;
  readonly period: Period;
}

export interface DueResult {
  readonly due: readonly DueRelease[];
  readonly skipped: readonly DueRelease[];
  /** kind → the new `sinceMs` (only for kinds whose horizon moved). */
  readonly nextSinceMs: ReadonlyMap<string, number>;
}

const DAY_MS = 86_400_000;

function periodStart(unit: PeriodUnit, ms: number, timeZone: string): number {
  return unit === 'hour' ? hourPeriod(ms, timeZone).startMs : dayPeriod(localDay(ms, timeZone), timeZone).startMs;
}

export function duePeriods(input: {
  kinds: readonly KindSchedule[];
  nowMs: number;
  settleMs: number;
  maxCatchUpDays: number;
  timeZone: string;
  released: (kind: string, period: Period) => boolean;
}): DueResult {
  const { timeZone, nowMs } = input;
  const until = nowMs - input.settleMs;
  const due: DueRelease[] = [];
  const skipped: DueRelease[] = [];
  const nextSinceMs = new Map<string, number>();
  input.kinds.forEach((schedule) => {
    const horizon = periodStart(schedule.unit, nowMs - input.maxCatchUpDays * DAY_MS, timeZone);
    const since = periodStart(schedule.unit, schedule.sinceMs, timeZone);
    if (since < horizon) {
      for (const period of completedPeriods(schedule.unit, since, horizon, timeZone)) {
        if (!input.released(schedule.kind, period)) skipped.push({ kind: schedule.kind, period });
      }
      nextSinceMs.set(schedule.kind, horizon);
    }
    for (const period of completedPeriods(schedule.unit, Math.max(since, horizon), until, timeZone)) {
      if (!input.released(schedule.kind, period)) due.push({ kind: schedule.kind, period });
    }
  });
  const order = new Map(input.kinds.map((k, i) => [k.kind, i]));
  const unitRank = (d: DueRelease): number => (d.period.unit === 'hour' ? 0 : 1);
  due.sort(
    (a, b) =>
      a.period.endMs - b.period.endMs ||
      unitRank(a) - unitRank(b) ||
      (order.get(a.kind) ?? 0) - (order.get(b.kind) ?? 0),
  );
  return { due, skipped, nextSinceMs };
}
