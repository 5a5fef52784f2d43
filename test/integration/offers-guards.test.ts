import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../shared/ports/clock.ts';
import { createHub } from '../../hub/app.ts';
import { windowOfDay } from '../../hub/privacy/mod.ts';
import { RESPONSE_RELEASE_KIND } from '../../hub/offers/mod.ts';
import { startTestHub, writeHubFiles, type TestHub } from '../helpers/hub-fixtures.ts';

/**
 * The guards before an offer, through a real hub: the decision runs on the presence service's
 * zone-entry event (emitted here as the presence service emits it), reads the shopper's data
 * from SQLite and writes its audit entry there; time is a FakeClock in the store's time zone.
 */

interface Enrolled {
  id: string;
  token: string;
}
interface AuditEntry {
  id: string;
  outcome: 'shown' | 'refused';
  arm: string | null;
  epsilonSpent: number;
  refusal: { reason: string; message: string } | null;
  budgetLeft: { today: number; thirtyDays: number };
  explanation: string;
}

// 12:00 UTC = 13:00 in Berlin.
const NOON = Date.parse('2026-11-16T12:00:00Z');
const MIN = 60_000;
const DAY = 86_400_000;

type Overrides = Parameters<typeof startTestHub>[0] extends infer O
  ? O extends { config?: infer C }
    ? C
    : never
  : never;

const OFFERS = ['jeans-20', 'belt-10', 'shirt-15', 'jacket-30'].map((id, i) => ({
  id,
  title: id,
  category: ['denim', 'accessories', 'shirts', 'outerwear'][i],
  brand: ['Acme', 'Bluefield', 'Acme', 'Rosa'][i],
  zones: ['denim'],
  validFrom: '2026-11-01T00:00:00Z',
  validTo: '2027-01-31T00:00:00Z',
}));

