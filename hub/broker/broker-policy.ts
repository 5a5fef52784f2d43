import type { Database } from 'better-sqlite3';
import type { Logger } from '../../shared/ports/logger.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import {
  clockTopic,
  gatewayMayPublish,
  gatewayMaySubscribe,
  isValidId,
  parseTopic,
} from '../../shared/protocol/topics.ts';
import { createBucket, tryTake, type TokenBucket } from '../../shared/rate-limit/token-bucket.ts';
import { createOnceFilter } from '../../shared/logging/once-filter.ts';
import { credentialOf } from './gateway-registry.ts';
import { verifyCredential } from './credential-hash.ts';
import type { AuthDecision, BrokerPolicy, PublishDecision, PublishRequest, Session } from './aedes-broker.ts';
import type { Counters, CounterName } from '../storage/mod.ts';

/**
 * What the broker allows (docs/architecture.md#wire-protocol): per-gateway credentials checked against scrypt hashes,
 * revoked gateways refused, the topic ACL, a per-client publish rate limit and a client limit.
 * Every refusal is counted, and logged once per client id and reason (a reconnect loop must
 * not flood the journal). Accepted publishes go to the durable ingest before the PUBACK.
 */

/**
 * Where accepted gateway messages go (the hub's durable ingest). Each promise resolves once the
 * message is committed; the broker sends the PUBACK only then (docs/architecture.md#durability).
 */
export interface GatewayMessageSink {
  presence(clientId: string, gateway: string, topic: string, payload: Buffer): Promise<unknown>;
  status(clientId: string, gateway: string, topic: string, payload: Buffer): Promise<unknown>;
  reply(clientId: string, gateway: string, command: string, topic: string, payload: Buffer): Promise<unknown>;
}

export interface PolicyDeps {
  db: Database;
  store: string;
  ingest: GatewayMessageSink;
  counters: Counters;
  clock: Clock;
  logger: Logger;
  maxClients: number;
  connectedClients(): number;
  rate: { ratePerSecond: number; burst: number };
  maxPacketBytes: number;
  /** The payload of the hub clock message, for a gateway that just subscribed to it. */
  clockPayload(): Buffer;
}

export function createBrokerPolicy(deps: PolicyDeps): BrokerPolicy {
  const { db, store, counters, logger } = deps;
  const once = createOnceFilter();
  const buckets = new Map<string, TokenBucket>();

  function refuse(counter: CounterName, clientId: string, reason: string, fields: Record<string, unknown> = {}): void {
    counters.add(counter);
    if (once.first(`${clientId}\u0000${reason}`)) logger.warn({ clientId, reason, ...fields }, 'broker refused');
  }

  async function authenticate(
    clientId: string,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<AuthDecision> {
    if (deps.connectedClients() >= deps.maxClients) {
      refuse('refusedConnections', clientId, 'too many clients', { maxClients: deps.maxClients });
      return { ok: false, returnCode: 3, reason: `too many clients (${deps.maxClients})` };
    }
    if (username === undefined || password === undefined || !isValidId(username)) {
      refuse('refusedConnections', clientId, 'missing or malformed username or password');
      return {
        ok: false,
        returnCode: 4,
        reason: 'username (the gateway id) and password (its credential) are required',
      };
    }
    const stored = credentialOf(db, username);
    // Unknown gateways cost a scrypt too, so timing does not tell which gateway ids exist.
    const valid = await verifyCredential(stored?.hash ?? DUMMY_HASH, password);
    if (stored === null || !valid) {
      refuse('refusedConnections', clientId, 'bad username or credential', { gateway: username });
      return { ok: false, returnCode: 4, reason: 'bad username or credential' };
    }
    if (stored.revoked) {
      refuse('refusedConnections', clientId, 'gateway revoked', { gateway: username });
      return { ok: false, returnCode: 5, reason: `gateway "${username}" is revoked` };
    }
    return { ok: true, gateway: username, credentialHash: stored.hash };
  }

  async function authorizePublish(session: Session, request: PublishRequest): Promise<PublishDecision> {
    const { clientId, gateway } = session;
    if (!gatewayMayPublish(store, gateway, request.topic)) {
      refuse('refusedPublishes', clientId, 'topic not allowed', { gateway, topic: request.topic.slice(0, 200) });
      return { ok: false, reason: `gateway "${gateway}" may not publish to "${request.topic}"` };
    }
    if (request.payload.length > deps.maxPacketBytes) {
      refuse('oversizedPackets', clientId, 'payload too large', { gateway, bytes: request.payload.length });
      return {
        ok: false,
        reason: `payload is ${request.payload.length} bytes, expected at most ${deps.maxPacketBytes}`,
      };
    }
    if (!request.will) {
      // One bucket per gateway, kept across reconnects (a reconnect must not refill it).
      const now = deps.clock.now();
      let bucket = buckets.get(gateway);
      if (bucket === undefined) {
        bucket = createBucket(deps.rate, now);
        buckets.set(gateway, bucket);
      }
      if (!tryTake(bucket, deps.rate, now)) {
        refuse('rateLimited', clientId, 'publish rate exceeded', { gateway, ratePerSecond: deps.rate.ratePerSecond });
        return { ok: false, reason: `more than ${deps.rate.ratePerSecond} publishes per second` };
      }
    }
    const topic = parseTopic(request.topic);
    // gatewayMayPublish accepted it, so it is this gateway's presence, status or reply.
    if (topic?.kind === 'presence') await deps.ingest.presence(clientId, gateway, request.topic, request.payload);
    else if (topic?.kind === 'status') {
      request.retain = request.retain && request.qos > 0;
      await deps.ingest.status(clientId, gateway, request.topic, request.payload);
    } else if (topic?.kind === 'reply')
      await deps.ingest.reply(clientId, gateway, topic.command, request.topic, request.payload);
    if (topic?.kind !== 'status') request.retain = false;
    return { ok: true };
  }

  return {
    authenticate,
    authorizePublish,
    authorizeSubscribe(session, filter) {
      if (gatewayMaySubscribe(store, session.gateway, filter)) return true;
      refuse('refusedSubscriptions', session.clientId, 'subscription not allowed', {
        gateway: session.gateway,
        filter: filter.slice(0, 200),
      });
      return false;
    },
    subscribed(_session, filter, send) {
      if (filter === clockTopic(store)) send(filter, deps.clockPayload());
    },
    oversized(clientId, bytes) {
      refuse('oversizedPackets', clientId ?? '(connecting)', 'packet too large', {
        bytes,
        maxPacketBytes: deps.maxPacketBytes,
      });
    },
  };
}

/** A scrypt hash (same parameters as real ones) of a random value nobody knows, checked for unknown usernames. */
const DUMMY_HASH = 'scrypt$16384$2$1$EgAvCsGxfgrPxVJsDb96Sg$Yor7RJ_87yM_uyn1SSrIlyAWcXOBodNyoFSr9CchwqQ';
