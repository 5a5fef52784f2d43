import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { startTestHub, type TestHub } from '../helpers/hub-fixtures.ts';

describe('hub HTTPS API: enrollment', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('enrolls a shopper and returns id, identity key, exponent and a token (only its hash is stored)', async () => {
    const res = await t.request('POST', '/v1/shoppers', {
      body: { consent: { presenceForOffers: true, analytics: false } },
    });
    expect(res.status).toBe(201);
    const body = res.body as {
      id: string;
      identityKey: string;
      exponent: number;
      token: string;
      consent: Record<string, unknown>;
    };
    expect(body.id).toMatch(/^shp-[0-9a-f]{20}$/);
    expect(body.identityKey).toMatch(/^[0-9a-f]{32}$/);
    expect(body.exponent).toBe(9);
    expect(body.token.length).toBeGreaterThanOrEqual(43);
    expect(body.consent).toEqual({ presenceForOffers: true, analytics: false, pausedUntil: null });
    const row = t.hub.db
      .prepare('SELECT token_hash, hex(identity_key) AS key FROM shoppers WHERE id = ?')
      .get(body.id) as { token_hash: string; key: string };
    expect(row.token_hash).toBe(createHash('sha256').update(body.token).digest('hex'));
    expect(row.key.toLowerCase()).toBe(body.identityKey);
    const dump = JSON.stringify(t.hub.db.prepare('SELECT * FROM shoppers').all());
    expect(dump).not.toContain(body.token);
    // The returned key is live in the resolver at once.
    const now = Math.floor(Date.now() / 1000);
    const eid = computeEidHex({ identityKey: Buffer.from(body.identityKey, 'hex'), exponent: 9, counter: now });
    expect(t.hub.directory.resolver.resolve(eid, now)).toBe(t.hub.shoppers.get(body.id)?.pk);
  });

  it('gives two enrollments different keys and tokens, and honours a requested exponent', async () => {
    const a = (
      await t.request('POST', '/v1/shoppers', {
        body: { consent: { presenceForOffers: true, analytics: true }, exponent: 12 },
      })
    ).body as { identityKey: string; token: string; exponent: number };
    const b = (
      await t.request('POST', '/v1/shoppers', { body: { consent: { presenceForOffers: true, analytics: true } } })
    ).body as { identityKey: string; token: string };
    expect(a.exponent).toBe(12);
    expect(a.identityKey).not.toBe(b.identityKey);
    expect(a.token).not.toBe(b.token);
  });

  it.each([
    [{ consent: { presenceForOffers: true } }, '/consent/analytics', /is required/],
    [{ consent: { presenceForOffers: 'yes', analytics: true } }, '/consent/presenceForOffers', /expected boolean/],
    [{ consent: { presenceForOffers: true, analytics: true }, exponent: 16 }, '/exponent', /expected <= 15/],
    [{ consent: { presenceForOffers: true, analytics: true }, name: 'Ann' }, '/name', /not allowed/],
    ['{not json', '', /not valid JSON/],
  ])('rejects a bad body %j naming the field', async (body, field, message) => {
    const res = await t.request('POST', '/v1/shoppers', { body });
    expect(res.status).toBe(400);
    const error = (res.body as { error: { code: string; message: string; field: string } }).error;
    expect(error.code).toBe('API_BAD_REQUEST');
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('shows a shopper their own record only, and deletes it with their token', async () => {
    const mine = (
      await t.request('POST', '/v1/shoppers', { body: { consent: { presenceForOffers: false, analytics: true } } })
    ).body as { id: string; token: string };
    const other = (
      await t.request('POST', '/v1/shoppers', { body: { consent: { presenceForOffers: false, analytics: true } } })
    ).body as { id: string; token: string };
    const own = await t.request('GET', `/v1/shoppers/${mine.id}`, { token: mine.token });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id: mine.id, consent: { presenceForOffers: false, analytics: true } });
    expect(own.body).not.toHaveProperty('identityKey');
    expect((await t.request('GET', `/v1/shoppers/${mine.id}`, { token: other.token })).status).toBe(403);
    expect((await t.request('GET', `/v1/shoppers/${mine.id}`)).status).toBe(401);
    expect((await t.request('GET', `/v1/shoppers/${mine.id}`, { token: 'x'.repeat(43) })).status).toBe(401);
    expect((await t.request('DELETE', `/v1/shoppers/${mine.id}`, { token: mine.token })).status).toBe(204);
    expect(t.hub.shoppers.get(mine.id)).toBeNull();
    expect((await t.request('GET', `/v1/shoppers/${mine.id}`, { token: t.adminToken })).status).toBe(404);
  });

  it('imports shoppers with given keys behind the admin token', async () => {
    const body = {
      shoppers: [
        { shopperId: 'sim-001', identityKey: '00112233445566778899aabbccddeeff', exponent: 9, kind: 'android' },
      ],
    };
    expect((await t.request('POST', '/v1/admin/shoppers/import', { body })).status).toBe(401);
    expect(
      (await t.request('POST', '/v1/admin/shoppers/import', { body, token: 'wrong-token-wrong-token' })).status,
    ).toBe(401);
    const ok = await t.request('POST', '/v1/admin/shoppers/import', { body, token: t.adminToken });
    expect(ok).toEqual({ status: 200, body: { imported: 1 } });
    expect(t.hub.shoppers.get('sim-001')?.identityKey.toString('hex')).toBe('00112233445566778899aabbccddeeff');
    const bad = await t.request('POST', '/v1/admin/shoppers/import', {
      body: { shoppers: [{ id: 'x', identityKey: 'abc' }] },
      token: t.adminToken,
    });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { field: string } }).error.field).toBe('/shoppers/0/identityKey');
  });

  it('answers unknown endpoints with 404 and wrong methods with 405', async () => {
    expect((await t.request('GET', '/v1/nothing')).status).toBe(404);
    const wrong = await t.request('PUT', '/v1/shoppers');
    expect(wrong.status).toBe(405);
    expect((wrong.body as { error: { message: string } }).error.message).toMatch(/expected POST/);
  });
});
