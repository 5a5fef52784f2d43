import type { ErrorCode } from '../shared/errors.ts';
import { decodeAnyReleasePayload } from '../shared/upstream/release-payload-v2.ts';
import { verifyUpstreamRequest } from '../shared/upstream/signing.ts';
import type { HqStore } from './adapters/sqlite-hq-store.ts';

/**
 * What the collector does with one POST /v1/releases, as a function of the request (headers and
 * raw body bytes), the keys and the clock: verify (headers, store, signature in constant time,
 * timestamp within the skew), decode the body, check it agrees with the headers, store it.
 *   201 {"ok":true,"release":…,"duplicate":false}        stored
 *   200 {"ok":true,"release":…,"duplicate":true}         identical bytes again (a retry)
 *   409 UPSTREAM_REPLAY_MISMATCH                         same release id, different bytes
 *   401 UPSTREAM_BAD_SIGNATURE / UPSTREAM_STALE_TIMESTAMP
 *   403 AUTH_FORBIDDEN (unknown store), 400 API_BAD_REQUEST (headers or body)
 * Every refusal is also recorded in the collector's database.
 */

export interface ReceiveResult {
  readonly status: number;
  readonly body:
    { ok: true; release: string; duplicate: boolean } | { ok: false; error: { code: ErrorCode; message: string } };
}

export function receiveRelease(
  request: { headers: Readonly<Record<string, string | string[] | undefined>>; body: Buffer },
  deps: { store: HqStore; keyOf: (store: string) => Uint8Array | null; nowMs: number; maxSkewSeconds: number },
): ReceiveResult {
  const refuse = (
    status: number,
    code: ErrorCode,
    message: string,
    store: string | null,
    releaseId: string | null,
  ): ReceiveResult => {
    deps.store.refuse({ store, releaseId, code, message }, deps.nowMs);
    return { status, body: { ok: false, error: { code, message } } };
  };
  const headerStore =
    typeof request.headers['x-hushpoint-store'] === 'string' ? request.headers['x-hushpoint-store'].slice(0, 64) : null;
  const headerRelease =
    typeof request.headers['x-hushpoint-release'] === 'string'
      ? request.headers['x-hushpoint-release'].slice(0, 200)
      : null;
  const verified = verifyUpstreamRequest(request, {
    keyOf: deps.keyOf,
    nowSeconds: Math.floor(deps.nowMs / 1000),
    maxSkewSeconds: deps.maxSkewSeconds,
  });
  if (!verified.ok) return refuse(verified.status, verified.code, verified.message, headerStore, headerRelease);
  const decoded = decodeAnyReleasePayload(request.body);
  if (!decoded.ok) {
    const problems = decoded.problems
      .slice(0, 5)
      .map((p) => `${p.path || '/'} ${p.message}`)
      .join('; ');
    return refuse(
      400,
      'API_BAD_REQUEST',
      `Release body is not a valid release: ${problems}`,
      verified.store,
      verified.releaseId,
    );
  }
  const payload = decoded.value;
  if (payload.store !== verified.store || payload.release !== verified.releaseId) {
    return refuse(
      400,
      'API_BAD_REQUEST',
      `Release body names store "${payload.store}" and release "${payload.release}", expected the headers' "${verified.store}" and "${verified.releaseId}"`,
      verified.store,
      verified.releaseId,
    );
  }
  const outcome = deps.store.put(payload, request.body, deps.nowMs);
  if (outcome === 'mismatch') {
    return refuse(
      409,
      'UPSTREAM_REPLAY_MISMATCH',
      `Release "${payload.release}" of store "${payload.store}" was already received with different bytes; a release is computed once and must be re-sent verbatim`,
      payload.store,
      payload.release,
    );
  }
  return {
    status: outcome === 'stored' ? 201 : 200,
    body: { ok: true, release: payload.release, duplicate: outcome === 'duplicate' },
  };
}
