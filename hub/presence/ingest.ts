import type { Database } from 'better-sqlite3';
import type { Logger } from '../../shared/ports/logger.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { decodePayload, decodePresenceBatch } from '../../shared/protocol/codec.ts';
import type { CommandReply, GatewayStatus } from '../../shared/protocol/messages.ts';
import type { Problem } from '../../shared/validation.ts';
import { BAND_CODES } from './core/presence-model.ts';
import { recordGatewayStatus } from '../broker/mod.ts';
import type { Counters } from '../storage/mod.ts';
import type { ShopperDirectory } from '../shoppers/mod.ts';

/**
 * Durable ingest (docs/architecture.md#durability). Every accepted message is committed to SQLite before the promise
 * resolves, and the broker acknowledges (PUBACK) only after that. Messages that arrive together
 * are committed together (group commit: one transaction holds several whole batches, never part
 * of one), which keeps the fsync-free WAL commit cost off the per-batch path. `(gateway, seq)` is
 * the batches table's key, so a replayed batch changes nothing. A payload that fails validation
 * is acknowledged too, and kept in the quarantine table with every problem found.
 */

export interface CommittedBatch {
  seq: number;
  windowStart: number;
  windowSeconds: number;
  /** Sightings in the batch (resolved or not). */
  sightings: number;
}

export interface IngestHooks {
  /** After commit, for each new (not replayed) presence batch. */
  batchCommitted?(gateway: string, batch: CommittedBatch, nowMs: number): void;
  statusCommitted?(gateway: string, status: GatewayStatus): void;
  replyCommitted?(gateway: string, command: string, reply: CommandReply): void;
}

export interface IngestDeps {
  db: Database;
  directory: ShopperDirectory;
  counters: Counters;
  clock: Clock;
  logger: Logger;
  /** The zone of a gateway (from the registry). */
  zoneOf(gateway: string): string | undefined;
  /** Windows starting before this (Unix s) were already finalised by the presence model. */
  presenceCursor(): number;
  hooks?: IngestHooks;
  /** Most messages committed in one transaction. */
  maxGroup?: number;
}

export type IngestOutcome = 'stored' | 'duplicate' | 'quarantined';

interface MessageRef {
  clientId: string;
  gateway: string;
  topic: string;
  payload: Buffer;
}

interface Pending {
  work: () => IngestOutcome;
  after?: (outcome: IngestOutcome) => void;
  resolve: (outcome: IngestOutcome) => void;
  reject: (error: unknown) => void;
  /** The message, to quarantine it if storing it fails on its own (not for quarantine rows). */
  message?: MessageRef;
}

/**
 * Whether the database accepts data (docs/hub.md#storage): "full" after SQLITE_FULL (disk or
 * page limit), "failing" after another storage error; back to "ok" at the next commit. While
 * not ok the hub refuses gateway messages (no PUBACK: they stay in the gateways' outboxes).
 */
export interface StorageHealth {
  state: 'ok' | 'full' | 'failing';
  sinceMs: number | null;
  /** The SQLite error code of the last failure, e.g. SQLITE_FULL. */
  lastError: string | null;
  /** Messages refused since the hub started because the storage failed. */
  refused: number;
}

export interface Ingest {
  /** The storage's state as the last commits saw it. */
  storageHealth(): StorageHealth;
  presence(clientId: string, gateway: string, topic: string, payload: Buffer): Promise<IngestOutcome>;
  status(clientId: string, gateway: string, topic: string, payload: Buffer): Promise<IngestOutcome>;
  reply(clientId: string, gateway: string, command: string, topic: string, payload: Buffer): Promise<IngestOutcome>;
  /** Resolves when everything submitted so far is committed. */
  drain(): Promise<void>;
}

