import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../testing/seeded-random.ts';
import {
  generateSigningKey,
  parseSigningKey,
  sign,
  signedHeaders,
  signingInput,
  verifySignature,
  verifyUpstreamRequest,
} from './signing.ts';

const KEY = parseSigningKey(generateSigningKey(new SeededRandomSource('key')), 'store.key');
const OTHER = parseSigningKey(generateSigningKey(new SeededRandomSource('other')), 'other.key');
const BODY = Buffer.from('{"v":1,"release":"footfall:2026-11-28T10:00+01:00"}');
const NOW = 1_795_860_000;

function request(overrides: Record<string, string | undefined> = {}, body: Buffer = BODY) {
  const headers: Record<string, string | undefined> = {
    ...signedHeaders(KEY, {
      store: 'store-1',
      releaseId: 'footfall:2026-11-28T10:00+01:00',
      body: BODY,
      timestamp: NOW,
    }),
    ...overrides,
  };
  return verifyUpstreamRequest(
    { headers, body },
    { keyOf: (store) => (store === 'store-1' ? KEY : null), nowSeconds: NOW },
  );
}

describe('upstream request signing', () => {
  it('is HMAC-SHA256 over timestamp, newline, idempotency key, newline, body', () => {
    const expected = createHmac('sha256', KEY).update(`${NOW}\nfootfall:x\n`).update(BODY).digest('hex');
    expect(sign(KEY, { timestamp: NOW, idempotencyKey: 'footfall:x', body: BODY })).toBe(`v1=${expected}`);
    expect(signingInput({ timestamp: 1, idempotencyKey: 'k', body: Buffer.from('b') }).toString()).toBe('1\nk\nb');
  });

  it('accepts a well-signed fresh request', () => {
    expect(request()).toEqual({
      ok: true,
      store: 'store-1',
      releaseId: 'footfall:2026-11-28T10:00+01:00',
      timestamp: NOW,
    });
  });

  it('rejects a changed body, another key, a changed id and a malformed signature', () => {
    expect(request({}, Buffer.from(`${BODY.toString()} `))).toMatchObject({
      ok: false,
      status: 401,
      code: 'UPSTREAM_BAD_SIGNATURE',
    });
    const forged = signedHeaders(OTHER, {
      store: 'store-1',
      releaseId: 'footfall:2026-11-28T10:00+01:00',
      body: BODY,
      timestamp: NOW,
    });
    expect(request({ 'x-hushpoint-signature': forged['x-hushpoint-signature'] })).toMatchObject({
      ok: false,
      code: 'UPSTREAM_BAD_SIGNATURE',
    });
    expect(request({ 'x-hushpoint-release': 'footfall:2026-11-28T11:00+01:00' })).toMatchObject({
      ok: false,
      code: 'UPSTREAM_BAD_SIGNATURE',
    });
    expect(request({ 'x-hushpoint-signature': 'v1=abc' })).toMatchObject({ ok: false, code: 'UPSTREAM_BAD_SIGNATURE' });
    expect(verifySignature(KEY, { timestamp: NOW, idempotencyKey: 'k', body: BODY }, 'nonsense')).toBe(false);
  });

  it('rejects stale or future timestamps beyond five minutes, after checking the signature', () => {
    const old = signedHeaders(KEY, {
      store: 'store-1',
      releaseId: 'footfall:2026-11-28T10:00+01:00',
      body: BODY,
      timestamp: NOW - 301,
    });
    const result = request({
      'x-hushpoint-timestamp': old['x-hushpoint-timestamp'],
      'x-hushpoint-signature': old['x-hushpoint-signature'],
    });
    expect(result).toMatchObject({ ok: false, status: 401, code: 'UPSTREAM_STALE_TIMESTAMP' });
    expect(result.ok ? '' : result.message).toMatch(/301 s behind the collector's clock, expected within ±300 s/);
    const edge = signedHeaders(KEY, {
      store: 'store-1',
      releaseId: 'footfall:2026-11-28T10:00+01:00',
      body: BODY,
      timestamp: NOW + 300,
    });
    expect(
      request({
        'x-hushpoint-timestamp': edge['x-hushpoint-timestamp'],
        'x-hushpoint-signature': edge['x-hushpoint-signature'],
      }).ok,
    ).toBe(true);
  });

  it('names missing or malformed headers and unknown stores', () => {
    expect(request({ 'x-hushpoint-signature': undefined, 'x-hushpoint-timestamp': undefined })).toMatchObject({
      ok: false,
      status: 400,
      message: expect.stringMatching(/Missing headers x-hushpoint-timestamp, x-hushpoint-signature/),
    });
    expect(request({ 'x-hushpoint-timestamp': '12:00' })).toMatchObject({
      ok: false,
      status: 400,
      message: expect.stringMatching(/expected Unix seconds/),
    });
    expect(request({ 'x-hushpoint-store': 'store-9' })).toMatchObject({
      ok: false,
      status: 403,
      code: 'AUTH_FORBIDDEN',
    });
  });

  it('reads key files of exactly 64 hex digits', () => {
    expect(parseSigningKey(`${'ab'.repeat(32)}\n`, 'k').length).toBe(32);
    expect(() => parseSigningKey('abc', 'keys/store.key')).toThrow(
      /"keys\/store.key" holds 3 characters that are not a key, expected 64 hex digits/,
    );
  });
});
