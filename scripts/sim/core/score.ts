/**
 * Scoring observed per-window zone assignments against the simulator's ground truth.
 * A pair is (windowStart, shopperId).
 *
 *   precision    = matched / observed pairs          (is someone we report really there?)
 *   recall       = matched / truth pairs             (is everyone there reported?)
 *   recallHeard  = matched heard / truth pairs heard (recall over windows where at least one
 *                                                     gateway received the shopper's advert)
 *   zoneAccuracy = matched with the true zone / matched
 *
 * A ratio with a zero denominator is null ("n/a").
 */

export interface TruthPair {
  windowStart: number;
  shopperId: string;
  zone: string;
  /** Gateways that heard the shopper in the window (absent = unknown, counted as heard). */
  heardBy?: readonly string[];
}

export interface ObservedPair {
  windowStart: number;
  shopperId: string;
  /** null: present, zone unknown (never a correct zone). */
  zone: string | null;
}

export interface Score {
  truthPairs: number;
  truthPairsHeard: number;
  observedPairs: number;
  matched: number;
  matchedHeard: number;
  zoneCorrect: number;
  precision: number | null;
  recall: number | null;
  recallHeard: number | null;
  f1: number | null;
  zoneAccuracy: number | null;
}

function key(windowStart: number, shopperId: string): string {
  return `${windowStart}\u0000${shopperId}`;
}

function ratio(num: number, den: number): number | null {
  return den === 0 ? null : num / den;
}

export function scorePairs(truth: Iterable<TruthPair>, observed: Iterable<ObservedPair>): Score {
  const truthByKey = new Map<string, TruthPair>();
  for (const t of truth) truthByKey.set(key(t.windowStart, t.shopperId), t);
  let observedPairs = 0;
  let matched = 0;
  let matchedHeard = 0;
  let zoneCorrect = 0;
  for (const o of observed) {
    observedPairs++;
    const t = truthByKey.get(key(o.windowStart, o.shopperId));
    if (t === undefined) continue;
    matched++;
    if (t.heardBy === undefined || t.heardBy.length > 0) matchedHeard++;
    if (t.zone === o.zone) zoneCorrect++;
  }
  let truthPairsHeard = 0;
  for (const t of truthByKey.values()) if (t.heardBy === undefined || t.heardBy.length > 0) truthPairsHeard++;
  const precision = ratio(matched, observedPairs);
  const recall = ratio(matched, truthByKey.size);
  const f1 =
    precision === null || recall === null || precision + recall === 0
      ? null
      : (2 * precision * recall) / (precision + recall);
  return {
    truthPairs: truthByKey.size,
    truthPairsHeard,
    observedPairs,
    matched,
    matchedHeard,
    zoneCorrect,
    precision,
    recall,
    recallHeard: ratio(matchedHeard, truthPairsHeard),
    f1,
    zoneAccuracy: ratio(zoneCorrect, matched),
  };
}

export interface FlappingScore {
  /** Changes of observed zone between consecutive observed windows of a shopper while the truth stayed put. */
  spuriousChanges: number;
  /** Changes of true zone between the same window pairs (real moves). */
  truthChanges: number;
  /** Shopper-minutes observed (matched windows × window length). */
  minutes: number;
  /** spuriousChanges per shopper-minute; null when nothing was observed. */
  perMinute: number | null;
}

/**
 * Room flapping: how often the reported zone changes when the person did not move. For each
 * shopper, consecutive observed windows that both have a truth are compared; a change of
 * observed zone where the true zone is the same in both windows is spurious.
 */
export function scoreFlapping(
  truth: Iterable<TruthPair>,
  observed: Iterable<ObservedPair>,
  windowSeconds: number,
): FlappingScore {
  const truthByKey = new Map<string, string>();
  for (const t of truth) truthByKey.set(key(t.windowStart, t.shopperId), t.zone);
  const byShopper = new Map<string, Array<{ windowStart: number; zone: string | null; truth: string }>>();
  for (const o of observed) {
    const t = truthByKey.get(key(o.windowStart, o.shopperId));
    if (t === undefined) continue;
    let list = byShopper.get(o.shopperId);
    if (list === undefined) byShopper.set(o.shopperId, (list = []));
    list.push({ windowStart: o.windowStart, zone: o.zone, truth: t });
  }
  let spuriousChanges = 0;
  let truthChanges = 0;
  let windows = 0;
  for (const list of byShopper.values()) {
    list.sort((a, b) => a.windowStart - b.windowStart);
    windows += list.length;
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1] as (typeof list)[number];
      const b = list[i] as (typeof list)[number];
      if (a.truth !== b.truth) truthChanges++;
      else if (a.zone !== b.zone) spuriousChanges++;
    }
  }
  const minutes = (windows * windowSeconds) / 60;
  return { spuriousChanges, truthChanges, minutes, perMinute: minutes === 0 ? null : spuriousChanges / minutes };
}
