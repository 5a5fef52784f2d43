import { describe, expect, it } from 'vitest';
import { calibrate, MIN_SAMPLES, quantile, type CalibrationInput, type ReferenceSample } from './calibration.ts';

const T0 = 1_790_000_000_000;

/** `n` samples 250 ms apart, the RSSI cycling through `values`. */
function samples(n: number, values: number[], txPower: number | null = -18): ReferenceSample[] {
  return Array.from({ length: n }, (_, i) => ({ t: T0 + i * 250, rssi: values[i % values.length] as number, txPower }));
}

const INPUT: Omit<CalibrationInput, 'samples'> = {
  distanceM: 1,
  pathLossExponent: 2,
  current: { nearDbm: -65, midDbm: -80 },
  base: { nearDbm: -65, midDbm: -80 },
  windowSeconds: 10,
};

describe('receiver calibration', () => {
  it('moves the bands by measured minus expected: a receiver 8 dB cold at 1 m', () => {
    // Ranging byte -18 dBm at 0 m → -59 dBm expected at 1 m; measured median -67.
    const outcome = calibrate({ ...INPUT, samples: samples(240, [-69, -67, -66, -67, -68, -65]) });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.result).toMatchObject({
      samples: 240,
      medianRssi: -67,
      txPowerDbm: -18,
      expectedRssi: -59,
      offsetDb: -8,
      before: { nearDbm: -65, midDbm: -80 },
      after: { nearDbm: -73, midDbm: -88 },
      // 60 s of adverts in 10 s windows: mid with the default bands, near once calibrated.
      windowsBefore: { near: 0, mid: 6, far: 0 },
      windowsAfter: { near: 6, mid: 0, far: 0 },
      warnings: [],
    });
  });

  it('at another distance uses the path loss exponent', () => {
    const outcome = calibrate({ ...INPUT, distanceM: 2, pathLossExponent: 2.5, samples: samples(60, [-66]) });
    // expected = -18 - 41 - 25·log10(2) = -66.53 → offset round(0.53) = 1
    expect(outcome.ok && outcome.result.expectedRssi).toBe(-66.5);
    expect(outcome.ok && outcome.result.offsetDb).toBe(1);
  });

  it('calibrating again replaces the old offset, it does not add to it', () => {
    const again = calibrate({
      ...INPUT,
      current: { nearDbm: -73, midDbm: -88 },
      base: { nearDbm: -65, midDbm: -80 },
      samples: samples(60, [-62]),
    });
    expect(again.ok && again.result.after).toEqual({ nearDbm: -68, midDbm: -83 }); // offset -3 from the base
  });

  it('refuses too few adverts, a carrier without a ranging byte, and a ranging byte that changes', () => {
    expect(calibrate({ ...INPUT, samples: samples(MIN_SAMPLES - 1, [-60]) })).toEqual({
      ok: false,
      message: `heard the reference ${MIN_SAMPLES - 1} times, expected at least ${MIN_SAMPLES} (hold it longer, or check its identity key and exponent)`,
    });
    expect(calibrate({ ...INPUT, samples: samples(40, [-60], null) })).toEqual({
      ok: false,
      message: 'the reference sends frames without a ranging byte (iOS carrier), expected --tx-power DBM',
    });
    const ios = calibrate({ ...INPUT, txPowerDbm: -20, samples: samples(40, [-60], null) });
    expect(ios.ok && ios.result.offsetDb).toBe(1); // -60 - (-61)
    const mixed = [...samples(20, [-60], -18), ...samples(20, [-60], -12)];
    expect(calibrate({ ...INPUT, samples: mixed })).toMatchObject({
      ok: false,
      message: expect.stringContaining('changed during'),
    });
  });

  it('warns when the spread says the tag moved or was blocked', () => {
    const outcome = calibrate({ ...INPUT, samples: samples(80, [-50, -70, -55, -75]) });
    expect(outcome.ok && outcome.result.warnings[0]).toMatch(/^the RSSI spread is 17\.5 dB between quartiles/);
  });

  it('quantiles interpolate between neighbours', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
  });
});
