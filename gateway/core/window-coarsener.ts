import type { Band, Sighting } from '../../shared/protocol/messages.ts';

/**
 * The window coarsener (docs/architecture.md#wire-protocol): opt-in sightings become one coarse record per EID per
 * window — the hit count (capped) and the band of the window's median RSSI. Windows are aligned
 * to wall-clock multiples of `windowSeconds`. Memory is bounded: at most `maxEids` distinct EIDs
 * per window, each with a fixed-size RSSI histogram; adverts of further EIDs are only counted
 * (`dropped`). Pure: time comes in as the advert's timestamp or as `nowMs`.
 */

export interface WindowSettings {
  windowSeconds: number;
  minHits: number;
  maxHits: number;
  maxEids: number;
  /** Median RSSI ≥ nearDbm → near; ≥ midDbm → mid; else far. */
  nearDbm: number;
  midDbm: number;
}

/** Settings that may change between windows (a config reload); the rest are fixed at start. */
export type AdjustableWindowSettings = Pick<WindowSettings, 'minHits' | 'maxHits' | 'nearDbm' | 'midDbm'>;

export interface ClosedWindow {
  /** Unix seconds, a multiple of windowSeconds. */
  windowStart: number;
  windowSeconds: number;
  /** Sorted by EID. */
  sightings: Sighting[];
  /** Opt-in adverts not counted because the window already held maxEids distinct EIDs. */
  dropped: number;
  /** Distinct EIDs left out for being heard fewer than minHits times. */
  belowMinHits: number;
  /** Opt-in adverts counted in the window. */
  adverts: number;
}

export type AddOutcome = 'counted' | 'overflow' | 'late';

export interface CoarsenerCounters {
  /** Adverts older than the open window (arrived late, or before the last stored window). */
  late: number;
  /** Empty windows not emitted after a forward clock jump longer than maxCatchUpWindows. */
  skippedWindows: number;
  /** Backward clock steps of more than two windows (the window restarts at the new time). */
  clockStepsBack: number;
}

export const RSSI_MIN = -127;
export const RSSI_MAX = 20;
const BINS = RSSI_MAX - RSSI_MIN + 1;
const SLOTS_PER_CHUNK = 64;

export function bandFor(medianRssi: number, settings: Pick<WindowSettings, 'nearDbm' | 'midDbm'>): Band {
  if (medianRssi >= settings.nearDbm) return 'near';
  if (medianRssi >= settings.midDbm) return 'mid';
  return 'far';
}

/** Unix seconds of the window containing `tMs`. */
export function windowStartFor(tMs: number, windowSeconds: number): number {
  return Math.floor(tMs / (windowSeconds * 1000)) * windowSeconds;
}

/** The median of a histogram over RSSI_MIN..RSSI_MAX with `count` samples (mean of the two middle ones when even). */
function histogramMedian(hist: Uint32Array, offset: number, count: number): number {
  const lowRank = (count - 1) >> 1;
  const highRank = count >> 1;
  let seen = 0;
  let low: number | undefined;
  for (let bin = 0; bin < BINS; bin++) {
    seen += hist[offset + bin] as number;
    if (low === undefined && seen > lowRank) low = bin + RSSI_MIN;
    if (seen > highRank) return ((low as number) + bin + RSSI_MIN) / 2;
  }
  throw new Error(`histogram holds fewer than ${count} samples`);
}

export class WindowCoarsener {
  readonly #windowSeconds: number;
  readonly #windowMs: number;
  readonly #maxEids: number;
  readonly #maxCatchUpWindows: number;
  #settings: AdjustableWindowSettings;
  #pending: AdjustableWindowSettings | undefined;
  /** EID → slot; the slot indexes #hits and the histogram chunks. */
  readonly #slots = new Map<string, number>();
  readonly #hits: Uint32Array;
  readonly #chunks: Uint32Array[] = [];
  #openStartMs: number;
  #dropped = 0;
  #adverts = 0;
  readonly #closed: ClosedWindow[] = [];
  readonly counters: CoarsenerCounters = { late: 0, skippedWindows: 0, clockStepsBack: 0 };

  /**
   * @param startMs the first window is the one containing this time (e.g. now, or the end of
   *   the last window already stored, so that windows never repeat across a restart).
   */
  constructor(settings: WindowSettings, options: { startMs: number; maxCatchUpWindows?: number }) {
    if (!Number.isInteger(settings.windowSeconds) || settings.windowSeconds < 1)
      throw new RangeError(`windowSeconds is ${settings.windowSeconds}, expected a positive integer`);
    if (!Number.isInteger(settings.maxEids) || settings.maxEids < 1)
      throw new RangeError(`maxEids is ${settings.maxEids}, expected a positive integer`);
    this.#windowSeconds = settings.windowSeconds;
    this.#windowMs = settings.windowSeconds * 1000;
    this.#maxEids = settings.maxEids;
    this.#maxCatchUpWindows = options.maxCatchUpWindows ?? 360;
    this.#settings = checkAdjustable(settings);
    this.#hits = new Uint32Array(settings.maxEids);
    this.#openStartMs = windowStartFor(options.startMs, this.#windowSeconds) * 1000;
  }

