import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import { clampRssi, detectionProbability, meanRssi, shadowingStep, slantDistance } from './radio.ts';
import { Sampler } from './sampler.ts';

describe('log-distance path loss', () => {
  // docs/simulator.md#radio, "Mean RSSI [computed] with P1m = −59".
  it.each([
    [2.0, 0.5, -53.0],
    [2.0, 3, -68.5],
    [2.0, 20, -85.0],
    [2.2, 5, -74.4],
    [2.2, 12, -82.7],
    [2.7, 0.5, -50.9],
    [2.7, 2, -67.1],
    [2.7, 8, -83.4],
    [2.7, 20, -94.1],
    [3.5, 3, -75.7],
    [3.5, 12, -96.8],
    [3.5, 20, -104.5],
  ])('n = %s at %s m gives %s dBm (docs/simulator.md#radio)', (n, d, expected) => {
    expect(meanRssi(-59, d, n)).toBeCloseTo(expected, 1);
  });

  it('is −59 dBm at 1 m for any exponent, and never takes the log of 0', () => {
    for (const n of [1.5, 2.7, 6]) expect(meanRssi(-59, 1, n)).toBe(-59);
    expect(Number.isFinite(meanRssi(-59, 0, 2.7))).toBe(true);
    expect(slantDistance(3, 4)).toBe(5);
  });
});

describe('RSSI sampling around the model', () => {
  it('has the model mean and the combined spread of shadowing and fading at each distance', () => {
    const s = new Sampler(new SeededRandomSource('rssi-by-distance'));
    const sigmaS = 6;
    const sigmaF = 3;
    for (const d of [1, 2, 5, 10, 20]) {
      const expected = meanRssi(-59, d, 2.7);
      let shadow = 0;
      let sum = 0;
      let sumSq = 0;
      const n = 40_000;
      for (let i = 0; i < n; i++) {
        // One packet every second against a 1 s correlation time: nearly independent shadowing.
        shadow = i === 0 ? sigmaS * s.normal() : shadowingStep(shadow, 1000, sigmaS, 1, s.normal());
        const rssi = expected + shadow + sigmaF * s.normal();
        sum += rssi;
        sumSq += rssi * rssi;
      }
      const mean = sum / n;
      const sd = Math.sqrt(sumSq / n - mean * mean);
      expect(Math.abs(mean - expected)).toBeLessThan(0.15);
      expect(sd).toBeCloseTo(Math.hypot(sigmaS, sigmaF), 0);
    }
  });

  it('shadowing is stationary N(0, σ²) and correlated exp(−Δt/τ) between packets', () => {
    const s = new Sampler(new SeededRandomSource('ou'));
    const sigma = 6;
    const tau = 10;
    const dtMs = 2000;
    let x = sigma * s.normal();
    let sumSq = 0;
    let sumLag = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const prev = x;
      x = shadowingStep(x, dtMs, sigma, tau, s.normal());
      sumSq += x * x;
      sumLag += x * prev;
    }
    expect(Math.sqrt(sumSq / n)).toBeCloseTo(sigma, 1);
    expect(sumLag / sumSq).toBeCloseTo(Math.exp(-dtMs / 1000 / tau), 1);
  });
});

describe('detection falloff', () => {
  it('is ½ at the sensitivity and falls off logistically around it', () => {
    expect(detectionProbability(-94, -94, 2)).toBe(0.5);
    expect(detectionProbability(-90, -94, 2)).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
    expect(detectionProbability(-100, -94, 2)).toBeCloseTo(1 / (1 + Math.exp(3)), 12);
    expect(detectionProbability(-60, -94, 2)).toBeGreaterThan(0.9999);
    expect(detectionProbability(-120, -94, 2)).toBeLessThan(0.0001);
    let last = 0;
    for (let r = -130; r <= -50; r++) {
      const p = detectionProbability(r, -94, 2);
      expect(p).toBeGreaterThanOrEqual(last);
      last = p;
    }
  });
});

describe('HCI RSSI', () => {
  it('rounds and clamps to −127..20 dBm', () => {
    expect(clampRssi(-70.4)).toBe(-70);
    expect(clampRssi(-70.6)).toBe(-71);
    expect(clampRssi(-300)).toBe(-127);
    expect(clampRssi(35)).toBe(20);
  });
});
