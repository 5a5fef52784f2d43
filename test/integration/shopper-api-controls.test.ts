import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSseParser } from '../../shared/sse-parser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { FakeClock } from '../../shared/ports/clock.ts';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { presenceTopic } from '../../shared/protocol/topics.ts';
import { startTestHub, TEST_STORE, type TestHub } from '../helpers/hub-fixtures.ts';

/**
 * The shopper API end to end over HTTPS against a real hub (SQLite, router, offers engine):
 * every control a shopper has, the admin catalog and purchase feed, the offer stream, and the
 * error format ({error: {code, message, field}} with the field named).
 */

interface ApiError {
  error: { code: string; message: string; field?: string; problems?: Array<{ path: string; message: string }> };
}
interface Enrolled {
  id: string;
  token: string;
  identityKey: string;
}
interface SseMessage {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

const NOW = Date.parse('2026-11-15T12:00:00Z');
const FROM = '2026-11-01T00:00:00Z';
const TO = '2026-12-31T00:00:00Z';

function offer(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    title: `Offer ${id}`,
    category: 'denim',
    brand: 'Acme',
    zones: ['denim'],
    validFrom: FROM,
    validTo: TO,
    ...extra,
  };
}

/** A server-sent-events client over node:https (trusting the store CA). */
function openStream(
  t: TestHub,
  token: string,
  lastEventId?: string,
): Promise<{ messages: SseMessage[]; close(): void; next(count: number): Promise<SseMessage[]> }> {
  return new Promise((resolve, reject) => {
    const messages: SseMessage[] = [];
    const waiters: Array<() => void> = [];
    const req = request(
      t.apiUrl('/v1/me/offers/stream'),
      {
        ca: t.caPem,
        headers: {
          authorization: `Bearer ${token}`,
          ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}),
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`stream answered ${res.statusCode}`));
          return;
        }
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        res.setEncoding('utf8');
        res.on(
          'data',
          createSseParser((e) => {
            messages.push({
              id: e.id ?? '',
              event: e.event,
              data: JSON.parse(e.data || 'null') as Record<string, unknown>,
            });
            for (const w of waiters.splice(0)) w();
          }),
        );
        resolve({
          messages,
          close: () => req.destroy(),
          next: (count) =>
            new Promise((done, fail) => {
              const timer = setTimeout(
                () => fail(new Error(`stream got ${messages.length} events, expected ${count}`)),
                5000,
              );
              const check = (): void => {
                if (messages.length >= count) {
                  clearTimeout(timer);
                  done(messages);
                } else waiters.push(check);
              };
              check();
            }),
        });
      },
    );
    req.on('error', (error) => (error.message === 'socket hang up' ? undefined : reject(error)));
    req.end();
  });
}