// Longer than a screen: one closure over the service's state whose methods are each short; the pure logic is in core/.
export function createIngest(deps: IngestDeps): Ingest {
  const { db, counters, clock, logger } = deps;
  const maxGroup = deps.maxGroup ?? 256;
  const insertBatch = db.prepare(
    'INSERT OR IGNORE INTO batches (gateway, seq, window_start, window_seconds, received_ms, sightings, resolved, dropped) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertSighting = db.prepare(
    'INSERT INTO sightings (window_start, window_seconds, shopper_pk, gateway, zone, band, hits) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const touchGateway = db.prepare(
    'UPDATE gateways SET last_batch_ms = ?, last_seq = MAX(COALESCE(last_seq, -1), ?) WHERE id = ?',
  );
  const insertQuarantine = db.prepare(
    'INSERT INTO quarantine (received_ms, client_id, gateway, topic, problems, payload) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertReply = db.prepare(
    'INSERT INTO command_replies (received_ms, gateway, command, transaction_id, ok, body) VALUES (?, ?, ?, ?, ?, ?)',
  );

  const health: StorageHealth = { state: 'ok', sinceMs: null, lastError: null, refused: 0 };
  let lastHealthLogMs = -Infinity;

  function storageFailed(error: unknown, messages: number): void {
    const code = String((error as { code?: unknown }).code ?? 'error');
    const state = code.startsWith('SQLITE_FULL') ? 'full' : 'failing';
    const nowMs = clock.now();
    health.refused += messages;
    if (health.state !== state) Object.assign(health, { state, sinceMs: nowMs });
    health.lastError = code;
    // One line a minute while it lasts, not one per refused message.
    if (nowMs - lastHealthLogMs >= 60_000) {
      lastHealthLogMs = nowMs;
      logger.error(
        { code, state, refusedSoFar: health.refused },
        state === 'full'
          ? 'database full: refusing gateway messages until space is freed (they stay in the gateway outboxes)'
          : 'database failing: refusing gateway messages until it recovers',
      );
    }
  }

  function storageOk(): void {
    if (health.state === 'ok') return;
    logger.info({ after: health.lastError, refused: health.refused }, 'database accepts data again');
    Object.assign(health, { state: 'ok', sinceMs: null });
    lastHealthLogMs = -Infinity;
  }

  let queue: Pending[] = [];
  let scheduled = false;
  let idle: Array<() => void> = [];

  const runGroup = db.transaction((group: Pending[]) => {
    const outcomes = group.map((p) => p.work());
    counters.flush();
    return outcomes;
  });

  /**
   * Commits a group; if it fails, the buffered counters are restored (the rollback undid their
   * rows) and each message is tried alone, so one message cannot fail the others. A message that
   * fails alone with a storage error (disk full, I/O, busy: docs/architecture.md#durability) is
   * refused — no PUBACK, the gateway keeps it and sends it again; any other error belongs to that
   * message (it would fail every time), so it goes to the quarantine instead of blocking the
   * gateway's outbox behind it.
   */
  function commit(group: Pending[]): Array<IngestOutcome | { error: unknown }> {
    const mark = counters.snapshot();
    try {
      const outcomes = runGroup(group);
      storageOk();
      return outcomes;
    } catch (error) {
      counters.restore(mark);
      if (group.length > 1) return group.flatMap((p) => commit([p]));
      const p = group[0] as Pending;
      if (isStorageError(error)) {
        storageFailed(error, 1);
        return [{ error }];
      }
      if (p.message === undefined) {
        logger.error({ err: error }, 'ingest commit failed');
        return [{ error }];
      }
      logger.error(
        { err: error, gateway: p.message.gateway, topic: p.message.topic },
        'ingest could not store a message',
      );
      counters.add('ingestErrors');
      counters.add('quarantined');
      const { message } = p;
      return commit([{ ...p, work: quarantineWork(message, [internalProblem(error)]), message: undefined }]);
    }
  }

  function flush(): void {
    scheduled = false;
    while (queue.length > 0) {
      const group = queue.slice(0, maxGroup);
      queue = queue.slice(group.length);
      const results = commit(group);
      group.forEach((p, i) => {
        const result = results[i] as IngestOutcome | { error: unknown };
        if (typeof result !== 'string') {
          p.reject(result.error);
          return;
        }
        try {
          if (result !== 'quarantined' || p.message === undefined) p.after?.(result);
        } catch (error) {
          logger.error({ err: error }, 'ingest hook failed');
        }
        p.resolve(result);
      });
    }
    const waiting = idle;
    idle = [];
    for (const done of waiting) done();
  }

  function submit(
    work: () => IngestOutcome,
    after?: (outcome: IngestOutcome) => void,
    message?: MessageRef,
  ): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      queue.push({ work, resolve, reject, ...(after ? { after } : {}), ...(message ? { message } : {}) });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  }

  function quarantineWork(message: MessageRef, problems: Problem[]): () => IngestOutcome {
    const nowMs = clock.now();
    return () => {
      insertQuarantine.run(
        nowMs,
        message.clientId,
        message.gateway,
        message.topic,
        JSON.stringify(problems),
        message.payload,
      );
      return 'quarantined';
    };
  }

  /**
   * Runs the checks and preparation of one message before it is queued. A bug there (an
   * exception the checks did not foresee) quarantines the message rather than leaving it unacknowledged.
   */
  function guarded(message: MessageRef, prepare: () => Promise<IngestOutcome>): Promise<IngestOutcome> {
    try {
      return prepare();
    } catch (error) {
      logger.error(
        { err: error, gateway: message.gateway, topic: message.topic },
        'ingest could not process a message',
      );
      counters.add('ingestErrors');
      return quarantine(message.clientId, message.gateway, message.topic, message.payload, [internalProblem(error)]);
    }
  }

  function quarantine(
    clientId: string,
    gateway: string,
    topic: string,
    payload: Buffer,
    problems: Problem[],
  ): Promise<IngestOutcome> {
    counters.add('quarantined');
    logger.warn(
      {
        code: 'PROTO_BAD_PAYLOAD',
        clientId,
        gateway,
        topic,
        problems: problems.slice(0, 5),
        problemCount: problems.length,
      },
      'payload quarantined',
    );
    return submit(quarantineWork({ clientId, gateway, topic, payload }, problems));
  }

  return {
    storageHealth: () => ({ ...health }),
    presence: (clientId, gateway, topic, payload) =>
      guarded({ clientId, gateway, topic, payload }, () => presence(clientId, gateway, topic, payload)),
    status: (clientId, gateway, topic, payload) =>
      guarded({ clientId, gateway, topic, payload }, () => status(clientId, gateway, topic, payload)),
    reply: (clientId, gateway, command, topic, payload) =>
      guarded({ clientId, gateway, topic, payload }, () => reply(clientId, gateway, command, topic, payload)),

    drain() {
      if (!scheduled && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };

  function presence(clientId: string, gateway: string, topic: string, payload: Buffer): Promise<IngestOutcome> {
    const nowMs = clock.now();
    const decoded = decodePresenceBatch(payload, { nowSeconds: Math.floor(nowMs / 1000) });
    if (!decoded.ok) return quarantine(clientId, gateway, topic, payload, decoded.problems);
    const batch = decoded.value;
    if (batch.gateway !== gateway) {
      return quarantine(clientId, gateway, topic, payload, [
        { path: '/gateway', message: `is "${batch.gateway}", expected "${gateway}" (the gateway that published it)` },
      ]);
    }
    const zone = deps.zoneOf(gateway);
    if (zone === undefined) {
      return quarantine(clientId, gateway, topic, payload, [
        { path: '', message: `gateway "${gateway}" has no zone in the registry` },
      ]);
    }
    // Resolve before the transaction (the resolver may have to build a period table), and keep
    // only what the commit needs: a queued batch holds a small typed array, not the parsed JSON.
    const lookup = deps.directory.resolver.lookupFor(batch.windowStart);
    const rows = new Int32Array(batch.sightings.length * 3);
    let resolved = 0;
    let unresolved = 0;
    let paused = 0;
    let noConsent = 0;
    for (const s of batch.sightings) {
      const pk = lookup(s.eid);
      if (pk === undefined) {
        unresolved++;
        continue;
      }
      const info = deps.directory.info(pk);
      const until = info?.pausedUntilMs ?? null;
      if (until !== null && until > nowMs) {
        paused++;
        continue;
      }
      // Neither presence for offers nor analytics consented: the shopper's presence is not collected at all.
      if (info !== undefined && !info.collect) {
        noConsent++;
        continue;
      }
      rows[resolved * 3] = pk;
      rows[resolved * 3 + 1] = BAND_CODES[s.band];
      rows[resolved * 3 + 2] = s.hits;
      resolved++;
    }
    const { seq, windowStart, windowSeconds, dropped } = batch;
    const total = batch.sightings.length;
    const late = windowStart < deps.presenceCursor();
    return submit(
      () => {
        const inserted = insertBatch.run(
          gateway,
          seq,
          windowStart,
          windowSeconds,
          nowMs,
          total,
          resolved,
          dropped,
        ).changes;
        if (inserted === 0) {
          counters.add('duplicateBatches');
          return 'duplicate';
        }
        for (let i = 0; i < resolved * 3; i += 3)
          insertSighting.run(windowStart, windowSeconds, rows[i], gateway, zone, rows[i + 1], rows[i + 2]);
        touchGateway.run(nowMs, seq, gateway);
        counters.add('batches');
        counters.add('sightings', total);
        counters.add('resolved', resolved);
        counters.add('unresolved', unresolved);
        counters.add('pausedDiscarded', paused);
        counters.add('noConsentDiscarded', noConsent);
        if (late) counters.add('lateSightings', resolved);
        return 'stored';
      },
      (outcome) => {
        if (outcome === 'stored')
          deps.hooks?.batchCommitted?.(gateway, { seq, windowStart, windowSeconds, sightings: total }, nowMs);
      },
      { clientId, gateway, topic, payload },
    );
  }

  function status(clientId: string, gateway: string, topic: string, payload: Buffer): Promise<IngestOutcome> {
    const decoded = decodePayload('GatewayStatus', payload);
    if (!decoded.ok) return quarantine(clientId, gateway, topic, payload, decoded.problems);
    const status = decoded.value;
    if (status.gateway !== gateway) {
      return quarantine(clientId, gateway, topic, payload, [
        {
          path: '/gateway',
          message: `is "${status.gateway}", expected "${gateway}" (the gateway that published it)`,
        },
      ]);
    }
    const nowMs = clock.now();
    return submit(
      () => {
        recordGatewayStatus(db, gateway, status, nowMs);
        counters.add('statusMessages');
        return 'stored';
      },
      () => deps.hooks?.statusCommitted?.(gateway, status),
      { clientId, gateway, topic, payload },
    );
  }

  function reply(
    clientId: string,
    gateway: string,
    command: string,
    topic: string,
    payload: Buffer,
  ): Promise<IngestOutcome> {
    const decoded = decodePayload('CommandReply', payload);
    if (!decoded.ok) return quarantine(clientId, gateway, topic, payload, decoded.problems);
    const reply = decoded.value;
    const nowMs = clock.now();
    return submit(
      () => {
        insertReply.run(nowMs, gateway, command, reply.transaction, reply.ok ? 1 : 0, JSON.stringify(reply));
        counters.add('commandReplies');
        return 'stored';
      },
      () => deps.hooks?.replyCommitted?.(gateway, command, reply),
      { clientId, gateway, topic, payload },
    );
  }
}

/** SQLite errors of the storage itself (the data may be fine): full, I/O, locked, read-only, out of memory. */
function isStorageError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|NOMEM|CANTOPEN|CORRUPT|NOTADB|PROTOCOL|INTERRUPT)/.test(code)
  );
}

function internalProblem(error: unknown): Problem {
  const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'error';
  return {
    path: '',
    message: `could not be processed by the hub (internal ${code}: ${error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200)}); kept here for the technician`,
  };
}
