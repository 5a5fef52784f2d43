import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../shared/ports/clock.ts';
import { createHub } from '../../hub/app.ts';
import { windowOfDay } from '../../hub/privacy/mod.ts';
import { RESPONSE_RELEASE_KIND } from '../../hub/offers/mod.ts';
import { hushpoint } from '../helpers/cli.ts';
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
  draw: string | null;
  offer: { id: string } | null;
  epsilonSpent: number;
  refusal: { reason: string; message: string } | null;
  budget: { period: string | null; left: number | null };
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
      budget: { periodEpsilon: 5 },
    });
    const ann = await enroll(hub);
    clock.set(Date.parse('2026-11-16T20:30:00Z')); // 21:30 in Berlin
    enter(hub, ann);
    const quiet = await lastEntry(hub, ann);
    expect(quiet).toMatchObject({
      outcome: 'refused',
      epsilonSpent: 0,
      refusal: { reason: 'quiet-hours' },
      budget: { period: '2026-Q4', left: 5 },
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

  it('frequency caps: per visit, minimum gap, per day — re-shows of the sticky draw count too', async () => {
    const hub = await start({
      quietHours: null,
      caps: { perVisit: 2, perDay: 3, minGapSeconds: 600 },
    });
    const cleo = await enroll(hub);
    const visit = Math.floor(clock.now() / 1000) - 60;
    enter(hub, cleo, visit);
    const first = await lastEntry(hub, cleo);
    expect(first).toMatchObject({ outcome: 'shown', draw: 'fresh', epsilonSpent: 1 });
    clock.advance(5 * MIN);
    enter(hub, cleo, visit);
    expect(await lastEntry(hub, cleo)).toMatchObject({
      refusal: { reason: 'min-gap', message: 'The last offer was 5 minutes ago; offers are at least 10 minutes apart' },
    });
    clock.advance(6 * MIN);
    enter(hub, cleo, visit);
    // Asking again in the same period, with nothing changed: the same draw, for free.
    expect(await lastEntry(hub, cleo)).toMatchObject({
      outcome: 'shown',
      draw: 'sticky',
      epsilonSpent: 0,
      offer: { id: first.offer?.id },
      budget: { period: '2026-Q4', left: 0 },
    });
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
    const pk = hub.hub.shoppers.get(cleo.id)?.pk as number;
    expect(hub.hub.privacy.ledger.state(pk, 'offers', '2026-Q4')).toEqual({ spentMicro: 1_000_000, excluded: false });
  });

  it("the period's budget: fresh draws when the data changes, kept or refused at the cap, each period its own cap", async () => {
    const hub = await start({
      quietHours: null,
      caps: { perVisit: 20, perDay: 20, minGapSeconds: 0 },
      budget: { periodEpsilon: 2.5 },
    });
    const dan = await enroll(hub);
    const prefer = async (category: string): Promise<void> => {
      const res = await hub.request('PUT', '/v1/me/preferences', {
        token: dan.token,
        body: { categories: [category] },
      });
      expect(res.status).toBe(200);
    };
    // The entry of the decision made now (the audit trail is newest first by time, and the clock jumps back below).
    const next = async (): Promise<AuditEntry> => {
      clock.advance(MIN);
      enter(hub, dan);
      const at = new Date(clock.now()).toISOString();
      const body = (await hub.request('GET', '/v1/me/audit', { token: dan.token })).body as {
        entries: Array<AuditEntry & { at: string }>;
      };
      const entry = body.entries.find((e) => e.at === at);
      if (entry === undefined) throw new Error(`no audit entry at ${at}`);
      return entry;
    };
    expect(await next()).toMatchObject({ draw: 'fresh', epsilonSpent: 1, budget: { period: '2026-Q4', left: 1.5 } });
    expect(await next()).toMatchObject({ draw: 'sticky', epsilonSpent: 0, budget: { left: 1.5 } });
    await prefer('shirts'); // the ranking's inputs changed: a new draw, charged
    const second = await next();
    expect(second).toMatchObject({ draw: 'fresh', epsilonSpent: 1, budget: { left: 0.5 } });
    await prefer('outerwear'); // changed again, but ε 1 no longer fits: the period's offer is kept
    const kept = await next();
    expect(kept).toMatchObject({
      draw: 'kept',
      epsilonSpent: 0,
      offer: { id: second.offer?.id },
      budget: { left: 0.5 },
    });
    expect(kept.explanation).toMatch(/your offer privacy budget for 2026-Q4 is used up, so no new choice was made/);
    const offers = (await hub.request('GET', '/v1/me/offers', { token: dan.token })).body as {
      offers: Array<{ id: string }>;
    };
    await hub.request('POST', `/v1/me/offers/${offers.offers[0]?.id}/dismiss`, { token: dan.token });
    const refused = await next();
    expect(refused).toMatchObject({
      outcome: 'refused',
      epsilonSpent: 0,
      refusal: { reason: 'period-budget-exhausted' },
      budget: { period: '2026-Q4', left: 0.5 },
    });
    expect(refused.refusal?.message).toBe(
      'The offer privacy budget for 2026-Q4 is used up: ε 2 of 2.5 spent, a new offer here costs ε 1',
    );
    expect(refused.explanation).toMatch(/^No offer: The offer privacy budget for 2026-Q4 is used up/);

    clock.set(Date.parse('2027-01-05T12:00:00Z')); // a new quarter: a new cap
    expect(await next()).toMatchObject({ draw: 'fresh', epsilonSpent: 1, budget: { period: '2027-Q1', left: 1.5 } });
    clock.set(Date.parse('2026-12-20T12:00:00Z')); // the clock jumps back: 2026-Q4 is charged against ITS cap
    await prefer('denim');
    expect(await next()).toMatchObject({
      outcome: 'refused',
      refusal: { reason: 'period-budget-exhausted' },
      budget: { period: '2026-Q4' },
    });
    const audit = (await hub.request('GET', '/v1/me/audit', { token: dan.token })).body as {
      offerBudget: Record<string, unknown>;
      entries: AuditEntry[];
    };
    expect(audit.offerBudget).toMatchObject({
      period: '2026-Q4',
      periodUnit: 'quarter',
      cap: 2.5,
      spent: 2,
      left: 0.5,
      history: [{ period: '2027-Q1', spent: 1, draws: 1 }],
    });
    const pk = hub.hub.shoppers.get(dan.id)?.pk as number;
    const ledger = hub.hub.privacy.ledger.spending(pk, 'offers');
    expect(ledger.map((p) => [p.period, p.spentMicro])).toEqual([
      ['2027-Q1', 1_000_000],
      ['2026-Q4', 2_000_000],
    ]);
    // The ledger holds exactly the ε of the recorded decisions, per period.
    const charged = audit.entries.reduce((sum, e) => sum + e.epsilonSpent, 0);
    expect(charged).toBe(3);
  });

  it("a new period carries the last period's draw over when nothing changed: the same offer, charged to the new period", async () => {
    const hub = await start({ quietHours: null, caps: { perVisit: 5, perDay: 5, minGapSeconds: 0 } });
    const eve = await enroll(hub);
    enter(hub, eve);
    const first = await lastEntry(hub, eve);
    expect(first).toMatchObject({ draw: 'fresh', epsilonSpent: 1, budget: { period: '2026-Q4', left: 0 } });
    clock.set(Date.parse('2027-01-12T12:00:00Z'));
    enter(hub, eve);
    const carried = await lastEntry(hub, eve);
    expect(carried).toMatchObject({
      draw: 'carried',
      epsilonSpent: 1,
      offer: { id: first.offer?.id },
      budget: { period: '2027-Q1', left: 0 },
    });
    expect(carried.explanation).toMatch(/whoever saw both offers learns nothing new from the second/);
    clock.advance(MIN);
    enter(hub, eve);
    expect(await lastEntry(hub, eve)).toMatchObject({
      draw: 'sticky',
      epsilonSpent: 0,
      offer: { id: first.offer?.id },
    });
  });

  it('refuses the v1 budget keys with what replaced them (the config check exits 78)', async () => {
    const files = writeHubFiles();
    try {
      const old = join(files.dir, 'old.yaml');
      writeFileSync(
        old,
        stringify({ ...files.document, offers: { budget: { dailyEpsilon: 2, thirtyDayEpsilon: 20 } } }),
      );
      const run = await hushpoint(['hub', '--config', old, '--check-config']);
      expect(run.code).toBe(78);
      expect(run.stderr).toContain(
        `${old}: /offers/budget/dailyEpsilon is no longer supported: the per-day cap was replaced by offers.budget.periodEpsilon, ε per shopper per budget period (privacy.budget.period)`,
      );
      expect(run.stderr).toContain(`${old}: /offers/budget/thirtyDayEpsilon is no longer supported: the 30-day cap`);
    } finally {
      rmSync(files.dir, { recursive: true, force: true });
    }
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
    // The admin statistics are the released (noisy) figures with their 95% intervals.
    const stats = (
      await hub.request('GET', `/v1/admin/offers/stats?from=${new Date(NOON - DAY).toISOString()}`, {
        token: hub.adminToken,
      })
    ).body as { responses: Array<Record<string, unknown>>; catalog: unknown };
    const released = new Map(values.map((v) => [v.cell, v.value]));
    expect(stats.responses).toHaveLength(1);
    const [response] = stats.responses as Array<{
      release: string;
      halfWidth95: number;
      arms: Record<string, Record<string, { value: number; low95: number; high95: number }>>;
    }>;
    expect(response?.release).toBe(outcome.id);
    expect(response?.halfWidth95).toBeGreaterThan(0);
    for (const arm of ['personalised', 'holdout'])
      for (const measure of ['shown', 'redeemed']) {
        const figure = response?.arms[arm]?.[measure];
        expect(figure?.value).toBe(released.get(`${arm}:${measure}`));
        expect(figure?.high95).toBeCloseTo((figure?.value ?? 0) + (response?.halfWidth95 ?? 0), 9);
      }
    expect(stats.catalog).toEqual({ offers: 4, rejected: 0 });
  });
});