describe('shopper API: consent, preferences, history, exclusions, offers, audit, export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hp-shopper-api-'));
  const clock = new FakeClock(NOW);
  let t: TestHub;
  let ann: Enrolled;
  let bob: Enrolled;
  let gateway: MqttClient;
  let seq = 0;

  const err = (body: unknown): ApiError['error'] => (body as ApiError).error;
  const as = (who: Enrolled | string | null) => (method: string, path: string, body?: unknown) =>
    t.request(method, path, {
      token: typeof who === 'string' ? who : (who?.token ?? null),
      ...(body !== undefined ? { body } : {}),
    });
  const enter = (who: Enrolled, zone: string): void => {
    const shopper = t.hub.shoppers.get(who.id);
    if (shopper === null) throw new Error('unknown shopper');
    const at = Math.floor(clock.now() / 1000);
    t.hub.events.emit('zoneEnter', {
      shopperPk: shopper.pk,
      shopperId: who.id,
      zone,
      previousZone: null,
      at,
      visitStartedAt: at,
    });
  };

  beforeAll(async () => {
    const catalogFile = join(dir, 'offers.yaml');
    writeFileSync(
      catalogFile,
      stringify({
        offers: [
          offer('jeans-20'),
          offer('belt-10', { category: 'accessories' }),
          offer('kids-5', { category: 'kids', sensitivity: 'price-sensitive' }),
          offer('broken', { validTo: '2026-10-01T00:00:00Z' }),
          offer('secret', { sensitivity: 'alcohol' }),
        ],
      }),
    );
    t = await startTestHub({
      clock,
      gateways: [{ id: 'gw-denim', zone: 'denim' }],
      config: {
        offers: {
          catalogFile,
          quietHours: null,
          holdoutShare: 0,
          caps: { perVisit: 5, perDay: 10, minGapSeconds: 0 },
          budget: { periodEpsilon: 10 },
        },
        presence: { finalizeIntervalMs: 600_000 },
      },
    });
    const enroll = async (): Promise<Enrolled> =>
      (await as(null)('POST', '/v1/shoppers', { consent: { presenceForOffers: true, analytics: true } }))
        .body as Enrolled;
    ann = await enroll();
    bob = await enroll();
    gateway = await t.connectGateway('gw-denim');
  });
  afterAll(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 401 without a shopper token, with a stable JSON error', async () => {
    for (const [method, path] of [
      ['GET', '/v1/me'],
      ['GET', '/v1/me/offers'],
      ['PATCH', '/v1/me/consent'],
      ['DELETE', '/v1/me'],
      ['GET', '/v1/me/export'],
    ] as const) {
      const anonymous = await as(null)(method, path);
      expect(anonymous.status, path).toBe(401);
      expect(err(anonymous.body).code).toBe('AUTH_BAD_CREDENTIAL');
      expect(err(anonymous.body).message).toMatch(/Authorization: Bearer/);
      const wrong = await as('not-a-token-at-all')(method, path);
      expect(wrong.status).toBe(401);
      expect(err(wrong.body).message).toMatch(/not a shopper token/);
    }
    const admin = await as(t.adminToken)('GET', '/v1/me');
    expect(admin.status).toBe(401);
  });

  it('loads the catalog file, rejecting each invalid entry with its field and reason', async () => {
    const res = await as(t.adminToken)('GET', '/v1/admin/offers');
    expect(res.status).toBe(200);
    const body = res.body as {
      offers: Array<{ id: string }>;
      rejected: Array<{ id: string; problems: Array<{ path: string; message: string }> }>;
    };
    expect(body.offers.map((o) => o.id).sort()).toEqual(['belt-10', 'jeans-20', 'kids-5']);
    expect(body.rejected.map((r) => [r.id, r.problems[0]?.path])).toEqual([
      ['broken', '/offers/3/validTo'],
      ['secret', '/offers/4/sensitivity'],
    ]);
    expect(body.rejected[1]?.problems[0]?.message).toMatch(/"alcohol", expected one of the configured classes/);
    expect((await as(ann)('GET', '/v1/admin/offers')).status).toBe(401);
  });

  it('admin catalog changes are all or nothing, naming every invalid field', async () => {
    const bad = await as(t.adminToken)('POST', '/v1/admin/offers', {
      offers: [offer('new-1'), offer('new-2', { zones: ['Denim Hall'] }), offer('new-3', { title: '' })],
    });
    expect(bad.status).toBe(400);
    expect(err(bad.body).code).toBe('API_BAD_REQUEST');
    expect(err(bad.body).field).toBe('/offers/1/zones/0');
    expect(err(bad.body).problems?.map((p) => p.path)).toEqual(['/offers/1/zones/0', '/offers/2/title']);
    expect(err(bad.body).message).toMatch(
      /^Catalog \/offers\/1\/zones\/0 is "Denim Hall", expected a string matching .* \(and 1 more\)$/,
    );
    expect((await as(t.adminToken)('GET', '/v1/admin/offers')).body).toMatchObject({ offers: { length: 3 } });
    const good = await as(t.adminToken)('POST', '/v1/admin/offers', {
      offers: [offer('socks-3', { category: 'basics', brand: 'Rosa' })],
    });
    expect(good).toEqual({ status: 200, body: { accepted: 1, offers: 4 } });
    expect((await as(t.adminToken)('DELETE', '/v1/admin/offers/socks-3')).status).toBe(204);
    expect(err((await as(t.adminToken)('DELETE', '/v1/admin/offers/socks-3')).body).code).toBe('API_NOT_FOUND');
    expect(
      err((await as(t.adminToken)('PUT', '/v1/admin/offers', { offer: [] })).body).problems?.map((p) => p.path),
    ).toEqual(['/offer', '/offers']);
  });

  it('shows and changes consent, quiet hours and the pause, naming bad fields', async () => {
    const me = await as(ann)('GET', '/v1/me');
    expect(me.body).toMatchObject({
      id: ann.id,
      consent: {
        presenceForOffers: true,
        analytics: true,
        pausedUntil: null,
        quietHours: null,
        quietHoursSource: 'store-default',
      },
      preferences: { categories: [], brands: [], sizes: [] },
    });
    const quiet = await as(ann)('PATCH', '/v1/me/consent', { quietHours: { start: '22:00', end: '07:30' } });
    expect(quiet.body).toMatchObject({ quietHours: { start: '22:00', end: '07:30' }, quietHoursSource: 'shopper' });
    expect((await as(ann)('PATCH', '/v1/me/consent', { quietHours: 'default' })).body).toMatchObject({
      quietHours: null,
      quietHoursSource: 'store-default',
    });
    for (const [body, field, message] of [
      [{}, '', /is empty, expected at least one of presenceForOffers/],
      [{ pausedUntil: '2026-11-15T11:00:00Z' }, '/pausedUntil', /expected a time in the next 366 days/],
      [{ pausedUntil: 'tomorrow' }, '/pausedUntil', /matches none|expected a string matching/],
      [{ quietHours: { start: '25:00', end: '07:00' } }, '/quietHours/start', /is "25:00", expected a string matching/],
      [{ quietHours: { start: '07:00', end: '07:00' } }, '/quietHours/end', /same as start/],
      [{ presenceForOffers: 'no' }, '/presenceForOffers', /expected boolean/],
      [{ marketing: true }, '/marketing', /not allowed/],
    ] as const) {
      const res = await as(ann)('PATCH', '/v1/me/consent', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(err(res.body).field, JSON.stringify(res.body)).toBe(field);
      expect(err(res.body).message).toMatch(message);
    }
  });

  it("a pause takes effect at once: the next batch with the shopper's EID is discarded at ingest", async () => {
    const countRows = (): number =>
      (
        t.hub.db
          .prepare('SELECT COUNT(*) AS n FROM sightings WHERE shopper_pk = ?')
          .get(t.hub.shoppers.get(bob.id)?.pk) as { n: number }
      ).n;
    const send = async (): Promise<void> => {
      const windowStart = Math.floor(clock.now() / 1000) - 60 + seq * 10;
      seq++;
      const eid = computeEidHex({
        identityKey: Buffer.from(bob.identityKey, 'hex'),
        exponent: 9,
        counter: windowStart,
      });
      await gateway.publishAsync(
        presenceTopic(TEST_STORE, 'gw-denim'),
        encodePayload('PresenceBatch', {
          v: 1,
          gateway: 'gw-denim',
          seq,
          windowStart,
          windowSeconds: 10,
          sightings: [{ eid, band: 'near', hits: 4 }],
          dropped: 0,
        }),
        { qos: 1 },
      );
    };
    await send();
    expect(countRows()).toBe(1);
    const paused = await as(bob)('PATCH', '/v1/me/consent', { pausedUntil: '2026-11-15T14:00:00Z' });
    expect(paused.body).toMatchObject({ pausedUntil: '2026-11-15T14:00:00.000Z' });
    const before = t.hub.stats();
    await send();
    expect(countRows()).toBe(1);
    const after = t.hub.stats() as unknown as Record<string, number>;
    expect(after.pausedDiscarded).toBe(((before as unknown as Record<string, number>).pausedDiscarded ?? 0) + 1);
    expect((await as(bob)('PATCH', '/v1/me/consent', { pausedUntil: null })).body).toMatchObject({ pausedUntil: null });
    await send();
    expect(countRows()).toBe(2);
  });

  it('replaces preferences, rejecting bad entries by field', async () => {
    const put = await as(ann)('PUT', '/v1/me/preferences', {
      categories: ['denim', 'kids'],
      brands: ['Acme'],
      sizes: ['M'],
    });
    expect(put).toEqual({ status: 200, body: { categories: ['denim', 'kids'], brands: ['Acme'], sizes: ['M'] } });
    expect((await as(ann)('GET', '/v1/me/preferences')).body).toEqual({
      categories: ['denim', 'kids'],
      brands: ['Acme'],
      sizes: ['M'],
    });
    const bad = await as(ann)('PUT', '/v1/me/preferences', { categories: ['Denim Jeans'] });
    expect(bad.status).toBe(400);
    expect(err(bad.body).field).toBe('/categories/0');
    expect(err((await as(ann)('PUT', '/v1/me/preferences', { categories: ['a', 'a'] })).body).field).toBe(
      '/categories',
    );
  });

  it('keeps a purchase history from the point of sale; the shopper excludes gifts and deletes entries', async () => {
    const feed = await as(t.adminToken)('POST', `/v1/admin/shoppers/${ann.id}/purchases`, {
      purchases: [
        { sku: 'sku-jeans', category: 'denim', brand: 'Acme', size: '32', at: '2026-11-10T10:00:00Z' },
        { sku: 'sku-doll', category: 'kids', brand: 'Toyco' },
        { category: 'basics' },
      ],
    });
    expect(feed.status).toBe(201);
    const [jeans, doll, basics] = (feed.body as { ids: string[] }).ids as [string, string, string];
    expect(err((await as(ann)('POST', `/v1/admin/shoppers/${ann.id}/purchases`, { purchases: [] })).body).code).toBe(
      'AUTH_BAD_CREDENTIAL',
    );
    expect(
      err(
        (
          await as(t.adminToken)('POST', `/v1/admin/shoppers/${ann.id}/purchases`, {
            purchases: [{ category: 'x', at: '2026-02-30T00:00:00Z' }],
          })
        ).body,
      ).field,
    ).toBe('/purchases/0/at');
    expect(
      err(
        (await as(t.adminToken)('POST', '/v1/admin/shoppers/nobody/purchases', { purchases: [{ category: 'x' }] }))
          .body,
      ).code,
    ).toBe('API_NOT_FOUND');

    const gift = await as(ann)('POST', '/v1/me/exclusions', { purchaseId: doll });
    expect(gift.status).toBe(201);
    expect(gift.body).toMatchObject({ purchaseId: doll, reason: 'gift' });
    expect((await as(ann)('POST', '/v1/me/exclusions', { sku: 'sku-socks', reason: 'not-for-me' })).status).toBe(201);
    expect((await as(ann)('POST', '/v1/me/exclusions', { purchaseId: doll })).status).toBe(409);
    expect(err((await as(ann)('POST', '/v1/me/exclusions', { purchaseId: 'pur-unknown' })).body)).toMatchObject({
      code: 'API_NOT_FOUND',
      field: '/purchaseId',
    });
    expect(err((await as(ann)('POST', '/v1/me/exclusions', {})).body)).toMatchObject({
      code: 'API_BAD_REQUEST',
      field: '/purchaseId',
    });
    expect(err((await as(bob)('POST', '/v1/me/exclusions', { purchaseId: doll })).body).code).toBe('API_NOT_FOUND'); // not Bob's

    const history = (await as(ann)('GET', '/v1/me/history')).body as {
      purchases: Array<{ id: string; excluded: boolean; source: string }>;
    };
    expect(history.purchases.map((p) => [p.id, p.excluded])).toEqual(
      expect.arrayContaining([
        [jeans, false],
        [doll, true],
        [basics, false],
      ]),
    );
    expect((await as(bob)('GET', '/v1/me/history')).body).toEqual({ purchases: [] });

    expect((await as(ann)('DELETE', `/v1/me/history/${basics}`)).status).toBe(204);
    expect(err((await as(ann)('DELETE', `/v1/me/history/${basics}`)).body)).toMatchObject({
      code: 'API_NOT_FOUND',
      field: 'purchaseId',
    });
    const exclusions = (await as(ann)('GET', '/v1/me/exclusions')).body as {
      exclusions: Array<{ id: string; sku?: string }>;
    };
    expect(exclusions.exclusions).toHaveLength(2);
    const bySku = exclusions.exclusions.find((e) => e.sku === 'sku-socks');
    expect((await as(ann)('DELETE', `/v1/me/exclusions/${bySku?.id}`)).status).toBe(204);
    expect((await as(ann)('GET', '/v1/me/exclusions')).body).toMatchObject({ exclusions: { length: 1 } });
  });

  it('streams new offers, lists them, and redeems or dismisses each once', async () => {
    const stream = await openStream(t, ann.token);
    const bobStream = await openStream(t, bob.token);
    enter(ann, 'denim');
    enter(ann, 'checkout'); // no offers there: no decision at all
    const [first] = await stream.next(1);
    expect(first?.event).toBe('offer');
    const shown = first?.data as {
      id: string;
      offer: { id: string; zones: string[] };
      zone: string;
      state: string;
      audit: string;
    };
    expect(shown.zone).toBe('denim');
    expect(shown.state).toBe('active');
    expect(['jeans-20', 'belt-10', 'kids-5']).toContain(shown.offer.id);
    clock.advance(60_000);
    enter(ann, 'denim');
    const [, second] = await stream.next(2);
    const secondId = (second?.data as { id: string }).id;
    expect(bobStream.messages).toEqual([]);

    const list = (await as(ann)('GET', '/v1/me/offers')).body as { offers: Array<{ id: string; state: string }> };
    expect(list.offers.map((o) => o.id)).toEqual([secondId, shown.id]);
    const redeemed = await as(ann)('POST', `/v1/me/offers/${shown.id}/redeem`);
    expect(redeemed.body).toMatchObject({ id: shown.id, state: 'redeemed' });
    expect(err((await as(ann)('POST', `/v1/me/offers/${shown.id}/redeem`)).body)).toMatchObject({
      code: 'API_CONFLICT',
      field: 'decisionId',
    });
    expect(err((await as(ann)('POST', `/v1/me/offers/${shown.id}/dismiss`)).body).message).toMatch(/already redeemed/);
    expect((await as(bob)('POST', `/v1/me/offers/${secondId}/dismiss`)).status).toBe(404);
    expect((await as(ann)('POST', `/v1/me/offers/${secondId}/dismiss`)).body).toMatchObject({ state: 'dismissed' });
    expect((await as(ann)('GET', '/v1/me/offers?state=redeemed')).body).toMatchObject({ offers: [{ id: shown.id }] });
    expect(err((await as(ann)('GET', '/v1/me/offers?state=gone')).body)).toMatchObject({
      code: 'API_BAD_REQUEST',
      field: 'state',
    });

    // A reconnecting client gets what it missed after its Last-Event-ID.
    stream.close();
    const again = await openStream(t, ann.token, first?.id);
    const replayed = await again.next(1);
    expect(replayed.map((m) => (m.data as { id: string }).id)).toEqual([secondId]);
    again.close();
    bobStream.close();
  });

  it('explains every decision in the audit trail, with ε spent, data used and budget left — never the rank', async () => {
    const res = await as(ann)('GET', '/v1/me/audit');
    const audit = res.body as {
      offerBudget: {
        period: string;
        cap: number;
        spent: number;
        left: number;
        epsilonPerOffer: Record<string, number>;
      };
      analyticsBudget: { caps: unknown };
      entries: Array<{
        id: string;
        outcome: string;
        draw: string;
        epsilonSpent: number;
        dataCategories: string[];
        explanation: string;
        mechanism: Record<string, unknown>;
        budget: { period: string; left: number };
      }>;
    };
    expect(audit.entries).toHaveLength(2);
    // Three offers are eligible in denim; one of them is price-sensitive, so a new draw costs ε 0.5;
    // the second offer was the same draw shown again (nothing changed), which costs nothing.
    expect(audit.offerBudget).toMatchObject({
      period: '2026-Q4',
      cap: 10,
      spent: 0.5,
      left: 9.5,
      epsilonPerOffer: { standard: 1, 'price-sensitive': 0.5, health: 0.25 },
    });
    expect(audit.analyticsBudget).toHaveProperty('caps');
    expect(audit.entries.map((e) => [e.draw, e.epsilonSpent])).toEqual([
      ['sticky', 0],
      ['fresh', 0.5],
    ]);
    for (const e of audit.entries) {
      expect(e.outcome).toBe('shown');
      expect(e.mechanism).toEqual({ name: 'threshold-sampler', eligible: 3 });
      expect(e.budget).toEqual({ period: '2026-Q4', left: 9.5 });
      expect(e.dataCategories).toEqual(
        expect.arrayContaining(['presence', 'declared-preferences', 'purchase-history']),
      );
      expect(e.explanation).toMatch(/excluded/);
    }
    expect(audit.entries[1]?.explanation).toMatch(/threshold sampler from the 3 offer\(s\) available in denim/);
    expect(audit.entries[0]?.explanation).toMatch(/same choice as your earlier offer in denim in 2026-Q4/);
    // What the sampler hides is nowhere in the answer: no rank, group, k, weights or probability.
    expect(JSON.stringify(res.body)).not.toMatch(/"(rank|k|weights|probability|realEpsilon|slot|top)"|top \d|#\d/);
    const one = await as(ann)('GET', `/v1/me/audit/${audit.entries[0]?.id}`);
    expect(one.body).toMatchObject({ id: audit.entries[0]?.id });
    expect((await as(bob)('GET', `/v1/me/audit/${audit.entries[0]?.id}`)).status).toBe(404);
  });

  it('refuses with a reason when consent for offers is withdrawn, effective immediately', async () => {
    expect((await as(ann)('PATCH', '/v1/me/consent', { presenceForOffers: false })).body).toMatchObject({
      presenceForOffers: false,
    });
    clock.advance(60_000);
    enter(ann, 'denim');
    const audit = (await as(ann)('GET', '/v1/me/audit?limit=1')).body as {
      entries: Array<{
        outcome: string;
        refusal: { reason: string; message: string };
        epsilonSpent: number;
        explanation: string;
      }>;
    };
    expect(audit.entries[0]).toMatchObject({
      outcome: 'refused',
      refusal: { reason: 'consent-withdrawn' },
      epsilonSpent: 0,
    });
    expect(audit.entries[0]?.explanation).toMatch(/^No offer: Presence for offers is switched off/);
    await as(ann)('PATCH', '/v1/me/consent', { presenceForOffers: true });
  });

  it('exports everything held about the shopper as JSON', async () => {
    const res = await as(bob)('GET', '/v1/me/export');
    expect(res.status).toBe(200);
    const data = res.body as {
      shopper: { id: string; identityKey: string; consent: Record<string, unknown> };
      offers: Record<string, unknown[]>;
      tables: Record<string, unknown[]>;
    };
    expect(data.shopper).toMatchObject({ id: bob.id, identityKey: bob.identityKey });
    expect(data.tables.sightings).toHaveLength(2);
    expect(Object.keys(data.tables)).toEqual(
      expect.arrayContaining([
        'sightings',
        'zone_windows',
        'visits',
        'presence_state',
        'privacy_ledger',
        'visit_zones',
      ]),
    );
    const annExport = (await as(ann)('GET', '/v1/me/export')).body as typeof data;
    expect(annExport.offers.purchases).toHaveLength(2);
    expect(annExport.offers.exclusions).toHaveLength(1);
    expect(annExport.offers.decisions).toHaveLength(3);
    expect(annExport.offers.draws).toEqual([
      expect.objectContaining({ period: '2026-Q4', epsilonSpent: 0.5, dataCategories: expect.any(Array) }),
    ]);
    expect(annExport.tables).not.toHaveProperty('offer_draws');
    expect(annExport.tables.budget_ledger).toEqual([
      expect.objectContaining({ budget: 'offers', spent_micro: 500_000 }),
    ]);
    expect(JSON.stringify(annExport)).not.toMatch(/"(rank|k|weight_a|weight_b|total_weight|probability|slot)"/);
    expect(annExport.offers.preferences).toEqual({ categories: ['denim', 'kids'], brands: ['Acme'], sizes: ['M'] });
    expect(JSON.stringify(annExport)).not.toContain(bob.id);
  });

  it('admin stats show system figures and released figures only, never exact shopper counts', async () => {
    const res = await as(t.adminToken)('GET', '/v1/admin/offers/stats?from=2026-11-15T00:00:00Z');
    // No week has been released yet: no shopper figures at all.
    expect(res.body).toEqual({
      from: '2026-11-15T00:00:00.000Z',
      to: expect.any(String),
      responses: [],
      catalog: { offers: 3, rejected: 2 },
      streams: expect.any(Number),
    });
    expect(err((await as(t.adminToken)('GET', '/v1/admin/offers/stats?from=yesterday')).body)).toMatchObject({
      code: 'API_BAD_REQUEST',
      field: 'from',
    });
  });

  it('erases the shopper with DELETE /v1/me; the token stops working', async () => {
    expect((await as(bob)('DELETE', '/v1/me')).status).toBe(204);
    expect((await as(bob)('GET', '/v1/me')).status).toBe(401);
    expect(t.hub.shoppers.get(bob.id)).toBeNull();
  });
});