  /** Unix seconds of the open window. */
  get openWindowStart(): number {
    return this.#openStartMs / 1000;
  }

  get windowSeconds(): number {
    return this.#windowSeconds;
  }

  /** Distinct EIDs held in the open window. */
  get openEids(): number {
    return this.#slots.size;
  }

  /** New thresholds take effect from the next window. */
  adjust(settings: AdjustableWindowSettings): void {
    this.#pending = checkAdjustable(settings);
  }

  /** Counts one opt-in advert heard at `tMs`, closing any window that ended before it. */
  add(eid: string, rssi: number, tMs: number): AddOutcome {
    if (tMs >= this.#openStartMs + this.#windowMs) this.advance(tMs);
    if (tMs < this.#openStartMs) {
      if (this.#openStartMs - tMs <= 2 * this.#windowMs) {
        this.counters.late++;
        return 'late';
      }
      this.counters.clockStepsBack++;
      if (this.#slots.size > 0 || this.#dropped > 0) this.#close();
      this.#openStartMs = windowStartFor(tMs, this.#windowSeconds) * 1000;
    }
    let slot = this.#slots.get(eid);
    if (slot === undefined) {
      if (this.#slots.size >= this.#maxEids) {
        this.#dropped++;
        return 'overflow';
      }
      slot = this.#slots.size;
      this.#slots.set(eid, slot);
      if (slot >= this.#chunks.length * SLOTS_PER_CHUNK) this.#chunks.push(new Uint32Array(SLOTS_PER_CHUNK * BINS));
    }
    const bin = (rssi < RSSI_MIN ? RSSI_MIN : rssi > RSSI_MAX ? RSSI_MAX : Math.round(rssi)) - RSSI_MIN;
    const chunk = this.#chunks[(slot / SLOTS_PER_CHUNK) | 0] as Uint32Array;
    const cell = (slot % SLOTS_PER_CHUNK) * BINS + bin;
    chunk[cell] = (chunk[cell] as number) + 1;
    this.#hits[slot] = (this.#hits[slot] as number) + 1;
    this.#adverts++;
    return 'counted';
  }

  /** Closes every window that ended at or before `nowMs` (empty ones included). */
  advance(nowMs: number): void {
    const elapsed = Math.floor((nowMs - this.#openStartMs) / this.#windowMs);
    if (elapsed < 1) return;
    this.#close();
    const empties = elapsed - 1;
    if (empties > this.#maxCatchUpWindows) {
      this.counters.skippedWindows += empties;
    } else {
      for (let i = 0; i < empties; i++) this.#close();
    }
    this.#openStartMs = windowStartFor(nowMs, this.#windowSeconds) * 1000;
  }

  /** Closes the open window now, whatever its age (shutdown, end of a replay). */
  flush(): void {
    this.#close();
  }

  /** Windows closed since the last call, oldest first. */
  takeClosed(): ClosedWindow[] {
    return this.#closed.splice(0, this.#closed.length);
  }

  #close(): void {
    const settings = this.#settings;
    const sightings: Sighting[] = [];
    let belowMinHits = 0;
    for (const [eid, slot] of this.#slots) {
      const hits = this.#hits[slot] as number;
      const chunk = this.#chunks[(slot / SLOTS_PER_CHUNK) | 0] as Uint32Array;
      const offset = (slot % SLOTS_PER_CHUNK) * BINS;
      if (hits < settings.minHits) {
        belowMinHits++;
      } else {
        const band = bandFor(histogramMedian(chunk, offset, hits), settings);
        sightings.push({ eid, band, hits: Math.min(hits, settings.maxHits) });
      }
      chunk.fill(0, offset, offset + BINS);
      this.#hits[slot] = 0;
    }
    sightings.sort((a, b) => (a.eid < b.eid ? -1 : a.eid > b.eid ? 1 : 0));
    this.#closed.push({
      windowStart: this.#openStartMs / 1000,
      windowSeconds: this.#windowSeconds,
      sightings,
      dropped: this.#dropped,
      belowMinHits,
      adverts: this.#adverts,
    });
    this.#slots.clear();
    this.#dropped = 0;
    this.#adverts = 0;
    this.#openStartMs += this.#windowMs;
    if (this.#pending !== undefined) {
      this.#settings = this.#pending;
      this.#pending = undefined;
    }
  }
}

function checkAdjustable(settings: AdjustableWindowSettings): AdjustableWindowSettings {
  if (settings.midDbm > settings.nearDbm)
    throw new RangeError(`midDbm is ${settings.midDbm}, expected at most nearDbm (${settings.nearDbm})`);
  if (!Number.isInteger(settings.minHits) || settings.minHits < 1)
    throw new RangeError(`minHits is ${settings.minHits}, expected a positive integer`);
  if (!Number.isInteger(settings.maxHits) || settings.maxHits < settings.minHits)
    throw new RangeError(`maxHits is ${settings.maxHits}, expected an integer ≥ minHits (${settings.minHits})`);
  return { minHits: settings.minHits, maxHits: settings.maxHits, nearDbm: settings.nearDbm, midDbm: settings.midDbm };
}
