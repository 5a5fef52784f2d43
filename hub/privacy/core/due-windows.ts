import {
  completedWindows,
  localDay,
  windowOfDay,
  type BudgetPeriodUnit,
  type ReleaseWindow,
  type WindowUnit,
} from '../../../shared/time/local-calendar.ts';

/**
 * Which windows are due for release (pure; docs/privacy.md §6). A kind is released for every
 * window that
 * - starts at or after the window containing the kind's `sinceMs` (when the hub first released it),
 * - ended at least `settleMs` before `nowMs`, and
 * - has no release yet (`released`),
 * oldest first. After downtime this is the catch-up: every missed window, in time order. Windows
 * that ended more than `maxCatchUpDays` ago are not released any more (their raw data may already
 * be gone by retention); they are reported as `skipped` once, and `nextSinceMs` moves past them.
 *
 * Each window lies in one budget period, so a catch-up after a clock jump or downtime charges each
 * window to its own period — never to the period of the moment it is computed in.
 */

export interface KindSchedule {
  readonly kind: string;
  readonly window: WindowUnit;
  readonly sinceMs: number;
}

export interface DueRelease {
  readonly kind: string;
  readonly window: ReleaseWindow;
}

export interface DueResult {
  readonly due: readonly DueRelease[];
  readonly skipped: readonly DueRelease[];
  /** kind → the new `sinceMs` (only for kinds whose horizon moved). */
  readonly nextSinceMs: ReadonlyMap<string, number>;
}

const DAY_MS = 86_400_000;
const UNIT_RANK: Record<WindowUnit, number> = { day: 0, week: 1, period: 2 };

export function dueWindows(input: {
  kinds: readonly KindSchedule[];
  nowMs: number;
  settleMs: number;
  maxCatchUpDays: number;
  timeZone: string;
  periodUnit: BudgetPeriodUnit;
  released: (kind: string, window: ReleaseWindow) => boolean;
}): DueResult {
  const { timeZone, nowMs, periodUnit } = input;
  const until = nowMs - input.settleMs;
  const horizonMs = nowMs - input.maxCatchUpDays * DAY_MS;
  const due: DueRelease[] = [];
  const skipped: DueRelease[] = [];
  const nextSinceMs = new Map<string, number>();
  for (const schedule of input.kinds) {
    const first = windowOfDay(localDay(schedule.sinceMs, timeZone), schedule.window, periodUnit, timeZone);
    let newSince: number | null = null;
    for (const window of completedWindows(schedule.window, periodUnit, first.startMs, until, timeZone)) {
      if (input.released(schedule.kind, window)) continue;
      if (window.endMs < horizonMs) {
        skipped.push({ kind: schedule.kind, window });
        newSince = window.endMs;
      } else due.push({ kind: schedule.kind, window });
    }
    if (newSince !== null) nextSinceMs.set(schedule.kind, newSince);
  }
  const order = new Map(input.kinds.map((k, i) => [k.kind, i]));
  due.sort(
    (a, b) =>
      a.window.endMs - b.window.endMs ||
      UNIT_RANK[a.window.unit] - UNIT_RANK[b.window.unit] ||
      (order.get(a.kind) ?? 0) - (order.get(b.kind) ?? 0),
  );
  return { due, skipped, nextSinceMs };
}
