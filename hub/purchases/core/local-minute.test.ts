import { describe, expect, it } from 'vitest';
import { parseLocalMinute } from '../../../shared/recommend/mod.ts';
import { makeLocalToUtc } from './local-minute.ts';

const minute = (text: string): number => parseLocalMinute(text) as number;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('store-local minute → UTC', () => {
  it('applies the zone offset in winter and summer', () => {
    const berlin = makeLocalToUtc('Europe/Berlin');
    expect(iso(berlin(minute('2011-01-10 08:26')))).toBe('2011-01-10T07:26:00.000Z');
    expect(iso(berlin(minute('2011-07-10 08:26')))).toBe('2011-07-10T06:26:00.000Z');
    const utc = makeLocalToUtc('UTC');
    expect(iso(utc(minute('2010-12-01 08:26')))).toBe('2010-12-01T08:26:00.000Z');
    const newYork = makeLocalToUtc('America/New_York');
    expect(iso(newYork(minute('2011-11-06 12:00')))).toBe('2011-11-06T17:00:00.000Z');
  });

  it('reads a time the clock skipped with the offset before the jump (Temporal "compatible")', () => {
    const berlin = makeLocalToUtc('Europe/Berlin');
    // 2011-03-27: 02:00 CET became 03:00 CEST; 02:30 does not exist and means 03:30 CEST.
    expect(iso(berlin(minute('2011-03-27 01:59')))).toBe('2011-03-27T00:59:00.000Z');
    expect(iso(berlin(minute('2011-03-27 02:30')))).toBe('2011-03-27T01:30:00.000Z');
    expect(iso(berlin(minute('2011-03-27 03:00')))).toBe('2011-03-27T01:00:00.000Z');
  });

  it('reads a time that happened twice as the earlier one', () => {
    const london = makeLocalToUtc('Europe/London');
    // 2011-10-30: 02:00 BST fell back to 01:00 GMT; 01:30 happened at 00:30Z and at 01:30Z.
    expect(iso(london(minute('2011-10-30 00:59')))).toBe('2011-10-29T23:59:00.000Z');
    expect(iso(london(minute('2011-10-30 01:30')))).toBe('2011-10-30T00:30:00.000Z');
    expect(iso(london(minute('2011-10-30 02:00')))).toBe('2011-10-30T02:00:00.000Z');
  });

  it('asks the zone once per local hour, and agrees with asking for every minute', () => {
    let calls = 0;
    const offsetAt = (ms: number): number => {
      calls++;
      // A fixed +60 before 2011-03-27T01:00Z, +120 after (Berlin's spring change).
      return ms < Date.UTC(2011, 2, 27, 1) ? 60 : 120;
    };
    const cached = makeLocalToUtc('Europe/Berlin', offsetAt);
    const fresh = makeLocalToUtc('Europe/Berlin');
    const start = minute('2011-03-26 22:00');
    for (let m = start; m < start + 8 * 60; m++) expect(cached(m), `minute ${m}`).toBe(fresh(m));
    const callsAfterFirstPass = calls;
    for (let m = start; m < start + 8 * 60; m++) cached(m);
    expect(calls).toBe(callsAfterFirstPass);
    // Three to five offset look-ups per distinct local hour (8 hours), never one per minute.
    expect(callsAfterFirstPass).toBeLessThanOrEqual(8 * 5);
  });
});
