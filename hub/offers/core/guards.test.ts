import { describe, expect, it } from 'vitest';
import type { BudgetStanding } from './budget.ts';
import { checkGuards, type GuardConfig, type GuardInput, type OfferActivity } from './guards.ts';
import { inQuietHours, makeLocalClock, parseHhmm } from './local-time.ts';

const CONFIG: GuardConfig = {
  budget: { periodMicro: 3_000_000, lifetimeMicro: 9_000_000 },
  caps: { perVisit: 2, perDay: 3, minGapMs: 15 * 60_000 },
  quietHours: { start: '21:00', end: '08:00' },
  maxEntryAgeMs: 900_000,
};
const NOW = Date.parse('2026-11-15T12:00:00Z');
const IDLE: OfferActivity = { shownToday: 0, shownThisVisit: 0, lastShownMs: null };
const FRESH: BudgetStanding = { period: '2026-Q4', spentMicro: 0, excluded: false, participates: true, open: true };

function spent(spentMicro: number, extra: Partial<BudgetStanding> = {}): Partial<GuardInput> {
  return { standing: { ...FRESH, spentMicro, ...extra } };
}

function input(extra: Partial<GuardInput> = {}, activity: Partial<OfferActivity> = {}): GuardInput {
  return {
    nowMs: NOW,
    local: { day: Math.floor(NOW / 86_400_000), minuteOfDay: 12 * 60 },
    entryAtMs: NOW - 20_000,
    consent: { presenceForOffers: true, pausedUntilMs: null, quietHours: 'default' },
    activity: { ...IDLE, ...activity },
    standing: FRESH,
    costMicro: 1_000_000,
    ...extra,
  };
}

describe('offer guards', () => {
  it('lets a consenting, idle shopper through', () => {
    expect(checkGuards(input(), CONFIG)).toBeNull();
  });

  it.each<[string, GuardInput, RegExp]>([
    [
      'consent-withdrawn',
      input({ consent: { presenceForOffers: false, pausedUntilMs: null, quietHours: 'default' } }),
      /switched off/,
    ],
    [
      'paused',
      input({ consent: { presenceForOffers: true, pausedUntilMs: NOW + 1, quietHours: 'default' } }),
      /paused hushpoint until 2026-11-15T12:00:00.001Z/,
    ],
    ['stale-entry', input({ entryAtMs: NOW - 901_000 }), /901 s late \(limit 900 s\)/],
    [
      'quiet-hours',
      input({ local: { day: 0, minuteOfDay: 22 * 60 + 14 } }),
      /Quiet hours 21:00–08:00 \(store time 22:14\), the store default/,
    ],
    [
      'quiet-hours',
      input({
        local: { day: 0, minuteOfDay: 13 * 60 },
        consent: { presenceForOffers: true, pausedUntilMs: null, quietHours: { start: '12:30', end: '14:00' } },
      }),
      /Quiet hours 12:30–14:00 \(store time 13:00\)$/,
    ],
    ['visit-cap', input({}, { shownThisVisit: 2, shownToday: 2 }), /2 offer\(s\) this visit \(limit 2 per visit\)/],
    ['daily-cap', input({}, { shownToday: 3 }), /3 offer\(s\) today \(limit 3 per day\)/],
    [
      'min-gap',
      input({}, { shownToday: 1, lastShownMs: NOW - 5 * 60_000 }),
      /5 minutes ago; offers are at least 15 minutes apart/,
    ],
    [
      'period-budget-exhausted',
      input(spent(2_500_000)),
      /^The offer privacy budget for 2026-Q4 is used up: ε 2.5 of 3 spent, a new offer here costs ε 1$/,
    ],
    [
      'period-budget-exhausted',
      input({ ...spent(2_000_000, { excluded: true }), costMicro: 500_000 }),
      /before this version of hushpoint\): ε 2 of 3 spent, a new offer here costs ε 0.5/,
    ],
    [
      'lifetime-budget-exhausted',
      input(spent(0, { participates: false })),
      /lifetime offer privacy budget \(ε 9, 3 budget period\(s\) from your enrolment\) is used up/,
    ],
    ['period-closed', input(spent(0, { open: false })), /budget period 2026-Q4, whose offer ledger is already closed/],
  ])('refuses with %s', (reason, guardInput, message) => {
    const refusal = checkGuards(guardInput, CONFIG);
    expect(refusal?.reason).toBe(reason);
    expect(refusal?.message).toMatch(message);
  });

  it('spends the budget exactly to the cap, never past it; a sticky draw (cost 0) always fits', () => {
    expect(checkGuards(input(spent(2_000_000)), CONFIG)).toBeNull();
    expect(checkGuards(input(spent(2_000_001)), CONFIG)?.reason).toBe('period-budget-exhausted');
    for (const extra of [{ spentMicro: 3_000_000 }, { excluded: true }, { participates: false }, { open: false }])
      expect(checkGuards(input({ ...spent(0, extra), costMicro: 0 }), CONFIG)).toBeNull();
  });

  it('honours a shopper who switched quiet hours off, and an expired pause', () => {
    expect(
      checkGuards(
        input({
          local: { day: 0, minuteOfDay: 23 * 60 },
          consent: { presenceForOffers: true, pausedUntilMs: NOW - 1, quietHours: null },
        }),
        CONFIG,
      ),
    ).toBeNull();
  });

  it('wraps quiet hours past midnight; equal ends mean never quiet', () => {
    const q = { start: '21:00', end: '08:00' };
    expect([0, 7 * 60 + 59, 8 * 60, 20 * 60 + 59, 21 * 60].map((m) => inQuietHours(q, m))).toEqual([
      true,
      true,
      false,
      false,
      true,
    ]);
    expect(inQuietHours({ start: '10:00', end: '10:00' }, 600)).toBe(false);
    expect(parseHhmm('24:00')).toBeNull();
  });

  it('computes store-local day and minute across a DST change', () => {
    const berlin = makeLocalClock('Europe/Berlin');
    // 2026-03-29 01:59:59 UTC+1 → 03:00 UTC+2 at 01:00Z.
    expect(berlin(Date.parse('2026-03-29T00:59:00Z'))).toEqual({
      day: Date.UTC(2026, 2, 29) / 86_400_000,
      minuteOfDay: 119,
    });
    expect(berlin(Date.parse('2026-03-29T01:00:00Z'))).toEqual({
      day: Date.UTC(2026, 2, 29) / 86_400_000,
      minuteOfDay: 180,
    });
    expect(berlin(Date.parse('2026-11-15T23:30:00Z'))).toEqual({
      day: Date.UTC(2026, 10, 16) / 86_400_000,
      minuteOfDay: 30,
    });
    const utc = makeLocalClock('UTC');
    expect(utc(NOW)).toEqual({ day: Math.floor(NOW / 86_400_000), minuteOfDay: 720 });
    expect(() => makeLocalClock('Mars/Olympus')).toThrow(/time zone "Mars\/Olympus" is unknown/);
  });
});
