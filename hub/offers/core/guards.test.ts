import { describe, expect, it } from 'vitest';
import { checkGuards, type GuardConfig, type GuardInput, type OfferActivity } from './guards.ts';
import { inQuietHours, makeLocalClock, parseHhmm } from './local-time.ts';

const CONFIG: GuardConfig = {
  budget: { dailyMicro: 3_000_000, thirtyDayMicro: 20_000_000 },
  caps: { perVisit: 2, perDay: 3, minGapMs: 15 * 60_000 },
  quietHours: { start: '21:00', end: '08:00' },
  maxEntryAgeMs: 900_000,
};
const NOW = Date.parse('2026-11-15T12:00:00Z');
const IDLE: OfferActivity = {
  shownToday: 0,
  shownThisVisit: 0,
  lastShownMs: null,
  spent: { todayMicro: 0, windowMicro: 0 },
};

function input(extra: Partial<GuardInput> = {}, activity: Partial<OfferActivity> = {}): GuardInput {
  return {
    nowMs: NOW,
    local: { day: Math.floor(NOW / 86_400_000), minuteOfDay: 12 * 60 },
    entryAtMs: NOW - 20_000,
    consent: { presenceForOffers: true, pausedUntilMs: null, quietHours: 'default' },
    activity: { ...IDLE, ...activity },
    epsilonMicro: 1_000_000,
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
      'daily-budget-exhausted',
      input({}, { spent: { todayMicro: 2_500_000, windowMicro: 2_500_000 } }),
      /ε 2.5 of 3 spent, an offer here costs ε 1/,
    ],
    [
      'thirty-day-budget-exhausted',
      input({ epsilonMicro: 500_000 }, { spent: { todayMicro: 0, windowMicro: 19_600_000 } }),
      /30-day .* ε 19.6 of 20 spent, an offer here costs ε 0.5/,
    ],
  ])('refuses with %s', (reason, guardInput, message) => {
    const refusal = checkGuards(guardInput, CONFIG);
    expect(refusal?.reason).toBe(reason);
    expect(refusal?.message).toMatch(message);
  });

  it('spends the budget exactly to the cap, never past it', () => {
    expect(checkGuards(input({}, { spent: { todayMicro: 2_000_000, windowMicro: 2_000_000 } }), CONFIG)).toBeNull();
    expect(checkGuards(input({}, { spent: { todayMicro: 2_000_001, windowMicro: 2_000_001 } }), CONFIG)?.reason).toBe(
      'daily-budget-exhausted',
    );
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
