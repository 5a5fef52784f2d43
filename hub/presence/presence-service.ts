import type { Database } from 'better-sqlite3';
import type { Logger } from '../../shared/ports/logger.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import {
  closeIdleVisit,
  emptyPresence,
  evidenceByZone,
  observeWindow,
  type PresenceOp,
  type PresenceParams,
  type ShopperPresence,
} from './core/presence-model.ts';
import { watermark, type GatewayProgress } from './core/watermark.ts';
import type { Counters } from '../storage/mod.ts';
import type { VisitEndEvent, ZoneEnterEvent } from '../events.ts';

/**
 * Runs the presence model over committed sightings: windows are finalised once every active
 * gateway has delivered past them (core/watermark.ts), in time order, and the model's output —
 * zone per shopper-window, visits, dwell per zone — is written in one transaction together
 * with the model state and the cursor, so a restart continues exactly where it stopped.
 * Zone entries are announced after the commit (`zoneEnter`), for the offers engine.
 */

export interface PresenceDeps {
  db: Database;
  counters: Counters;
  clock: Clock;
  logger: Logger;
  params: PresenceParams & { gatewayStaleSeconds: number };
  shopperIdOf(pk: number): string | undefined;
  onZoneEnter(event: ZoneEnterEvent): void;
  onVisitEnd(event: VisitEndEvent): void;
  /** Windows handled per transaction. */
  windowsPerStep?: number;
}

export interface PresenceService {
  /** Windows starting before this (Unix s) are final. */
  cursor(): number;
  noteBatch(gateway: string, windowEnd: number, nowMs: number): void;
  /** Finalises what the watermark allows (or everything received, with `all`); returns windows finalised. */
  finalize(options?: { all?: boolean }): number;
  /** Drops a deleted shopper's cached state. */
  forget(shopperPk: number): void;
}

interface SightingRow {
  window_start: number;
  window_seconds: number;
  shopper_pk: number;
  zone: string;
  band: number;
  hits: number;
}

