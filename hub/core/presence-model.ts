/**
 * The presence model (pure): for each shopper, one zone per window from the gateways that heard
 * them, with hysteresis against flapping, and visits (a gap longer than `visitGapSeconds` ends
 * one) with dwell per zone. Times are Unix seconds (the wire protocol's window times).
 *
 * Zone choice in a window: the zone with the best band (near > mid > far), then the most hits;
 * a tie keeps the current zone, then the alphabetically first. A different zone must win
 * `hysteresisWindows` windows in a row before the shopper's zone changes; when it does, those
 * windows are relabelled to the new zone (the model smooths instead of lagging), and their
 * dwell moves with them.
 */

/** 0 near, 1 mid, 2 far (lower is closer). */
export const BAND_CODES = { near: 0, mid: 1, far: 2 } as const;

export interface ZoneEvidence {
  zone: string;
  /** Best (lowest) band code any of the zone's gateways reported. */
  band: number;
  /** Hits at that band, summed over the zone's gateways. */
  hits: number;
}

export interface WindowObservation {
  windowStart: number;
  windowSeconds: number;
  evidence: ZoneEvidence[];
}

export interface PresenceParams {
  hysteresisWindows: number;
  visitGapSeconds: number;
}

export interface ShopperPresence {
  zone: string | null;
  challenger: string | null;
  /** Windows the challenger has won in a row (start, seconds), assigned to `zone` for now. */
  pending: Array<[number, number]>;
  /** Start of the open visit, null when none. */
  visitStartedAt: number | null;
  /** End of the last window in which the shopper was heard. */
  lastWindowEnd: number;
}

export type PresenceOp =
  | { type: 'visitStart'; at: number }
  | { type: 'visitEnd'; visitStartedAt: number; at: number }
  | { type: 'assign'; windowStart: number; windowSeconds: number; zone: string }
  | { type: 'dwell'; visitStartedAt: number; zone: string; seconds: number; at: number }
  | { type: 'zoneEnter'; visitStartedAt: number; zone: string; at: number; previousZone: string | null };

export function emptyPresence(): ShopperPresence {
  return { zone: null, challenger: null, pending: [], visitStartedAt: null, lastWindowEnd: 0 };
}

/** Combines per-gateway sightings of one shopper-window into per-zone evidence. */
export function evidenceByZone(sightings: Iterable<{ zone: string; band: number; hits: number }>): ZoneEvidence[] {
  const byZone = new Map<string, ZoneEvidence>();
  for (const s of sightings) {
    const e = byZone.get(s.zone);
    if (e === undefined) byZone.set(s.zone, { zone: s.zone, band: s.band, hits: s.hits });
    else if (s.band < e.band) {
      e.band = s.band;
      e.hits = s.hits;
    } else if (s.band === e.band) e.hits += s.hits;
  }
  return [...byZone.values()];
}

/** The winning zone of one window (null when nothing was heard). */
export function winningZone(evidence: readonly ZoneEvidence[], current: string | null): string | null {
  let best: ZoneEvidence | null = null;
  for (const e of evidence) {
    if (best === null) best = e;
    else if (e.band !== best.band) best = e.band < best.band ? e : best;
    else if (e.hits !== best.hits) best = e.hits > best.hits ? e : best;
    else if (e.zone === current) best = e;
    else if (best.zone !== current && e.zone < best.zone) best = e;
  }
  return best?.zone ?? null;
}

function endVisit(state: ShopperPresence, ops: PresenceOp[]): void {
  if (state.visitStartedAt !== null) ops.push({ type: 'visitEnd', visitStartedAt: state.visitStartedAt, at: state.lastWindowEnd });
  state.zone = null;
  state.challenger = null;
  state.pending = [];
  state.visitStartedAt = null;
}

/**
 * Feeds one window in which the shopper was heard. Windows must come in time order; a window
 * that starts before the last one ended is ignored (returns no ops). Mutates and returns `state`.
 */
export function observeWindow(state: ShopperPresence, window: WindowObservation, params: PresenceParams): { state: ShopperPresence; ops: PresenceOp[] } {
  const ops: PresenceOp[] = [];
  const { windowStart: start, windowSeconds: seconds } = window;
  if (start < state.lastWindowEnd) return { state, ops };
  const winner = winningZone(window.evidence, state.zone);
  if (winner === null) return { state, ops };
  if (state.visitStartedAt !== null && start - state.lastWindowEnd > params.visitGapSeconds) endVisit(state, ops);
  if (state.visitStartedAt === null) {
    state.visitStartedAt = start;
    ops.push({ type: 'visitStart', at: start });
  } else if (state.zone !== null && start > state.lastWindowEnd) {
    // Unheard time inside a visit is spent where the shopper was last placed.
    ops.push({ type: 'dwell', visitStartedAt: state.visitStartedAt, zone: state.zone, seconds: start - state.lastWindowEnd, at: start });
  }
  const visit = state.visitStartedAt;
  const place = (zone: string): void => {
    ops.push({ type: 'assign', windowStart: start, windowSeconds: seconds, zone });
    ops.push({ type: 'dwell', visitStartedAt: visit, zone, seconds, at: start + seconds });
  };
  if (state.zone === null) {
    state.zone = winner;
    ops.push({ type: 'zoneEnter', visitStartedAt: visit, zone: winner, at: start, previousZone: null });
    place(winner);
  } else if (winner === state.zone) {
    state.challenger = null;
    state.pending = [];
    place(winner);
  } else {
    if (state.challenger !== winner) {
      state.challenger = winner;
      state.pending = [];
    }
    state.pending.push([start, seconds]);
    if (state.pending.length >= params.hysteresisWindows) {
      const previous = state.zone;
      const first = state.pending[0] as [number, number];
      state.zone = winner;
      ops.push({ type: 'zoneEnter', visitStartedAt: visit, zone: winner, at: first[0], previousZone: previous });
      for (const [s, len] of state.pending.slice(0, -1)) {
        ops.push({ type: 'assign', windowStart: s, windowSeconds: len, zone: winner });
        ops.push({ type: 'dwell', visitStartedAt: visit, zone: previous, seconds: -len, at: s + len });
        ops.push({ type: 'dwell', visitStartedAt: visit, zone: winner, seconds: len, at: s + len });
      }
      state.challenger = null;
      state.pending = [];
      place(winner);
    } else {
      place(state.zone);
    }
  }
  state.lastWindowEnd = start + seconds;
  return { state, ops };
}

/** Ends the visit of a shopper unheard for longer than the gap at time `nowSeconds`. */
export function closeIdleVisit(state: ShopperPresence, nowSeconds: number, params: PresenceParams): PresenceOp[] {
  const ops: PresenceOp[] = [];
  if (state.visitStartedAt !== null && nowSeconds - state.lastWindowEnd > params.visitGapSeconds) endVisit(state, ops);
  return ops;
}