describe('offer guards in a running hub', () => {
  let t: TestHub | null = null;
  const clock = new FakeClock(NOON);
  afterEach(async () => {
    await t?.stop();
    t = null;
  });

  async function start(offers: Record<string, unknown>, extra: Overrides = {}): Promise<TestHub> {
    clock.set(NOON);
    t = await startTestHub({
      clock,
      config: {
        privacy: { timeZone: 'Europe/Berlin' },
        offers: { holdoutShare: 0, ...offers },
        presence: { finalizeIntervalMs: 600_000 },
        ...extra,
      } as Overrides,
    });
    const res = await t.request('PUT', '/v1/admin/offers', { token: t.adminToken, body: { offers: OFFERS } });
    expect(res.status).toBe(200);
    return t;
  }
  async function enroll(hub: TestHub, consent = { presenceForOffers: true, analytics: true }): Promise<Enrolled> {
    return (await hub.request('POST', '/v1/shoppers', { body: { consent } })).body as Enrolled;
  }
  function enter(hub: TestHub, who: Enrolled, visitStartedAt?: number): void {
    const pk = hub.hub.shoppers.get(who.id)?.pk as number;
    const at = Math.floor(clock.now() / 1000) - 10;
    hub.hub.events.emit('zoneEnter', {
      shopperPk: pk,
      shopperId: who.id,
      zone: 'denim',
      previousZone: null,
      at,
      visitStartedAt: visitStartedAt ?? at,
    });
  }
  async function lastEntry(hub: TestHub, who: Enrolled): Promise<AuditEntry> {
    const body = (await hub.request('GET', '/v1/me/audit?limit=1', { token: who.token })).body as {
      entries: AuditEntry[];
    };
    if (body.entries[0] === undefined) throw new Error('empty audit trail');
    return body.entries[0];
  }
  async function offersShown(hub: TestHub, who: Enrolled): Promise<number> {
    return ((await hub.request('GET', '/v1/me/offers', { token: who.token })).body as { offers: unknown[] }).offers
      .length;
  }

  it('draws the holdout and the sampler from the crypto RandomSource in production wiring', () => {
    const files = writeHubFiles();
    const hub = createHub({ config: files.config, resolvePath: (p) => join(files.dir, p) });
    try {
      expect(hub.offers.randomKind).toBe('crypto');
    } finally {
      hub.db.close();
      rmSync(files.dir, { recursive: true, force: true });
    }
  });

  it("quiet hours: the store default (store time), and the shopper's own setting", async () => {
    const hub = await start({
      quietHours: { start: '21:00', end: '08:00' },
      caps: { perVisit: 5, perDay: 5, minGapSeconds: 0 },
      budget: { dailyEpsilon: 5, thirtyDayEpsilon: 50 },
    });
    const ann = await enroll(hub);
    clock.set(Date.parse('2026-11-16T20:30:00Z')); // 21:30 in Berlin
    enter(hub, ann);
    const quiet = await lastEntry(hub, ann);
    expect(quiet).toMatchObject({
      outcome: 'refused',
      epsilonSpent: 0,
      refusal: { reason: 'quiet-hours' },
      budgetLeft: { today: 5 },
    });
    expect(quiet.refusal?.message).toBe('Quiet hours 21:00–08:00 (store time 21:30), the store default');
    expect(await offersShown(hub, ann)).toBe(0);
    await hub.request('PATCH', '/v1/me/consent', { token: ann.token, body: { quietHours: null } });
    enter(hub, ann);
    expect(await lastEntry(hub, ann)).toMatchObject({ outcome: 'shown', epsilonSpent: 1 });
    await hub.request('PATCH', '/v1/me/consent', {
      token: ann.token,
      body: { quietHours: { start: '21:15', end: '21:45' } },
    });
    enter(hub, ann);
    expect((await lastEntry(hub, ann)).refusal?.message).toBe('Quiet hours 21:15–21:45 (store time 21:30)');
  });

  it('pause and consent withdrawal take effect for the very next zone entry', async () => {
    const hub = await start({ quietHours: null, caps: { perVisit: 5, perDay: 5, minGapSeconds: 0 } });
    const bob = await enroll(hub);
    await hub.request('PATCH', '/v1/me/consent', { token: bob.token, body: { pausedUntil: '2026-11-16T13:00:00Z' } });
    enter(hub, bob);
    expect(await lastEntry(hub, bob)).toMatchObject({
      outcome: 'refused',
      refusal: { reason: 'paused', message: 'You paused hushpoint until 2026-11-16T13:00:00.000Z' },
    });
    clock.advance(61 * MIN); // the pause is over
    enter(hub, bob);
    expect((await lastEntry(hub, bob)).outcome).toBe('shown');
    await hub.request('PATCH', '/v1/me/consent', { token: bob.token, body: { presenceForOffers: false } });
    enter(hub, bob);
    expect(await lastEntry(hub, bob)).toMatchObject({ outcome: 'refused', refusal: { reason: 'consent-withdrawn' } });
    expect(await offersShown(hub, bob)).toBe(1);
  });

  it('frequency caps: per visit, minimum gap, per day', async () => {
    const hub = await start({
      quietHours: null,
      caps: { perVisit: 2, perDay: 3, minGapSeconds: 600 },
      budget: { dailyEpsilon: 10, thirtyDayEpsilon: 100 },
    });
    const cleo = await enroll(hub);
    const visit = Math.floor(clock.now() / 1000) - 60;
    enter(hub, cleo, visit);
    expect((await lastEntry(hub, cleo)).outcome).toBe('shown');
    clock.advance(5 * MIN);
    enter(hub, cleo, visit);
    expect(await lastEntry(hub, cleo)).toMatchObject({
      refusal: { reason: 'min-gap', message: 'The last offer was 5 minutes ago; offers are at least 10 minutes apart' },
    });
    clock.advance(6 * MIN);
    enter(hub, cleo, visit);
    expect((await lastEntry(hub, cleo)).outcome).toBe('shown');
    clock.advance(11 * MIN);
    enter(hub, cleo, visit);
    expect(await lastEntry(hub, cleo)).toMatchObject({
      refusal: { reason: 'visit-cap', message: 'Already 2 offer(s) this visit (limit 2 per visit)' },
    });
    enter(hub, cleo); // a new visit
    expect((await lastEntry(hub, cleo)).outcome).toBe('shown');
    clock.advance(11 * MIN);
    enter(hub, cleo);
    expect(await lastEntry(hub, cleo)).toMatchObject({
      refusal: { reason: 'daily-cap', message: 'Already 3 offer(s) today (limit 3 per day)' },
    });
    clock.set(Date.parse('2026-11-17T09:00:00Z')); // the next day in Berlin
    enter(hub, cleo);
    expect((await lastEntry(hub, cleo)).outcome).toBe('shown');
    expect(await offersShown(hub, cleo)).toBe(4);
  });

  it('budget exhaustion: no offer and a clear reason, daily and over 30 days, spent exactly to the cap', async () => {
    const hub = await start({
      quietHours: null,
      caps: { perVisit: 10, perDay: 10, minGapSeconds: 0 },
      budget: { dailyEpsilon: 2.5, thirtyDayEpsilon: 4 },
    });
    const dan = await enroll(hub);
    const stream: string[] = [];
    for (let i = 0; i < 3; i++) {
      enter(hub, dan);
      const entry = await lastEntry(hub, dan);
      stream.push(entry.outcome);
      if (i < 2)
        expect(entry).toMatchObject({
          outcome: 'shown',
          epsilonSpent: 1,
          budgetLeft: { today: 1.5 - i, thirtyDays: 3 - i },
        });
    }
    expect(stream).toEqual(['shown', 'shown', 'refused']);
    const refused = await lastEntry(hub, dan);
    expect(refused).toMatchObject({
      refusal: { reason: 'daily-budget-exhausted' },
      epsilonSpent: 0,
      budgetLeft: { today: 0.5, thirtyDays: 2 },
    });
    expect(refused.refusal?.message).toBe(
      "Today's offer privacy budget is used up: ε 2 of 2.5 spent, an offer here costs ε 1",
    );
    expect(refused.explanation).toMatch(/^No offer: Today's offer privacy budget is used up/);
    clock.advance(DAY);
    enter(hub, dan);
    enter(hub, dan);
    expect(await lastEntry(hub, dan)).toMatchObject({ outcome: 'shown', budgetLeft: { today: 0.5, thirtyDays: 0 } });
    enter(hub, dan);
    expect((await lastEntry(hub, dan)).refusal?.reason).toBe('daily-budget-exhausted');
    clock.advance(DAY); // a fresh day, but the 30-day window is spent
    enter(hub, dan);
    expect((await lastEntry(hub, dan)).refusal?.message).toBe(
      'The 30-day offer privacy budget is used up: ε 4 of 4 spent, an offer here costs ε 1',
    );
    clock.advance(28 * DAY); // the first day leaves the 30-day window
    enter(hub, dan);
    expect(await lastEntry(hub, dan)).toMatchObject({ outcome: 'shown', budgetLeft: { thirtyDays: 1 } });
    const audit = (await hub.request('GET', '/v1/me/audit', { token: dan.token })).body as {
      offerBudget: Record<string, unknown>;
      entries: AuditEntry[];
    };
    expect(audit.offerBudget).toMatchObject({
      spent: { today: 1, thirtyDays: 3 },
      left: { today: 1.5, thirtyDays: 1 },
    });
    expect(audit.entries.filter((e) => e.outcome === 'shown').reduce((sum, e) => sum + e.epsilonSpent, 0)).toBe(5);
  });

  it("an excluded gift purchase never influences the shopper's ranking", async () => {
    const hub = await start({ quietHours: null });
    const [eve, fay] = [await enroll(hub), await enroll(hub)];
    const feed = async (who: Enrolled, purchases: unknown[]): Promise<string[]> =>
      (
        (
          await hub.request('POST', `/v1/admin/shoppers/${who.id}/purchases`, {
            token: hub.adminToken,
            body: { purchases },
          })
        ).body as { ids: string[] }
      ).ids;
    const own = [
      { category: 'shirts', brand: 'Acme', sku: 'shirt-1' },
      { category: 'denim', brand: 'Acme', sku: 'jeans-1' },
    ];
    for (const who of [eve, fay])
      await hub.request('PUT', '/v1/me/preferences', { token: who.token, body: { categories: ['accessories'] } });
    await feed(fay, own);
    await feed(eve, own);
    const ranking = (who: Enrolled): string[] =>
      hub.hub.offers.ranking(hub.hub.shoppers.get(who.id)?.pk as number, 'denim', clock.now());
    expect(ranking(eve)).toEqual(ranking(fay));
    const [gift] = await feed(eve, [
      { category: 'outerwear', brand: 'Rosa', sku: 'jacket-9' },
      { category: 'outerwear', brand: 'Rosa', sku: 'jacket-9' },
    ]);
    expect(ranking(eve)).not.toEqual(ranking(fay)); // the gift would move the jacket up ...
    await hub.request('POST', '/v1/me/exclusions', { token: eve.token, body: { purchaseId: gift } });
    expect(ranking(eve)).not.toEqual(ranking(fay)); // ... the second jacket purchase still counts ...
    await hub.request('POST', '/v1/me/exclusions', { token: eve.token, body: { sku: 'jacket-9' } });
    expect(ranking(eve)).toEqual(ranking(fay)); // ... until the item is excluded: then it is as if never bought
    enter(hub, eve);
    expect((await lastEntry(hub, eve)).explanation).toMatch(/your purchase history \(without the items you excluded\)/);
  });

  it('records the arm of every decision; the holdout arm costs no ε; the per-arm response becomes a DP release', async () => {
    const hub = await start({
      quietHours: null,
      holdoutShare: 0.5,
      caps: { perVisit: 1, perDay: 1, minGapSeconds: 0 },
    });
    const shoppers = await Promise.all(Array.from({ length: 40 }, () => enroll(hub)));
    const silent = await enroll(hub, { presenceForOffers: true, analytics: false });
    for (const who of [...shoppers, silent]) enter(hub, who);
    const arms = new Map<string, number>();
    for (const who of shoppers) {
      const entry = await lastEntry(hub, who);
      arms.set(entry.arm as string, (arms.get(entry.arm as string) ?? 0) + 1);
      expect(entry.epsilonSpent).toBe(entry.arm === 'holdout' ? 0 : 1);
      if (entry.arm === 'holdout') expect(entry.explanation).toMatch(/holdout group/);
      if (arms.size === 2 && (arms.get('holdout') ?? 0) > 2) break;
    }
    expect([...arms.keys()].sort()).toEqual(['holdout', 'personalised']);
    // Redeem one offer, then release the week.
    const first = (
      (await hub.request('GET', '/v1/me/offers', { token: shoppers[0]?.token })).body as {
        offers: Array<{ id: string }>;
      }
    ).offers[0];
    await hub.request('POST', `/v1/me/offers/${first?.id}/redeem`, { token: shoppers[0]?.token });
    const day = hub.hub.offers.localClock(clock.now()).day;
    clock.set(NOON + 8 * DAY);
    const outcome = hub.hub.privacy.computeRelease(
      RESPONSE_RELEASE_KIND,
      windowOfDay(day, 'week', 'quarter', 'Europe/Berlin'),
      clock.now(),
    );
    expect(outcome.status).toBe('computed');
    if (outcome.status !== 'computed') return;
    expect(outcome.contributors).toBe(40); // the shopper without analytics consent is left out
    const values = hub.hub.privacy.releases.values(outcome.id);
    expect(values.map((v) => v.cell).sort()).toEqual([
      'holdout:redeemed',
      'holdout:shown',
      'personalised:redeemed',
      'personalised:shown',
    ]);
    const record = hub.hub.privacy.releases.get(outcome.id);
    expect(record?.kind).toBe('offer-response');
    expect(record?.mechanism).toBe('discrete-gaussian');
  });
});
