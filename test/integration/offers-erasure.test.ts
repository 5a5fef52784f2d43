import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { FakeClock } from '../../shared/ports/clock.ts';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { presenceTopic } from '../../shared/protocol/topics.ts';
import { localDay, windowOfDay } from '../../hub/privacy/mod.ts';
import { startTestHub, TEST_STORE, type TestHub } from '../helpers/hub-fixtures.ts';

/**
 * Erasure (DELETE /v1/me): afterwards a scan of every column of every table of the hub's
 * SQLite database finds nothing linked to the shopper — not their id, row number, identity key
 * (hex or bytes), bearer token or its hash, nor any EID they advertised — and their EIDs no
 * longer resolve. The same scan before the deletion finds them in every kind of table (so the
 * scan can fail), and a second shopper's data is untouched.
 */

interface Enrolled {
  id: string;
  token: string;
  identityKey: string;
}
interface Identity {
  id: string;
  pk: number;
  key: Buffer;
  token: string;
  tokenHash: string;
  eids: Set<string>;
}

const NOW = Date.parse('2026-11-16T12:05:00Z');
const START = Date.parse('2026-11-16T11:52:00Z') / 1000;

/** Every (table, column) where one of the shopper's identifiers appears. */
function scan(t: TestHub, who: Identity): string[] {
  const hits = new Set<string>();
  const needles = [
    who.id,
    who.key.toString('hex'),
    who.key.toString('hex').toUpperCase(),
    who.token,
    who.tokenHash,
    ...who.eids,
  ];
  const tables = t.hub.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  for (const table of tables) {
    for (const row of t.hub.db.prepare(`SELECT * FROM "${table}"`).all() as Array<Record<string, unknown>>) {
      for (const [column, value] of Object.entries(row)) {
        const where = `${table}.${column}`;
        if (typeof value === 'string' && needles.some((n) => value.includes(n))) hits.add(where);
        if (
          Buffer.isBuffer(value) &&
          (value.includes(who.key) ||
            needles.some((n) => value.includes(n)) ||
            [...who.eids].some((e) => value.includes(Buffer.from(e, 'hex'))))
        )
          hits.add(where);
        if (typeof value === 'number' && value === who.pk && /(^|_)(shopper_pk|unit)$/.test(column)) hits.add(where);
        if (typeof value === 'number' && value === who.pk && table === 'shoppers' && column === 'pk') hits.add(where);
        if (table === 'visit_zones' && column === 'visit_pk' && typeof value === 'number') {
          const owner = t.hub.db.prepare('SELECT shopper_pk FROM visits WHERE pk = ?').pluck().get(value);
          if (owner === who.pk) hits.add(where);
        }
      }
    }
  }
  return [...hits].sort();
}