// Longer than a screen: one closure over the service's state whose methods are each short; the pure logic is in core/.
export function createPresenceService(deps: PresenceDeps): PresenceService {
  const { db, counters, params } = deps;
  const progress = new Map<string, GatewayProgress>();
  const states = new Map<number, ShopperPresence>();
  const windowsPerStep = deps.windowsPerStep ?? 32;

  const getMeta = db.prepare("SELECT value FROM meta WHERE key = 'presence.cursor'");
  const setMeta = db.prepare(
    "INSERT INTO meta (key, value) VALUES ('presence.cursor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  );
  const nextWindows = db.prepare(
    'SELECT DISTINCT window_start AS w FROM sightings WHERE window_start >= ? AND window_start < ? ORDER BY window_start LIMIT ?',
  );
  const windowRows = db.prepare(
    'SELECT window_start, window_seconds, shopper_pk, zone, band, hits FROM sightings WHERE window_start >= ? AND window_start <= ? ORDER BY window_start, shopper_pk',
  );
  const loadState = db.prepare('SELECT state FROM presence_state WHERE shopper_pk = ?');
  const saveState = db.prepare(
    'INSERT INTO presence_state (shopper_pk, state) VALUES (?, ?) ON CONFLICT(shopper_pk) DO UPDATE SET state = excluded.state',
  );
  const openStates = db.prepare(
    "SELECT shopper_pk FROM presence_state WHERE json_extract(state, '$.visitStartedAt') IS NOT NULL",
  );
  const assign = db.prepare(
    'INSERT INTO zone_windows (shopper_pk, window_start, window_seconds, zone) VALUES (?, ?, ?, ?) ON CONFLICT(shopper_pk, window_start) DO UPDATE SET zone = excluded.zone, window_seconds = excluded.window_seconds',
  );
  const startVisit = db.prepare('INSERT OR IGNORE INTO visits (shopper_pk, started_at, last_seen_at) VALUES (?, ?, ?)');
  const visitPk = db.prepare('SELECT pk FROM visits WHERE shopper_pk = ? AND started_at = ?');
  const seenVisit = db.prepare('UPDATE visits SET last_seen_at = MAX(last_seen_at, ?) WHERE pk = ?');
  const endVisit = db.prepare('UPDATE visits SET ended_at = ?, last_seen_at = MAX(last_seen_at, ?) WHERE pk = ?');
  const clearZones = db.prepare('DELETE FROM visit_zones WHERE visit_pk = ?');
  const zoneDwell = db.prepare(
    'INSERT INTO visit_zones (visit_pk, zone, dwell_seconds, first_at, last_at) VALUES (?, ?, ?, ?, ?)',
  );

  /** Shoppers with an open visit (read once; kept in step by `apply`). */
  const open = new Set((openStates.all() as Array<{ shopper_pk: number }>).map((r) => r.shopper_pk));
  const metaRow = getMeta.get() as { value: string } | undefined;
  let cursor = metaRow === undefined ? 0 : Number(metaRow.value);

  // Gateways' progress from before a restart (their stored batches).
  for (const row of db
    .prepare(
      'SELECT gateway, MAX(window_start + window_seconds) AS windowEnd, MAX(received_ms) AS receivedMs FROM batches GROUP BY gateway',
    )
    .all() as Array<{ gateway: string; windowEnd: number; receivedMs: number }>) {
    progress.set(row.gateway, { windowEnd: row.windowEnd, receivedMs: row.receivedMs });
  }

  function stateOf(pk: number): ShopperPresence {
    let state = states.get(pk);
    if (state === undefined) {
      const row = loadState.get(pk) as { state: string } | undefined;
      state = row === undefined ? emptyPresence() : (JSON.parse(row.state) as ShopperPresence);
      states.set(pk, state);
    }
    return state;
  }

  function apply(pk: number, ops: PresenceOp[], events: Array<() => void>): void {
    const shopperId = deps.shopperIdOf(pk) ?? String(pk);
    const visitOf = (startedAt: number): number => {
      const row = visitPk.get(pk, startedAt) as { pk: number } | undefined;
      if (row !== undefined) return row.pk;
      startVisit.run(pk, startedAt, startedAt);
      return (visitPk.get(pk, startedAt) as { pk: number }).pk;
    };
    for (const op of ops) {
      switch (op.type) {
        case 'visitStart':
          open.add(pk);
          startVisit.run(pk, op.at, op.at);
          break;
        case 'assign':
          assign.run(pk, op.windowStart, op.windowSeconds, op.zone);
          break;
        case 'visitZones': {
          const visit = visitOf(op.visitStartedAt);
          clearZones.run(visit);
          let lastAt = op.visitStartedAt;
          for (const z of op.zones) {
            zoneDwell.run(visit, z.zone, z.dwellSeconds, z.firstAt, z.lastAt);
            lastAt = Math.max(lastAt, z.lastAt);
          }
          seenVisit.run(lastAt, visit);
          break;
        }
        case 'zoneEnter':
          events.push(() =>
            deps.onZoneEnter({
              shopperPk: pk,
              shopperId,
              zone: op.zone,
              previousZone: op.previousZone,
              at: op.at,
              visitStartedAt: op.visitStartedAt,
            }),
          );
          break;
        case 'visitEnd':
          open.delete(pk);
          endVisit.run(op.at, op.at, visitOf(op.visitStartedAt));
          events.push(() =>
            deps.onVisitEnd({ shopperPk: pk, shopperId, startedAt: op.visitStartedAt, endedAt: op.at }),
          );
          break;
      }
    }
  }

  const step = db.transaction(
    (from: number, to: number, limit: number, events: Array<() => void>): { windows: number; next: number } => {
      const starts = (nextWindows.all(from, to, limit) as Array<{ w: number }>).map((r) => r.w);
      const last = starts.at(-1);
      const next = starts.length < limit || last === undefined ? to : last + 1;
      const touched = new Set<number>();
      if (last !== undefined) {
        const rows = windowRows.all(starts[0], last) as SightingRow[];
        let i = 0;
        while (i < rows.length) {
          const first = rows[i] as SightingRow;
          let j = i;
          while (
            j < rows.length &&
            (rows[j] as SightingRow).shopper_pk === first.shopper_pk &&
            (rows[j] as SightingRow).window_start === first.window_start
          )
            j++;
          const group = rows.slice(i, j);
          i = j;
          const state = stateOf(first.shopper_pk);
          const { ops } = observeWindow(
            state,
            { windowStart: first.window_start, windowSeconds: first.window_seconds, evidence: evidenceByZone(group) },
            params,
          );
          apply(first.shopper_pk, ops, events);
          touched.add(first.shopper_pk);
        }
      }
      // Visits of shoppers unheard for longer than the gap end at the finalised time.
      for (const pk of [...open]) {
        if (touched.has(pk)) continue;
        const ops = closeIdleVisit(stateOf(pk), next, params);
        if (ops.length > 0) {
          apply(pk, ops, events);
          touched.add(pk);
        }
      }
      for (const pk of touched) saveState.run(pk, JSON.stringify(stateOf(pk)));
      setMeta.run(String(next));
      counters.add('windowsFinalized', starts.length);
      counters.flush();
      return { windows: starts.length, next };
    },
  );

  return {
    cursor: () => cursor,
    noteBatch(gateway, windowEnd, nowMs) {
      const p = progress.get(gateway);
      if (p === undefined) progress.set(gateway, { windowEnd, receivedMs: nowMs });
      else {
        p.windowEnd = Math.max(p.windowEnd, windowEnd);
        p.receivedMs = nowMs;
      }
    },
    finalize(options = {}) {
      const nowMs = deps.clock.now();
      let limit =
        options.all === true
          ? watermark(progress.values(), nowMs, -1)
          : watermark(progress.values(), nowMs, params.gatewayStaleSeconds * 1000);
      if (limit === null || limit <= cursor) return 0;
      let total = 0;
      for (;;) {
        const events: Array<() => void> = [];
        const { windows, next } = step(cursor, limit, windowsPerStep, events);
        cursor = next;
        total += windows;
        for (const emit of events) {
          try {
            emit();
          } catch (error) {
            deps.logger.error({ err: error }, 'presence listener failed');
          }
        }
        if (next >= limit) break;
        limit = Math.max(limit, next);
      }
      return total;
    },
    forget(shopperPk) {
      states.delete(shopperPk);
      open.delete(shopperPk);
    },
  };
}
