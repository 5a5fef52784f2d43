/**
 * Receiver calibration (docs/field-guide.md, "Calibrate each gateway"): a reference tag held at a
 * known distance from a gateway, its adverts' RSSI measured, and the gateway's band thresholds
 * moved by how much hotter or colder this receiver reads than the tag's calibration says.
 *
 *   expected = txPower(0 m) − 41 dB − 10·n·log10(d / 1 m)      (Eddystone ranging byte; 41 dB is
 *                                                             the 2.4 GHz loss over the first metre)
 *   offset   = round(median(measured) − expected)
 *   near, mid = base near, mid + offset
 *
 * `base` is what the thresholds were before any calibration (recorded by the previous
 * calibration, else the configured thresholds), so that calibrating again replaces the old
 * offset instead of adding to it. Pure: the samples come in, the caller reads the air or a file.
 */

export const LOSS_AT_1M_DB = 41;
export const MIN_SAMPLES = 30;
/** An interquartile range wider than this means the tag moved or something stood between: warned. */
export const WIDE_SPREAD_DB = 12;

export interface ReferenceSample {
  /** Unix milliseconds. */
  t: number;
  rssi: number;
  /** The frame's ranging byte (calibrated TX power at 0 m), null for a carrier without one. */
  txPower: number | null;
}

export interface Thresholds {
  nearDbm: number;
  midDbm: number;
}

export interface CalibrationInput {
  samples: readonly ReferenceSample[];
  distanceM: number;
  pathLossExponent: number;
  /** Overrides the frames' ranging byte (and is needed when they carry none). */
  txPowerDbm?: number;
  current: Thresholds;
  /** The thresholds without any calibration offset. */
  base: Thresholds;
  windowSeconds: number;
}

export interface BandCounts {
  near: number;
  mid: number;
  far: number;
}

export interface CalibrationResult {
  samples: number;
  medianRssi: number;
  q1Rssi: number;
  q3Rssi: number;
  txPowerDbm: number;
  expectedRssi: number;
  offsetDb: number;
  base: Thresholds;
  before: Thresholds;
  after: Thresholds;
  /** The reference's windows by band, with the thresholds before and after. */
  windowsBefore: BandCounts;
  windowsAfter: BandCounts;
  warnings: string[];
}

export type CalibrationOutcome = { ok: true; result: CalibrationResult } | { ok: false; message: string };

/** The q-quantile of sorted values (linear between neighbours; q = 0.5 is the median). */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

function bandsOf(samples: readonly ReferenceSample[], windowSeconds: number, t: Thresholds): BandCounts {
  const byWindow = new Map<number, number[]>();
  for (const s of samples) {
    const w = Math.floor(s.t / (windowSeconds * 1000));
    const list = byWindow.get(w);
    if (list === undefined) byWindow.set(w, [s.rssi]);
    else list.push(s.rssi);
  }
  const counts: BandCounts = { near: 0, mid: 0, far: 0 };
  for (const rssis of byWindow.values()) {
    const median = quantile(
      [...rssis].sort((a, b) => a - b),
      0.5,
    );
    counts[median >= t.nearDbm ? 'near' : median >= t.midDbm ? 'mid' : 'far']++;
  }
  return counts;
}

export function calibrate(input: CalibrationInput): CalibrationOutcome {
  const { samples } = input;
  if (samples.length < MIN_SAMPLES)
    return {
      ok: false,
      message: `heard the reference ${samples.length} times, expected at least ${MIN_SAMPLES} (hold it longer, or check its identity key and exponent)`,
    };
  let txPower = input.txPowerDbm;
  if (txPower === undefined) {
    const powers = new Set(samples.map((s) => s.txPower));
    if (powers.has(null))
      return {
        ok: false,
        message: 'the reference sends frames without a ranging byte (iOS carrier), expected --tx-power DBM',
      };
    if (powers.size > 1)
      return {
        ok: false,
        message: `the reference's ranging byte changed during the measurement (${[...powers].join(', ')} dBm), expected one value or --tx-power DBM`,
      };
    txPower = [...powers][0] as number;
  }
  const sorted = samples.map((s) => s.rssi).sort((a, b) => a - b);
  const medianRssi = quantile(sorted, 0.5);
  const q1Rssi = quantile(sorted, 0.25);
  const q3Rssi = quantile(sorted, 0.75);
  const expectedRssi = txPower - LOSS_AT_1M_DB - 10 * input.pathLossExponent * Math.log10(input.distanceM);
  const offsetDb = Math.round(medianRssi - expectedRssi);
  const base = { ...input.base };
  const clamp = (x: number): number => Math.max(-127, Math.min(20, x));
  const after = { nearDbm: clamp(base.nearDbm + offsetDb), midDbm: clamp(base.midDbm + offsetDb) };
  const warnings: string[] = [];
  if (q3Rssi - q1Rssi > WIDE_SPREAD_DB)
    warnings.push(
      `the RSSI spread is ${q3Rssi - q1Rssi} dB between quartiles, expected at most ${WIDE_SPREAD_DB}: hold the tag still, in the open, and measure again`,
    );
  if (Math.abs(offsetDb) > 20)
    warnings.push(
      `the receiver reads ${offsetDb} dB off the tag's calibration: check the distance, the tag's --tx-power and the antenna`,
    );
  return {
    ok: true,
    result: {
      samples: samples.length,
      medianRssi,
      q1Rssi,
      q3Rssi,
      txPowerDbm: txPower,
      expectedRssi: Math.round(expectedRssi * 10) / 10,
      offsetDb,
      base,
      before: { ...input.current },
      after,
      windowsBefore: bandsOf(samples, input.windowSeconds, input.current),
      windowsAfter: bandsOf(samples, input.windowSeconds, after),
      warnings,
    },
  };
}
