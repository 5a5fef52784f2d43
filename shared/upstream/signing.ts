import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.ts';
import type { RandomSource } from '../ports/random.ts';

/**
 * How a store signs what it sends upstream over HTTPS, and how the collector checks it.
 *
 *   signature = HMAC-SHA256(storeKey, timestamp + "\n" + idempotencyKey + "\n" + body)
 *
 * sent as headers (HTTP header names are case-insensitive; node lower-cases them):
 *   X-Hushpoint-Store:     the store id
 *   X-Hushpoint-Timestamp: Unix seconds when this attempt was signed
 *   X-Hushpoint-Release:   the idempotency key (= the release id)
 *   X-Hushpoint-Signature: "v1=" + 64 lowercase hex digits
 *
 * The body and the idempotency key are fixed when a release is computed and are stored; every
 * retry sends those identical bytes. Only the timestamp (and so the signature) is fresh on each
 * attempt, because the collector refuses timestamps more than MAX_CLOCK_SKEW_SECONDS away from
 * its clock: a stored timestamp would make every retry after five minutes fail forever.
 * The timestamp is inside the MAC, so a captured request can be replayed for at most those five
 * minutes, and a replay within them is harmless (same release id, same bytes: idempotent).
 */

export const UPSTREAM_HEADERS = {
  store: 'x-hushpoint-store',
  timestamp: 'x-hushpoint-timestamp',
  release: 'x-hushpoint-release',
  signature: 'x-hushpoint-signature',
} as const;

export const SIGNATURE_PREFIX = 'v1=';
export const SIGNING_KEY_BYTES = 32;
export const MAX_CLOCK_SKEW_SECONDS = 300;

/** Release ids / idempotency keys: e.g. "footfall:2026-11-28T10:00+01:00". */
export const IDEMPOTENCY_KEY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9:._+-]{0,199}$';
const IDEMPOTENCY_KEY_RE = new RegExp(IDEMPOTENCY_KEY_PATTERN);
const KEY_HEX_RE = /^[0-9a-fA-F]{64}$/;
const SIGNATURE_RE = /^v1=[0-9a-f]{64}$/;

export interface SignatureInput {
  /** Unix seconds. */
  readonly timestamp: number;
  readonly idempotencyKey: string;
  readonly body: Uint8Array;
}

/** A new store signing key: 32 random bytes as 64 hex digits (what provisioning writes to the key file). */
export function generateSigningKey(rng: RandomSource): string {
  const key = new Uint8Array(SIGNING_KEY_BYTES);
  rng.fillBytes(key);
  return Buffer.from(key).toString('hex');
}

/** The key in a key file's text: exactly 64 hex digits (surrounding whitespace ignored). */
export function parseSigningKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  if (!KEY_HEX_RE.test(trimmed)) {
    throw new AppError(
      'CFG_INVALID',
      `The signing key file "${source}" holds ${trimmed.length} characters that are not a key, expected 64 hex digits (32 random bytes)`,
    );
  }
  return Buffer.from(trimmed, 'hex');
}

export function isIdempotencyKey(value: string): boolean {
  return IDEMPOTENCY_KEY_RE.test(value);
}

/** The exact bytes the MAC covers. */
export function signingInput(input: SignatureInput): Buffer {
  if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0)
    throw new RangeError(`timestamp is ${input.timestamp}, expected Unix seconds`);
  if (!isIdempotencyKey(input.idempotencyKey))
    throw new RangeError(`idempotency key "${input.idempotencyKey}" does not match ${IDEMPOTENCY_KEY_PATTERN}`);
  return Buffer.concat([Buffer.from(`${input.timestamp}\n${input.idempotencyKey}\n`, 'utf8'), input.body]);
}

function mac(key: Uint8Array, input: SignatureInput): Buffer {
  return createHmac('sha256', key).update(signingInput(input)).digest();
}

/** "v1=<hex>" for the X-Hushpoint-Signature header. */
export function sign(key: Uint8Array, input: SignatureInput): string {
  return `${SIGNATURE_PREFIX}${mac(key, input).toString('hex')}`;
}

/** The four headers of one attempt. */
export function signedHeaders(
  key: Uint8Array,
  request: { store: string; releaseId: string; body: Uint8Array; timestamp: number },
): Record<string, string> {
  return {
    [UPSTREAM_HEADERS.store]: request.store,
    [UPSTREAM_HEADERS.timestamp]: String(request.timestamp),
    [UPSTREAM_HEADERS.release]: request.releaseId,
    [UPSTREAM_HEADERS.signature]: sign(key, {
      timestamp: request.timestamp,
      idempotencyKey: request.releaseId,
      body: request.body,
    }),
  };
}

