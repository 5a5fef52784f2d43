/**
 * The presence model (pure): for each shopper, one zone per window from the gateways that heard
 * them, smoothed over time, and visits (a gap longer than `visitGapSeconds` ends one) with dwell
 * per zone. Times are Unix seconds (the wire protocol's window times).
 *
 * Evidence of one window, per zone: the best band any of the zone's gateways reported (near
 * scores 3, mid 2, far 0), then the hits at that band relative to the window's most-heard zone
 * (2·ln(hits / most hits at the best band)); a zone not heard in the window scores −10.
 *
 * Hysteresis against flapping: the zone sequence of a visit is the one with the best total
 * evidence when every change of zone costs `switchPenalty` (a Viterbi path over the visit's
 * zones). A single window where another zone looks better does not move the shopper; a real
 * move does, and the windows since the move are relabelled to the new zone once the evidence
 * shows it (the model smooths rather than lags). Only the last `smoothingWindows` windows of a
 * visit can still be relabelled; older ones are final.
 *
 * On the simulator's small store (four seeds, an hour each), per-window "best band, then hits"
 * placed about 55 % of the shopper-windows in their true zone, two-windows-in-a-row hysteresis
 * about 72–76 %, and this smoother about 87 %; the weights above were chosen on those runs
 * (docs/hub.md).
 */

/** 0 near, 1 mid, 2 far (lower is closer). */
export const BAND_CODES = { near: 0, mid: 1, far: 2 } as const;
const BAND_SCORE = [3, 2, 0] as const;
const HITS_WEIGHT = 2;
const UNHEARD_SCORE = -10;

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
  visitGapSeconds: number;
  /** Evidence a change of zone must overcome (hysteresis); 0 = the best zone of each window. */
  switchPenalty: number;
  /** Windows at the end of a visit that may still be relabelled. */
  smoothingWindows: number;
}

interface BufferedWindow {
  start: number;
  seconds: number;
  /** Evidence score per zone heard in the window. */
  scores: Record<string, number>;
}

export interface ZoneDwell {
  zone: string;
  dwellSeconds: number;
  firstAt: number;
  lastAt: number;
}

export interface ShopperPresence {
  /** Start of the open visit, null when none. */
  visitStartedAt: number | null;
  /** End of the last window in which the shopper was heard. */
  lastWindowEnd: number;
  /** The final zone of the last window that left the smoothing buffer (the path starts there). */
  anchorZone: string | null;
  /** The last windows of the visit (oldest first) and their current labels. */
  windows: BufferedWindow[];
  labels: string[];
  /** Dwell of the windows that already left the buffer (and the unheard time after them). */
  frozenDwell: Record<string, { seconds: number; firstAt: number; lastAt: number }>;
  /** The zone last announced with a zoneEnter, null when none. */
  announcedZone: string | null;
}

export type PresenceOp =
  | { type: 'visitStart'; at: number }
  | { type: 'visitEnd'; visitStartedAt: number; at: number }
  | { type: 'assign'; windowStart: number; windowSeconds: number; zone: string }
  | { type: 'visitZones'; visitStartedAt: number; zones: ZoneDwell[] }
  | { type: 'zoneEnter'; visitStartedAt: number; zone: string; at: number; previousZone: string | null };

