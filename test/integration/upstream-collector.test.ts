import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../shared/ports/clock.ts';
import { rational } from '../../shared/privacy/rational.ts';
import { encodeReleasePayloadV2, MAX_RELEASE_V2_BYTES } from '../../shared/upstream/release-payload-v2.ts';
import { signedHeaders } from '../../shared/upstream/signing.ts';
import { buildReleasePayload } from '../../hub/privacy/core/build-payload.ts';
import { calibrateRelease } from '../../hub/privacy/core/calibrate.ts';
import { localDay, windowOfDay } from '../../shared/time/local-calendar.ts';
import { computeTotals } from '../../hq/mod.ts';
import { post, startCollector, type TestCollector } from './upstream-fixtures.ts';

/**
 * The reference collector over real HTTPS: signatures checked in constant time, stale timestamps
 * and replays refused with clear JSON errors, identical resends acknowledged, releases stored,
 * totals with consistent non-negative views.
 */

const NOW = Date.parse('2026-11-28T11:05:00Z');
const clock = new FakeClock(NOW);
let c: TestCollector;

const release = calibrateRelease({
  cells: ['bakery', 'dairy', 'produce'],
  measures: [{ metric: 'shoppers', query: 'count', share: rational(1n) }],
  maxCellsPerShopper: 8,
  rho: rational(1n, 20n),
  mechanism: 'discrete-gaussian',
});

function body(hourIso: string, values: number[]): Buffer {
  return encodeReleasePayloadV2(
    buildReleasePayload({
      store: 'store-1',
      kind: 'footfall',
      window: windowOfDay(localDay(Date.parse(hourIso), 'UTC'), 'day', 'quarter', 'UTC'),
      timeZone: 'UTC',
      computedMs: NOW,
      release,
      values: [values],
      delta: 1e-6,
    }),
  );
}

function send(
  bytes: Buffer,
  overrides: { key?: Buffer; timestamp?: number; releaseId?: string; headers?: Record<string, string> } = {},
) {
  const releaseId = overrides.releaseId ?? (JSON.parse(bytes.toString()) as { release: string }).release;
  const headers = signedHeaders(overrides.key ?? c.key, {
    store: 'store-1',
    releaseId,
    body: bytes,
    timestamp: overrides.timestamp ?? Math.floor(clock.now() / 1000),
  });
  return post(c.url, { ...headers, 'content-type': 'application/json', ...overrides.headers }, bytes, {
    caPem: c.caPem,
  });
}

beforeAll(async () => {
  c = await startCollector({ clock });
});
afterAll(async () => {
  await c.stop();
});

