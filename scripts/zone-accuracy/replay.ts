import {
  emptyPresence,
  evidenceByZone,
  observeWindow,
  type PresenceParams,
  type ShopperPresence,
} from '../../hub/presence/core/presence-model.ts';
import type { ObservedPair } from '../sim/core/score.ts';
import type { SightingRow } from './pipeline.ts';

/**
 * The hub's presence model alone, over the sightings a hub stored: the same grouping as
 * hub/presence-service.ts (per window in time order, per shopper: every gateway's sighting of
 * that shopper-window) and the same `assign` ops, without SQLite. Used to try model settings on
 * the sightings of recorded runs in milliseconds; the end-to-end pipeline stays the reference.
 */
export function replayPresence(sightings: readonly SightingRow[], params: PresenceParams): ObservedPair[] {
  const rows = [...sightings].sort(
    (a, b) => a.windowStart - b.windowStart || (a.shopperId < b.shopperId ? -1 : a.shopperId > b.shopperId ? 1 : 0),
  );
  const states = new Map<string, ShopperPresence>();
  const zones = new Map<string, ObservedPair>();
  let i = 0;
  while (i < rows.length) {
    const first = rows[i] as SightingRow;
    let j = i;
    while (
      j < rows.length &&
      (rows[j] as SightingRow).shopperId === first.shopperId &&
      (rows[j] as SightingRow).windowStart === first.windowStart
    )
      j++;
    const group = rows.slice(i, j);
    i = j;
    let state = states.get(first.shopperId);
    if (state === undefined) {
      state = emptyPresence();
      states.set(first.shopperId, state);
    }
    const { ops } = observeWindow(
      state,
      { windowStart: first.windowStart, windowSeconds: first.windowSeconds, evidence: evidenceByZone(group) },
      params,
    );
    for (const op of ops) {
      if (op.type === 'assign')
        zones.set(`${op.windowStart}\u0000${first.shopperId}`, {
          windowStart: op.windowStart,
          shopperId: first.shopperId,
          zone: op.zone,
        });
    }
  }
  return [...zones.values()];
}
