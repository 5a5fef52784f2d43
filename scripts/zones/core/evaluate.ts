import { WindowCoarsener } from '../../../gateway/core/window-coarsener.ts';
import {
  BAND_CODES,
  emptyPresence,
  evidenceByZone,
  observeWindow,
  type PresenceParams,
  type ShopperPresence,
} from '../../../hub/presence/core/presence-model.ts';
import { scoreFlapping, scorePairs, type ObservedPair, type TruthPair } from '../../sim/core/score.ts';
import type { RssiRow } from './rssi-csv.ts';

/**
 * The zone model on a labelled RSSI recording (docs/zones.md). Each receiver is a gateway: its
 * rows go through the gateway's own window coarsener (hits and the median's band per device and
 * window), the windows of every receiver through the hub's own presence model (best band, hits,
 * hysteresis), exactly as in a store. The result is scored against the recording's labels,
 * next to a plain majority vote. Pure: rows in, figures out.
 */

export interface BandThresholds {
  nearDbm: number;
  midDbm: number;
}

export interface EvaluateOptions {
  /** Receiver → zone (the zone its gateway stands for). */
  zoneMap: ReadonlyMap<string, string>;
  windowSeconds: number;
  minHits: number;
  maxHits: number;
  /** Band thresholds per receiver (calibration); receivers not listed use `defaultBands`. */
  bands?: ReadonlyMap<string, BandThresholds>;
  defaultBands: BandThresholds;
  presence: PresenceParams;
}

export type Confusion = Record<string, Record<string, number>>;

export interface ZoneEvaluation {
  rows: number;
  devices: number;
  receivers: string[];
  /** Zones of the truth, sorted. */
  zones: string[];
  /** Zones of the truth that no receiver stands for: the model can never answer them. */
  unreachableZones: string[];
  /** Device-windows scored (the model placed the device, the truth has a label). */
  windows: number;
  windowSeconds: number;
  minutes: number;
  accuracy: number | null;
  /** Accuracy over the windows whose true zone some receiver stands for. */
  reachableAccuracy: number | null;
  flappingPerMinute: number | null;
  /** True zone changes per device-minute over the same windows (real moves). */
  truthChangesPerMinute: number | null;
  baselineAccuracy: number | null;
  baselineReachableAccuracy: number | null;
  baselineFlappingPerMinute: number | null;
  /** Always the most common true zone. */
  majorityClassAccuracy: number | null;
  /** truth → predicted → windows. */
  confusion: Confusion;
  baselineConfusion: Confusion;
}

function windowKey(windowStart: number, device: string): string {
  return `${windowStart}\u0000${device}`;
}

function mostCommon(counts: ReadonlyMap<string, number>, tieBreak: (zone: string) => number): string {
  let best: string | null = null;
  for (const [zone, n] of counts) {
    if (best === null) best = zone;
    else {
      const m = counts.get(best) as number;
      const better =
        n > m || (n === m && (tieBreak(zone) > tieBreak(best) || (tieBreak(zone) === tieBreak(best) && zone < best)));
      if (better) best = zone;
    }
  }
  return best as string;
}

/** Windows of the gateway coarsener, per receiver, as presence sightings per device-window. */
function sightingsByWindow(
  rows: readonly RssiRow[],
  options: EvaluateOptions,
): Map<
  string,
  { windowStart: number; device: string; sightings: Array<{ zone: string; band: number; hits: number }> }
> {
  const coarseners = new Map<string, WindowCoarsener>();
  const startMs = rows[0]?.t ?? 0;
  for (const receiver of new Set(rows.map((r) => r.receiver))) {
    const bands = options.bands?.get(receiver) ?? options.defaultBands;
    coarseners.set(
      receiver,
      new WindowCoarsener(
        {
          windowSeconds: options.windowSeconds,
          minHits: options.minHits,
          maxHits: options.maxHits,
          maxEids: 5000,
          nearDbm: bands.nearDbm,
          midDbm: bands.midDbm,
        },
        { startMs },
      ),
    );
  }
  for (const row of rows) (coarseners.get(row.receiver) as WindowCoarsener).add(row.device, row.rssi, row.t);
  const out = new Map<
    string,
    { windowStart: number; device: string; sightings: Array<{ zone: string; band: number; hits: number }> }
  >();
  for (const [receiver, coarsener] of coarseners) {
    coarsener.flush();
    const zone = options.zoneMap.get(receiver) as string;
    for (const w of coarsener.takeClosed())
      for (const s of w.sightings) {
        const k = windowKey(w.windowStart, s.eid);
        let entry = out.get(k);
        if (entry === undefined) out.set(k, (entry = { windowStart: w.windowStart, device: s.eid, sightings: [] }));
        entry.sightings.push({ zone, band: BAND_CODES[s.band], hits: s.hits });
      }
  }
  return out;
}

/** The hub's presence model over the device-windows, in time order per device; the final label of each window. */
function modelLabels(windows: ReturnType<typeof sightingsByWindow>, options: EvaluateOptions): ObservedPair[] {
  const ordered = [...windows.values()].sort(
    (a, b) => a.windowStart - b.windowStart || (a.device < b.device ? -1 : a.device > b.device ? 1 : 0),
  );
  const states = new Map<string, ShopperPresence>();
  const labels = new Map<string, ObservedPair>();
  for (const w of ordered) {
    let state = states.get(w.device);
    if (state === undefined) states.set(w.device, (state = emptyPresence()));
    const { ops } = observeWindow(
      state,
      { windowStart: w.windowStart, windowSeconds: options.windowSeconds, evidence: evidenceByZone(w.sightings) },
      options.presence,
    );
    for (const op of ops)
      if (op.type === 'assign')
        labels.set(windowKey(op.windowStart, w.device), {
          windowStart: op.windowStart,
          shopperId: w.device,
          zone: op.zone,
        });
  }
  return [...labels.values()];
}