describe('the reference collector', () => {
  const first = body('2026-11-28T10:00:00Z', [12, -3, 25]);

  it('stores a signed release (201), then acknowledges the identical resend (200)', async () => {
    expect(await send(first)).toMatchObject({
      status: 201,
      body: { ok: true, release: 'footfall:2026-11-28', duplicate: false },
    });
    clock.advance(90_000);
    expect(await send(first)).toMatchObject({ status: 200, body: { ok: true, duplicate: true } });
    const stored = await c.collector.store.getRelease('store-1', 'footfall:2026-11-28');
    expect(stored?.body.equals(first)).toBe(true);
    expect(stored?.deliveries).toBe(2);
  });

  it('refuses different bytes under the same release id (409) and keeps the first', async () => {
    const other = body('2026-11-28T10:00:00Z', [11, 0, 26]);
    const response = await send(other);
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      ok: false,
      error: {
        code: 'UPSTREAM_REPLAY_MISMATCH',
        message: expect.stringMatching(/already received with different bytes/),
      },
    });
    expect((await c.collector.store.getRelease('store-1', 'footfall:2026-11-28'))?.body.equals(first)).toBe(true);
  });

  it('refuses a bad signature, a stale or future timestamp and an unknown store (401/403)', async () => {
    const bytes = body('2026-11-27T09:00:00Z', [1, 2, 3]);
    const wrongKey = Buffer.alloc(32, 7);
    expect(await send(bytes, { key: wrongKey })).toMatchObject({
      status: 401,
      body: { ok: false, error: { code: 'UPSTREAM_BAD_SIGNATURE' } },
    });
    const tampered = Buffer.from(bytes.toString().replace('"values":[1,2,3]', '"values":[1,2,4]'));
    const signedForOriginal = signedHeaders(c.key, {
      store: 'store-1',
      releaseId: 'footfall:2026-11-27',
      body: bytes,
      timestamp: Math.floor(clock.now() / 1000),
    });
    expect((await post(c.url, signedForOriginal, tampered, { caPem: c.caPem })).status).toBe(401);
    const stale = await send(bytes, { timestamp: Math.floor(clock.now() / 1000) - 301 });
    expect(stale).toMatchObject({
      status: 401,
      body: { ok: false, error: { code: 'UPSTREAM_STALE_TIMESTAMP', message: expect.stringMatching(/301 s behind/) } },
    });
    expect(await send(bytes, { timestamp: Math.floor(clock.now() / 1000) + 400 })).toMatchObject({
      status: 401,
      body: { error: { code: 'UPSTREAM_STALE_TIMESTAMP' } },
    });
    expect(await send(bytes, { headers: { 'x-hushpoint-store': 'store-2' } })).toMatchObject({
      status: 403,
      body: { error: { code: 'AUTH_FORBIDDEN' } },
    });
    expect(await c.collector.store.getRelease('store-1', 'footfall:2026-11-27')).toBeNull();
    expect((await c.collector.store.quarantined()).map((r) => r.code)).toEqual(
      expect.arrayContaining([
        'UPSTREAM_BAD_SIGNATURE',
        'UPSTREAM_STALE_TIMESTAMP',
        'AUTH_FORBIDDEN',
        'UPSTREAM_REPLAY_MISMATCH',
      ]),
    );
  });

  it('names bad requests: missing headers, a body that is not a release, a body that contradicts its headers', async () => {
    const missing = await post(c.url, { 'content-type': 'application/json' }, '{}', { caPem: c.caPem });
    expect(missing).toMatchObject({
      status: 400,
      body: {
        error: {
          code: 'API_BAD_REQUEST',
          message: expect.stringMatching(/Missing headers x-hushpoint-store, x-hushpoint-timestamp/),
        },
      },
    });
    const junk = Buffer.from('{"v":2,"hello":"world"}');
    expect(await send(junk, { releaseId: 'footfall:x' })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringMatching(/not a valid release: .*is required/) } },
    });
    const bytes = body('2026-11-26T08:00:00Z', [0, 0, 0]);
    expect(await send(bytes, { releaseId: 'footfall:2026-11-24' })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringMatching(/expected the headers'/) } },
    });
    expect((await post(c.url, {}, '', { caPem: c.caPem, method: 'GET' })).status).toBe(405);
    expect((await post(c.url.replace('/v1/releases', '/v2/x'), {}, '', { caPem: c.caPem })).status).toBe(404);
    // Above the default limit: the largest v2 release (an item × item matrix) is 16 MiB.
    const huge = Buffer.alloc(MAX_RELEASE_V2_BYTES + 1, 32);
    expect((await send(huge, { releaseId: 'footfall:big' })).status).toBe(413);
  });

  it('totals: raw noisy sums plus non-negative views that add up to the rounded total', async () => {
    await send(body('2026-11-25T11:00:00Z', [-2, 4, 0]));
    const totals = computeTotals(await c.collector.store.listReleases({ store: 'store-1', kind: 'footfall' }));
    expect(totals).toHaveLength(1);
    const t = totals[0];
    expect(t?.rawTotal).toBe(12 - 3 + 25 - 2 + 4);
    expect(t?.rawByCell).toEqual([10, 1, 25]);
    expect(t?.periods.map((p) => [p.total, p.consistent])).toEqual(
      expect.arrayContaining([
        [34, [11, 0, 23]],
        [2, [0, 2, 0]],
      ]),
    );
    expect(t?.consistentByCell).toEqual([11, 2, 23]);
    expect(t?.total).toBe(36);
    // L0 = min(K, 3 cells) = 3, so σ² = 3/(2·0.05) = 30 per value.
    expect(t?.rawTotalSd).toBeCloseTo(Math.sqrt(6 * 30), 6);
  });
});
