import type { ErrorCode } from '../../shared/errors.ts';
import { verifyUpstreamRequest } from '../../shared/upstream/signing.ts';
import { sha256Of } from '../storage/mismatch.ts';
import type { QuarantineEntry } from '../storage/hq-store.ts';
import type { BatchWriter } from './batch-writer.ts';
import { classifyRelease } from './core/classify.ts';

/**
 * One POST /v1/releases (the hub's HTTPS upstream, shared/upstream/signing.ts): verify the four
 * headers, the store and the signature (constant time) and the timestamp; classify the body
 * (core/classify.ts, with the signed store); store it through the batch writer. Answers, as the
 * hubs expect them:
 *   201 {"ok":true,"release":…,"duplicate":false}        stored
 *   200 {"ok":true,"release":…,"duplicate":true}         identical bytes again (a retry)
 *   409 UPSTREAM_REPLAY_MISMATCH                         same release id, different bytes
 *   401 UPSTREAM_BAD_SIGNATURE / UPSTREAM_STALE_TIMESTAMP
 *   403 AUTH_FORBIDDEN (unknown store), 400 API_BAD_REQUEST (headers) / PROTO_BAD_PAYLOAD (body)
 *   503 STORE_FAILED                                     the database is down; retry later
 * Refusals are quarantined too: without the body when the request was not authenticated (so an
 * anonymous client cannot fill the database), with it when a configured store sent bad bytes.
 */

export interface ReceiveResult {
  readonly status: number;
  readonly body:
    { ok: true; release: string; duplicate: boolean } | { ok: false; error: { code: ErrorCode; message: string } };
}

export interface ReceiveDeps {
  readonly writer: BatchWriter;
  readonly keyOf: (store: string) => Uint8Array | null;
  readonly knownStores: ReadonlySet<string>;
  readonly nowMs: number;
  readonly maxSkewSeconds: number;
  readonly onRefused: (code: ErrorCode) => void;
}

export async function receiveRelease(
  request: { headers: Readonly<Record<string, string | string[] | undefined>>; body: Buffer },
  deps: ReceiveDeps,
): Promise<ReceiveResult> {
  const refuse = async (status: number, entry: Omit<QuarantineEntry, 'source' | 'topic'>): Promise<ReceiveResult> => {
    deps.onRefused(entry.code);
    await deps.writer.quarantine({ ...entry, source: 'https', topic: null }).catch(() => undefined);
    return { status, body: { ok: false, error: { code: entry.code, message: entry.reason } } };
  };
  const claimed = (name: string, max: number): string | null => {
    const value = request.headers[name];
    return typeof value === 'string' ? value.slice(0, max) : null;
  };
  const verified = verifyUpstreamRequest(request, {
    keyOf: deps.keyOf,
    nowSeconds: Math.floor(deps.nowMs / 1000),
    maxSkewSeconds: deps.maxSkewSeconds,
  });
  if (!verified.ok) {
    return refuse(verified.status, {
      store: claimed('x-hushpoint-store', 64),
      releaseId: claimed('x-hushpoint-release', 200),
      code: verified.code,
      reason: verified.message,
      body: null,
    });
  }
  const classified = classifyRelease(request.body, { store: verified.store, knownStores: deps.knownStores });
  if (!classified.ok) {
    return refuse(classified.code === 'AUTH_FORBIDDEN' ? 403 : 400, {
      store: verified.store,
      releaseId: classified.releaseId ?? verified.releaseId,
      code: classified.code,
      reason: classified.reason,
      body: request.body,
    });
  }
  const release = classified.release;
  if (release.release !== verified.releaseId) {
    return refuse(400, {
      store: verified.store,
      releaseId: verified.releaseId,
      code: 'PROTO_BAD_PAYLOAD',
      reason: `Release body names release "${release.release}", expected the headers' "${verified.releaseId}"`,
      body: request.body,
    });
  }
  const outcome = await deps.writer.submit({
    normalized: release,
    body: request.body,
    sha256: sha256Of(request.body),
    source: 'https',
  });
  if (outcome === 'mismatch') {
    deps.onRefused('UPSTREAM_REPLAY_MISMATCH');
    return {
      status: 409,
      body: {
        ok: false,
        error: {
          code: 'UPSTREAM_REPLAY_MISMATCH',
          message: `Release "${release.release}" of store "${release.store}" was already received with different bytes; a release is computed once and must be re-sent verbatim`,
        },
      },
    };
  }
  return {
    status: outcome === 'stored' ? 201 : 200,
    body: { ok: true, release: release.release, duplicate: outcome === 'duplicate' },
  };
}