/**
 * True iff `signature` is the valid "v1=<hex>" signature of `input` under `key`. The comparison
 * is constant-time (timingSafeEqual over the 32 MAC bytes); a malformed header is compared
 * against a dummy so that its rejection takes the same path.
 */
export function verifySignature(key: Uint8Array, input: SignatureInput, signature: string): boolean {
  const expected = mac(key, input);
  const wellFormed = SIGNATURE_RE.test(signature);
  const presented = wellFormed
    ? Buffer.from(signature.slice(SIGNATURE_PREFIX.length), 'hex')
    : Buffer.alloc(expected.length);
  return timingSafeEqual(expected, presented) && wellFormed;
}

export type UpstreamRejection = {
  readonly ok: false;
  readonly status: number;
  readonly code: 'API_BAD_REQUEST' | 'AUTH_FORBIDDEN' | 'UPSTREAM_BAD_SIGNATURE' | 'UPSTREAM_STALE_TIMESTAMP';
  readonly message: string;
};

export type UpstreamVerification =
  | { readonly ok: true; readonly store: string; readonly releaseId: string; readonly timestamp: number }
  | UpstreamRejection;

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? undefined : value;
}

/**
 * The collector's check of one request, in this order: the four headers are present and well
 * formed; the store is known (`keyOf` returns its key, or null); the signature is valid; the
 * timestamp is within `maxSkewSeconds` of `nowSeconds`. The signature is checked before the
 * timestamp so that an unsigned request never learns anything about the collector's clock.
 */
export function verifyUpstreamRequest(
  request: { headers: Headers; body: Uint8Array },
  options: { keyOf: (store: string) => Uint8Array | null; nowSeconds: number; maxSkewSeconds?: number },
): UpstreamVerification {
  const store = header(request.headers, UPSTREAM_HEADERS.store);
  const timestampText = header(request.headers, UPSTREAM_HEADERS.timestamp);
  const releaseId = header(request.headers, UPSTREAM_HEADERS.release);
  const signature = header(request.headers, UPSTREAM_HEADERS.signature);
  const missing = (
    [
      [UPSTREAM_HEADERS.store, store],
      [UPSTREAM_HEADERS.timestamp, timestampText],
      [UPSTREAM_HEADERS.release, releaseId],
      [UPSTREAM_HEADERS.signature, signature],
    ] as const
  )
    .filter(([, value]) => value === undefined || value === '')
    .map(([name]) => name);
  if (
    missing.length > 0 ||
    store === undefined ||
    timestampText === undefined ||
    releaseId === undefined ||
    signature === undefined
  ) {
    return {
      ok: false,
      status: 400,
      code: 'API_BAD_REQUEST',
      message: `Missing header${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: a release must carry X-Hushpoint-Store, -Timestamp, -Release and -Signature (once each)`,
    };
  }
  if (!/^\d{1,15}$/.test(timestampText)) {
    return {
      ok: false,
      status: 400,
      code: 'API_BAD_REQUEST',
      message: `X-Hushpoint-Timestamp is "${timestampText.slice(0, 40)}", expected Unix seconds (digits only)`,
    };
  }
  if (!isIdempotencyKey(releaseId)) {
    return {
      ok: false,
      status: 400,
      code: 'API_BAD_REQUEST',
      message: `X-Hushpoint-Release is "${releaseId.slice(0, 60)}", expected a release id matching ${IDEMPOTENCY_KEY_PATTERN}`,
    };
  }
  const key = options.keyOf(store);
  if (key === null) {
    return {
      ok: false,
      status: 403,
      code: 'AUTH_FORBIDDEN',
      message: `Store "${store.slice(0, 64)}" is not configured on this collector, expected one of the stores listed in collector.yaml`,
    };
  }
  const timestamp = Number(timestampText);
  if (!verifySignature(key, { timestamp, idempotencyKey: releaseId, body: request.body }, signature)) {
    return {
      ok: false,
      status: 401,
      code: 'UPSTREAM_BAD_SIGNATURE',
      message: `Signature does not match: expected X-Hushpoint-Signature "v1=" + hex HMAC-SHA256 of timestamp, release id and body under the key of store "${store}"`,
    };
  }
  const skew = options.maxSkewSeconds ?? MAX_CLOCK_SKEW_SECONDS;
  const offset = timestamp - options.nowSeconds;
  if (Math.abs(offset) > skew) {
    return {
      ok: false,
      status: 401,
      code: 'UPSTREAM_STALE_TIMESTAMP',
      message: `X-Hushpoint-Timestamp ${timestamp} is ${Math.abs(offset)} s ${offset < 0 ? 'behind' : 'ahead of'} the collector's clock, expected within ±${skew} s (check the store's clock)`,
    };
  }
  return { ok: true, store, releaseId, timestamp };
}