function confusionOf(truth: ReadonlyMap<string, string>, observed: readonly ObservedPair[]): Confusion {
  const confusion: Confusion = {};
  for (const o of observed) {
    const t = truth.get(windowKey(o.windowStart, o.shopperId));
    if (t === undefined) continue;
    const row = (confusion[t] ??= {});
    const p = o.zone ?? 'none';
    row[p] = (row[p] ?? 0) + 1;
  }
  return confusion;
}

function accuracyOver(
  truth: ReadonlyMap<string, string>,
  observed: readonly ObservedPair[],
  keep: (zone: string) => boolean,
): number | null {
  let n = 0;
  let correct = 0;
  for (const o of observed) {
    const t = truth.get(windowKey(o.windowStart, o.shopperId));
    if (t === undefined || !keep(t)) continue;
    n++;
    if (t === o.zone) correct++;
  }
  return n === 0 ? null : correct / n;
}

/** Rows must come from receivers in `zoneMap` (the caller checks and names the others). */
export function evaluateZones(input: readonly RssiRow[], options: EvaluateOptions): ZoneEvaluation {
  const rows = [...input].sort((a, b) => a.t - b.t || a.line - b.line);
  const windowMs = options.windowSeconds * 1000;
  const windowOf = (t: number): number => Math.floor(t / windowMs) * options.windowSeconds;

  // Truth and the majority vote per device-window, straight from the rows.
  const truthVotes = new Map<string, Map<string, number>>();
  const advertVotes = new Map<string, Map<string, number>>();
  const rssiSums = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const k = windowKey(windowOf(row.t), row.device);
    const tv = truthVotes.get(k) ?? new Map<string, number>();
    tv.set(row.zone, (tv.get(row.zone) ?? 0) + 1);
    truthVotes.set(k, tv);
    const zone = options.zoneMap.get(row.receiver) as string;
    const av = advertVotes.get(k) ?? new Map<string, number>();
    av.set(zone, (av.get(zone) ?? 0) + 1);
    advertVotes.set(k, av);
    const rs = rssiSums.get(k) ?? new Map<string, number>();
    rs.set(zone, (rs.get(zone) ?? 0) + row.rssi);
    rssiSums.set(k, rs);
  }
  const truthByKey = new Map<string, string>();
  const truthPairs: TruthPair[] = [];
  for (const [k, votes] of truthVotes) {
    const zone = mostCommon(votes, () => 0);
    truthByKey.set(k, zone);
    const [windowStart, shopperId] = k.split('\u0000') as [string, string];
    truthPairs.push({ windowStart: Number(windowStart), shopperId, zone });
  }

  const observed = modelLabels(sightingsByWindow(rows, options), options);
  const scoredKeys = new Set(observed.map((o) => windowKey(o.windowStart, o.shopperId)));
  const baseline: ObservedPair[] = [];
  for (const [k, votes] of advertVotes) {
    if (!scoredKeys.has(k)) continue;
    const sums = rssiSums.get(k) as Map<string, number>;
    const [windowStart, shopperId] = k.split('\u0000') as [string, string];
    baseline.push({
      windowStart: Number(windowStart),
      shopperId,
      zone: mostCommon(votes, (zone) => (sums.get(zone) as number) / (votes.get(zone) as number)),
    });
  }

  const zones = [...new Set(rows.map((r) => r.zone))].sort();
  const mapped = new Set(options.zoneMap.values());
  const unreachableZones = zones.filter((z) => !mapped.has(z));
  const score = scorePairs(truthPairs, observed);
  const flapping = scoreFlapping(truthPairs, observed, options.windowSeconds);
  const baselineFlapping = scoreFlapping(truthPairs, baseline, options.windowSeconds);
  const classCounts = new Map<string, number>();
  for (const o of observed) {
    const t = truthByKey.get(windowKey(o.windowStart, o.shopperId));
    if (t !== undefined) classCounts.set(t, (classCounts.get(t) ?? 0) + 1);
  }
  const majorityClass = classCounts.size === 0 ? null : mostCommon(classCounts, () => 0);
  return {
    rows: rows.length,
    devices: new Set(rows.map((r) => r.device)).size,
    receivers: [...new Set(rows.map((r) => r.receiver))].sort(),
    zones,
    unreachableZones,
    windows: score.matched,
    windowSeconds: options.windowSeconds,
    minutes: flapping.minutes,
    accuracy: score.zoneAccuracy,
    reachableAccuracy: accuracyOver(truthByKey, observed, (z) => mapped.has(z)),
    flappingPerMinute: flapping.perMinute,
    truthChangesPerMinute: flapping.minutes === 0 ? null : flapping.truthChanges / flapping.minutes,
    baselineAccuracy: scorePairs(truthPairs, baseline).zoneAccuracy,
    baselineReachableAccuracy: accuracyOver(truthByKey, baseline, (z) => mapped.has(z)),
    baselineFlappingPerMinute: baselineFlapping.perMinute,
    majorityClassAccuracy:
      majorityClass === null || score.matched === 0 ? null : (classCounts.get(majorityClass) as number) / score.matched,
    confusion: confusionOf(truthByKey, observed),
    baselineConfusion: confusionOf(truthByKey, baseline),
  };
}