describe('erasure: DELETE /v1/me leaves nothing linked to the shopper', () => {
  const clock = new FakeClock(NOW);
  let t: TestHub;
  let gateways: Map<string, MqttClient>;
  const seqs = new Map<string, number>();
  let ann: Identity;
  let bob: Identity;
  let annToken = '';

  async function publish(gateway: string, windowStart: number, who: Identity[]): Promise<void> {
    const seq = (seqs.get(gateway) ?? 0) + 1;
    seqs.set(gateway, seq);
    const sightings = who.map((w) => {
      const eid = computeEidHex({ identityKey: w.key, exponent: 9, counter: windowStart });
      w.eids.add(eid);
      return { eid, band: 'near' as const, hits: 5 };
    });
    await gateways
      .get(gateway)
      ?.publishAsync(
        presenceTopic(TEST_STORE, gateway),
        encodePayload('PresenceBatch', { v: 1, gateway, seq, windowStart, windowSeconds: 10, sightings, dropped: 0 }),
        { qos: 1 },
      );
  }

  beforeAll(async () => {
    t = await startTestHub({
      clock,
      gateways: [
        { id: 'gw-denim', zone: 'denim' },
        { id: 'gw-entrance', zone: 'entrance' },
      ],
      config: {
        offers: {
          quietHours: null,
          holdoutShare: 0,
          caps: { perVisit: 3, perDay: 3, minGapSeconds: 0 },
          budget: { periodEpsilon: 2 }, // one draw in each of the two zones
        },
        presence: { finalizeIntervalMs: 600_000, visitGapSeconds: 60 },
      },
    });
    await t.request('PUT', '/v1/admin/offers', {
      token: t.adminToken,
      body: {
        offers: ['denim', 'entrance'].map((zone) => ({
          id: `offer-${zone}`,
          title: zone,
          category: zone,
          zones: [zone],
          validFrom: '2026-11-01T00:00:00Z',
          validTo: '2026-12-01T00:00:00Z',
        })),
      },
    });
    const enroll = async (): Promise<Identity & { token: string }> => {
      const body = (
        await t.request('POST', '/v1/shoppers', { body: { consent: { presenceForOffers: true, analytics: true } } })
      ).body as Enrolled;
      return {
        id: body.id,
        pk: t.hub.shoppers.get(body.id)?.pk as number,
        key: Buffer.from(body.identityKey, 'hex'),
        token: body.token,
        tokenHash: createHash('sha256').update(body.token).digest('hex'),
        eids: new Set(),
      };
    };
    ann = await enroll();
    bob = await enroll();
    annToken = ann.token;
    gateways = new Map([
      ['gw-denim', await t.connectGateway('gw-denim')],
      ['gw-entrance', await t.connectGateway('gw-entrance')],
    ]);

    // Everything a shopper can have: settings, history, an exclusion, presence, visits, offers, analytics.
    const as = (method: string, path: string, body?: unknown) =>
      t.request(method, path, { token: ann.token, ...(body !== undefined ? { body } : {}) });
    await as('PATCH', '/v1/me/consent', { quietHours: { start: '22:00', end: '07:00' } });
    await as('PUT', '/v1/me/preferences', { categories: ['denim'], brands: ['Acme'], sizes: ['M'] });
    const { ids } = (
      await t.request('POST', `/v1/admin/shoppers/${ann.id}/purchases`, {
        token: t.adminToken,
        body: { purchases: [{ sku: 'gift-1', category: 'kids' }, { category: 'denim' }] },
      })
    ).body as { ids: string[] };
    await as('POST', '/v1/me/exclusions', { purchaseId: ids[0] });
    for (let w = 0; w < 20; w++) {
      const windowStart = START + w * 10;
      await publish('gw-entrance', windowStart, w < 6 ? [ann, bob] : []);
      await publish('gw-denim', windowStart, w >= 6 ? [ann, bob] : []);
    }
    await t.hub.finalizePresence({ all: true });
    const offers = (await as('GET', '/v1/me/offers')).body as { offers: Array<{ id: string }> };
    expect(offers.offers.length).toBeGreaterThanOrEqual(2);
    await as('POST', `/v1/me/offers/${offers.offers[0]?.id}/redeem`);
    const footfall = t.hub.privacy.computeRelease(
      'footfall',
      windowOfDay(localDay(START * 1000, 'UTC'), 'day', 'quarter', 'UTC'),
      NOW,
    );
    expect(footfall).toMatchObject({ status: 'computed', contributors: 2 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('finds the shopper everywhere before the deletion (the scan works)', () => {
    const before = scan(t, ann);
    for (const where of [
      'shoppers.id',
      'shoppers.identity_key',
      'shoppers.token_hash',
      'shoppers.pk',
      'sightings.shopper_pk',
      'zone_windows.shopper_pk',
      'presence_state.shopper_pk',
      'visits.shopper_pk',
      'visit_zones.visit_pk',
      'budget_ledger.shopper_pk',
      'budget_charges.shopper_pk',
      'offer_profiles.shopper_pk',
      'offer_purchases.shopper_pk',
      'offer_exclusions.shopper_pk',
      'offer_decisions.shopper_pk',
      'offer_draws.shopper_pk',
    ])
      expect(before, where).toContain(where);
  });

  it('after DELETE /v1/me nothing in any table links to the shopper; the other shopper is untouched', async () => {
    const bobBefore = scan(t, bob);
    const res = await t.request('DELETE', '/v1/me', { token: annToken });
    expect(res.status).toBe(204);
    expect(scan(t, ann)).toEqual([]);
    expect(scan(t, bob)).toEqual(bobBefore);
    // Not only the tables: the database file and its WAL no longer hold the identity key or the
    // token hash anywhere (secure_delete zeroes freed pages; the deletion checkpoints the WAL).
    const raw = Buffer.concat(
      [t.hub.config.database, `${t.hub.config.database}-wal`]
        .map((f) => (f.startsWith('/') ? f : join(t.dir, f)))
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f)),
    );
    expect(raw.indexOf(ann.key)).toBe(-1);
    expect(raw.indexOf(Buffer.from(ann.tokenHash))).toBe(-1);
    expect(raw.indexOf(bob.key)).toBeGreaterThan(-1);
    // Anonymous totals stay: the release itself (noisy counts, no identities) is kept.
    expect(t.hub.privacy.releases.list({ kind: 'footfall' })).toHaveLength(1);
    expect((await t.request('GET', '/v1/me', { token: annToken })).status).toBe(401);
  });

  it('their EIDs — past, current and future — no longer resolve, and new sightings are dropped as unknown', async () => {
    const nowS = Math.floor(clock.now() / 1000);
    for (const eid of ann.eids) expect(t.hub.directory.resolver.resolve(eid, START + 100)).toBeUndefined();
    const current = computeEidHex({ identityKey: ann.key, exponent: 9, counter: nowS });
    expect(t.hub.directory.resolver.resolve(current, nowS)).toBeUndefined();
    expect(
      t.hub.directory.resolver.resolve(computeEidHex({ identityKey: bob.key, exponent: 9, counter: nowS }), nowS),
    ).toBe(bob.pk);
    const before = t.hub.stats() as unknown as Record<string, number>;
    await publish('gw-denim', START + 300, [ann]);
    const after = t.hub.stats() as unknown as Record<string, number>;
    expect(after.unresolved).toBe((before.unresolved ?? 0) + 1);
    expect(after.resolved).toBe(before.resolved);
    expect(scan(t, { ...ann, eids: new Set() })).toEqual([]);
  });
});
