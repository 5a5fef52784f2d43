import type { Sampler } from './sampler.ts';

/**
 * Shopper arrivals: a non-homogeneous Poisson process whose rate follows the store's arrival
 * curve. The simulated span walks through the whole opening day (the curve is compressed in
 * time), but the rate at each moment is the curve's real rate in arrivals per hour, so the
 * crowd in the store is as dense as on the real day at that hour: simulating 60 minutes of an
 * 09:00–20:00 store gives the morning lull, the lunch peak and the evening peak, and about
 * (mean hourly rate) × 1 h arrivals.
 */

/**
 * Default shape of retail footfall by hour of day (relative to the day's peak): a slow morning, a
 * lunchtime peak, an afternoon dip, the early-evening peak. An assumption in the shape of published
 * footfall curves, not a measurement; stores override it with `arrivalsPerHour`.
 */
export const DEFAULT_HOURLY_SHAPE: readonly number[] = [
  0.05,
  0.05,
  0.05,
  0.05,
  0.05,
  0.05,
  0.1,
  0.2,
  0.35,
  0.45,
  0.6,
  0.8, // 00–11
  0.95,
  0.9,
  0.75,
  0.75,
  0.85,
  1.0,
  0.95,
  0.75,
  0.5,
  0.3,
  0.15,
  0.1, // 12–23
];

/** Minutes since midnight of an "HH:MM" clock time (opening hours). */
export function minutesOfDay(clock: string): number {
  const [h, m] = clock.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

export interface ArrivalCurve {
  /** Arrivals per hour in each opening hour, in order. */
  perHour: readonly number[];
  /** Length of the opening day in minutes (the last hour may be partial). */
  openMinutes: number;
}

export function arrivalCurve(
  opensMinute: number,
  closesMinute: number,
  options: { arrivalsPerHour?: readonly number[] | undefined; peakArrivalsPerHour: number },
): ArrivalCurve {
  const openMinutes = closesMinute - opensMinute;
  if (!(openMinutes > 0)) throw new RangeError(`opening hours are ${openMinutes} minutes long, expected more than 0`);
  const hours = Math.ceil(openMinutes / 60);
  if (options.arrivalsPerHour !== undefined) {
    if (options.arrivalsPerHour.length !== hours)
      throw new RangeError(`arrivalsPerHour has ${options.arrivalsPerHour.length} values, expected ${hours}`);
    return { perHour: options.arrivalsPerHour, openMinutes };
  }
  const firstHour = Math.floor(opensMinute / 60);
  const shape = Array.from({ length: hours }, (_, i) => DEFAULT_HOURLY_SHAPE[(firstHour + i) % 24] as number);
  const peak = Math.max(...shape);
  return { perHour: shape.map((w) => (w / peak) * options.peakArrivalsPerHour), openMinutes };
}

/** Arrivals per hour at fraction f ∈ [0, 1) of the simulated span. */
export function rateAt(curve: ArrivalCurve, fraction: number): number {
  const minute = Math.min(Math.max(fraction, 0), 1) * curve.openMinutes;
  const hour = Math.min(Math.floor(minute / 60), curve.perHour.length - 1);
  return curve.perHour[hour] as number;
}

/** The expected number of arrivals over a span of `spanMs` (the integral of the rate). */
export function expectedArrivals(curve: ArrivalCurve, spanMs: number): number {
  let total = 0;
  for (let h = 0; h < curve.perHour.length; h++) {
    const fromMin = h * 60;
    const toMin = Math.min((h + 1) * 60, curve.openMinutes);
    const share = (toMin - fromMin) / curve.openMinutes;
    total += (curve.perHour[h] as number) * share * (spanMs / 3_600_000);
  }
  return total;
}

/**
 * Arrival offsets (ms from the start of the span, ascending) by thinning (Lewis & Shedler 1979):
 * candidates from a homogeneous process at the peak rate, each kept with probability rate/peak.
 */
export function sampleArrivals(curve: ArrivalCurve, spanMs: number, sampler: Sampler): number[] {
  const peakPerMs = Math.max(...curve.perHour) / 3_600_000;
  const out: number[] = [];
  if (!(peakPerMs > 0) || !(spanMs > 0)) return out;
  let t = 0;
  for (;;) {
    t += sampler.exponential(1 / peakPerMs);
    if (t >= spanMs) return out;
    if (sampler.unit() * peakPerMs * 3_600_000 < rateAt(curve, t / spanMs)) out.push(t);
  }
}