export function emptyPresence(): ShopperPresence {
  return {
    visitStartedAt: null,
    lastWindowEnd: 0,
    anchorZone: null,
    windows: [],
    labels: [],
    frozenDwell: {},
    announcedZone: null,
  };
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

/** Evidence score per zone heard in one window (see the module comment). */
export function windowScores(evidence: readonly ZoneEvidence[]): Record<string, number> {
  const scores: Record<string, number> = {};
  if (evidence.length === 0) return scores;
  const bestBand = Math.min(...evidence.map((e) => e.band));
  const mostHits = Math.max(...evidence.filter((e) => e.band === bestBand).map((e) => e.hits), 1);
  for (const e of evidence) {
    const band = BAND_SCORE[Math.min(Math.max(e.band, 0), 2)] as number;
    scores[e.zone] = band + HITS_WEIGHT * Math.log(Math.max(e.hits, 1) / mostHits);
  }
  return scores;
}

/** The best zone of a single window: best band, then most hits, then alphabetical (null when nothing was heard). */
export function winningZone(evidence: readonly ZoneEvidence[]): string | null {
  let best: ZoneEvidence | null = null;
  for (const e of evidence) {
    if (
      best === null ||
      e.band < best.band ||
      (e.band === best.band && (e.hits > best.hits || (e.hits === best.hits && e.zone < best.zone)))
    )
      best = e;
  }
  return best?.zone ?? null;
}

/**
 * The best zone sequence for the buffered windows (Viterbi). Ties keep the previous zone, then
 * take the alphabetically first, so the result is deterministic.
 */
export function smoothZones(
  windows: readonly BufferedWindow[],
  anchor: string | null,
  switchPenalty: number,
): string[] {
  if (windows.length === 0) return [];
  const zoneSet = new Set<string>(anchor === null ? [] : [anchor]);
  for (const w of windows) for (const z of Object.keys(w.scores)) zoneSet.add(z);
  const zones = [...zoneSet].sort();
  const n = zones.length;
  const emission = (w: BufferedWindow, z: string): number => w.scores[z] ?? UNHEARD_SCORE;
  let delta = zones.map(
    (z) => (anchor === null || z === anchor ? 0 : -switchPenalty) + emission(windows[0] as BufferedWindow, z),
  );
  const back: Int32Array[] = [];
  for (let t = 1; t < windows.length; t++) {
    const w = windows[t] as BufferedWindow;
    const pointers = new Int32Array(n);
    const next = new Array<number>(n);
    for (let j = 0; j < n; j++) {
      let bestI = j;
      let bestScore = delta[j] as number;
      for (let i = 0; i < n; i++) {
        const score = (delta[i] as number) - switchPenalty;
        if (score > bestScore) {
          bestScore = score;
          bestI = i;
        }
      }
      pointers[j] = bestI;
      next[j] = bestScore + emission(w, zones[j] as string);
    }
    back.push(pointers);
    delta = next;
  }
  let state = 0;
  for (let j = 1; j < n; j++) if ((delta[j] as number) > (delta[state] as number)) state = j;
  const path = new Array<string>(windows.length);
  path[windows.length - 1] = zones[state] as string;
  for (let t = windows.length - 1; t > 0; t--) {
    state = (back[t - 1] as Int32Array)[state] as number;
    path[t - 1] = zones[state] as string;
  }
  return path;
}

/** Dwell per zone: frozen part plus the buffer, with unheard time inside the visit given to the zone before it. */
function visitZones(state: ShopperPresence): ZoneDwell[] {
  const dwell = new Map<string, ZoneDwell>(
    Object.entries(state.frozenDwell).map(([zone, d]) => [
      zone,
      { zone, dwellSeconds: d.seconds, firstAt: d.firstAt, lastAt: d.lastAt },
    ]),
  );
  const add = (zone: string, seconds: number, from: number, to: number): void => {
    const d = dwell.get(zone);
    if (d === undefined) dwell.set(zone, { zone, dwellSeconds: seconds, firstAt: from, lastAt: to });
    else {
      d.dwellSeconds += seconds;
      d.firstAt = Math.min(d.firstAt, from);
      d.lastAt = Math.max(d.lastAt, to);
    }
  };
  state.windows.forEach((w, i) => {
    const zone = state.labels[i] as string;
    add(zone, w.seconds, w.start, w.start + w.seconds);
    const next = state.windows[i + 1];
    if (next !== undefined && next.start > w.start + w.seconds)
      add(zone, next.start - (w.start + w.seconds), w.start + w.seconds, next.start);
  });
  return [...dwell.values()].sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0));
}

function endVisit(state: ShopperPresence, ops: PresenceOp[]): void {
  if (state.visitStartedAt !== null)
    ops.push({ type: 'visitEnd', visitStartedAt: state.visitStartedAt, at: state.lastWindowEnd });
  const fresh = emptyPresence();
  Object.assign(state, fresh, { lastWindowEnd: state.lastWindowEnd });
}

/**
 * Feeds one window in which the shopper was heard. Windows must come in time order; a window
 * that starts before the last one ended is ignored (returns no ops). Mutates and returns `state`.
 */
export function observeWindow(
  state: ShopperPresence,
  window: WindowObservation,
  params: PresenceParams,
): { state: ShopperPresence; ops: PresenceOp[] } {
  const ops: PresenceOp[] = [];
  const { windowStart: start, windowSeconds: seconds } = window;
  if (start < state.lastWindowEnd || window.evidence.length === 0) return { state, ops };
  if (state.visitStartedAt !== null && start - state.lastWindowEnd > params.visitGapSeconds) endVisit(state, ops);
  if (state.visitStartedAt === null) {
    state.visitStartedAt = start;
    ops.push({ type: 'visitStart', at: start });
  }
  const visit = state.visitStartedAt;
  state.windows.push({ start, seconds, scores: windowScores(window.evidence) });
  // Windows beyond the smoothing horizon become final: their dwell is frozen, their zone anchors the path.
  while (state.windows.length > Math.max(1, params.smoothingWindows)) {
    const old = state.windows.shift() as BufferedWindow;
    const zone = state.labels.shift() as string;
    const next = state.windows[0] as BufferedWindow;
    const d = state.frozenDwell[zone] ?? { seconds: 0, firstAt: old.start, lastAt: old.start };
    d.seconds += old.seconds + Math.max(0, next.start - (old.start + old.seconds));
    d.lastAt = Math.max(d.lastAt, next.start);
    state.frozenDwell[zone] = d;
    state.anchorZone = zone;
  }
  const labels = smoothZones(state.windows, state.anchorZone, params.switchPenalty);
  labels.forEach((zone, i) => {
    if (state.labels[i] !== zone) {
      const w = state.windows[i] as BufferedWindow;
      ops.push({ type: 'assign', windowStart: w.start, windowSeconds: w.seconds, zone });
    }
  });
  state.labels = labels;
  ops.push({ type: 'visitZones', visitStartedAt: visit, zones: visitZones(state) });
  const current = labels[labels.length - 1] as string;
  if (current !== state.announcedZone) {
    let i = labels.length - 1;
    while (i > 0 && labels[i - 1] === current) i--;
    ops.push({
      type: 'zoneEnter',
      visitStartedAt: visit,
      zone: current,
      at: (state.windows[i] as BufferedWindow).start,
      previousZone: state.announcedZone,
    });
    state.announcedZone = current;
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
