import { createHash } from 'node:crypto';
import type { IncomingRelease, QuarantineEntry } from './hq-store.ts';

export function sha256Of(body: Uint8Array): Buffer {
  return createHash('sha256').update(body).digest();
}

/** The quarantine entry of a copy whose id was already stored with different bytes. */
export function mismatchEntry(item: IncomingRelease): QuarantineEntry {
  return {
    source: item.source,
    topic: item.topic ?? null,
    store: item.normalized.store,
    releaseId: item.normalized.release,
    code: 'UPSTREAM_REPLAY_MISMATCH',
    reason: `Release "${item.normalized.release}" of store "${item.normalized.store}" was already received with different bytes (this copy sha256 ${item.sha256.toString('hex').slice(0, 16)}…); a release is computed once and must be re-sent verbatim`,
    body: item.body,
  };
}
