import type { ErrorCode } from '../../../shared/errors.ts';
import { parseReleaseTopic } from '../../../shared/protocol/topics.ts';
import { formatProblems } from '../../../shared/validation.ts';
import { decodeAnyReleasePayload } from '../../../shared/upstream/release-payload-v2.ts';
import { itemStatisticsProblem } from '../../../shared/recommend/mod.ts';
import { normalizeRelease, type NormalizedRelease } from '../../storage/core/normalize.ts';

/**
 * What HQ does with the bytes of one arriving release (pure): a valid release of a configured
 * store, consistent with where it came from, is accepted; anything else goes to the quarantine
 * with a code and a reason a person can act on. Checked in order:
 *   MQTT topic is a release topic            PROTO_BAD_TOPIC
 *   payload is a valid v1 or v2 release       PROTO_BAD_PAYLOAD (the first problems, by pointer)
 *   no control characters in names            PROTO_BAD_PAYLOAD (PostgreSQL text cannot hold U+0000)
 *   topic's store = payload's store           AUTH_FORBIDDEN (the broker authenticated the topic's store)
 *   topic's kind = payload's kind             PROTO_BAD_PAYLOAD
 *   item-supports / item-covariance measures  PROTO_BAD_PAYLOAD (period window, metric, granularity, counts)
 *   the store is configured at HQ             AUTH_FORBIDDEN
 * HTTPS requests are authenticated by signature before this (receive-release.ts), which passes
 * the signed store as `from.store`.
 */

export type Classified =
  | { readonly ok: true; readonly release: NormalizedRelease }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly reason: string;
      readonly store: string | null;
      readonly releaseId: string | null;
    };

export interface Origin {
  /** The MQTT topic (MQTT path). */
  readonly topic?: string;
  /** The store that authenticated (HTTPS signature). */
  readonly store?: string;
  /** The stores HQ accepts (null: any store the transport authenticated). */
  readonly knownStores: ReadonlySet<string> | null;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function refuse(code: ErrorCode, reason: string, store: string | null, releaseId: string | null): Classified {
  return { ok: false, code, reason, store, releaseId };
}

export function classifyRelease(body: Uint8Array, origin: Origin): Classified {
  const fromTopic = origin.topic === undefined ? null : parseReleaseTopic(origin.topic);
  if (origin.topic !== undefined && fromTopic === null) {
    return refuse(
      'PROTO_BAD_TOPIC',
      `Topic "${origin.topic.slice(0, 200)}" is not a release topic, expected hushpoint/v1/{store}/releases/{kind}`,
      null,
      null,
    );
  }
  const claimedStore = fromTopic?.store ?? origin.store ?? null;
  const decoded = decodeAnyReleasePayload(body);
  if (!decoded.ok) {
    return refuse(
      'PROTO_BAD_PAYLOAD',
      `Payload is not a valid release: ${formatProblems(decoded.problems.slice(0, 5)).join('; ')}`,
      claimedStore,
      null,
    );
  }
  const payload = decoded.value;
  const names = [payload.kind, ...payload.cells, ...payload.measures.map((m) => m.metric)];
  const bad = names.find((name) => CONTROL.test(name));
  if (bad !== undefined) {
    return refuse(
      'PROTO_BAD_PAYLOAD',
      `Payload names ${JSON.stringify(bad.slice(0, 60))}, which contains a control character, expected printable names`,
      payload.store,
      payload.release,
    );
  }
  const expectedStore = fromTopic?.store ?? origin.store;
  if (expectedStore !== undefined && payload.store !== expectedStore) {
    return refuse(
      'AUTH_FORBIDDEN',
      `Payload names store "${payload.store}" but came from store "${expectedStore}", expected its own releases only`,
      expectedStore,
      payload.release,
    );
  }
  if (fromTopic !== null && payload.kind !== fromTopic.kind) {
    return refuse(
      'PROTO_BAD_PAYLOAD',
      `Payload is a "${payload.kind}" release on the topic of kind "${fromTopic.kind}", expected the same kind`,
      payload.store,
      payload.release,
    );
  }
  const itemProblem = payload.v === 2 ? itemStatisticsProblem(payload) : null;
  if (itemProblem !== null) {
    return refuse(
      'PROTO_BAD_PAYLOAD',
      `Payload is not a usable item statistics release: ${itemProblem}`,
      payload.store,
      payload.release,
    );
  }
  if (origin.knownStores !== null && !origin.knownStores.has(payload.store)) {
    return refuse(
      'AUTH_FORBIDDEN',
      `Store "${payload.store}" is not configured at HQ, expected one of the stores in hq.yaml`,
      payload.store,
      payload.release,
    );
  }
  return { ok: true, release: normalizeRelease(payload) };
}
