/**
 * The radio channel between a carried device and a gateway (docs/simulator.md#radio):
 *
 *   RSSI = P1m + txOffset − 10·n·log10(d / 1 m) + receiverOffset + S(t) + F
 *
 * P1m is the class's RSSI at 1 m, txOffset the device's own transmit spread, n the path-loss
 * exponent, d the 3-D distance (floor distance plus the gateway's height above the device), S a
 * per device–gateway shadowing process (bodies, shelving) and F fast fading drawn per packet.
 * S is an Ornstein–Uhlenbeck process: stationary N(0, σ_s²) with correlation exp(−Δt/τ), updated
 * exactly for any Δt, so it can be advanced lazily only when the device transmits.
 * A packet is received with a probability falling off logistically around the sensitivity.
 */

export interface RadioParams {
  pathLossExponent: number;
  shadowingSigmaDb: number;
  shadowingCorrelationSeconds: number;
  fadingSigmaDb: number;
  sensitivityDbm: number;
  detectionSlopeDb: number;
  txSpreadDb: number;
  heightDifferenceM: number;
}

/** The smallest distance used in the log (a phone held against the gateway is not at 0 m). */
export const MIN_DISTANCE_M = 0.1;
export const HCI_RSSI_MIN = -127;
export const HCI_RSSI_MAX = 20;

/** Mean RSSI (no shadowing, no fading) at a 3-D distance. */
export function meanRssi(p1mDbm: number, distanceM: number, pathLossExponent: number): number {
  return p1mDbm - 10 * pathLossExponent * Math.log10(Math.max(distanceM, MIN_DISTANCE_M));
}

/** The distance between a device at floor distance `floorM` and a gateway `heightM` above it. */
export function slantDistance(floorM: number, heightM: number): number {
  return Math.sqrt(floorM * floorM + heightM * heightM);
}

/** P(packet received | RSSI) = 1 / (1 + exp(−(rssi − sensitivity) / slope)). */
export function detectionProbability(rssi: number, sensitivityDbm: number, slopeDb: number): number {
  return 1 / (1 + Math.exp(-(rssi - sensitivityDbm) / slopeDb));
}

/** The integer the controller reports: rounded, clamped to the HCI range −127..20 dBm. */
export function clampRssi(rssi: number): number {
  const r = Math.round(rssi);
  return r < HCI_RSSI_MIN ? HCI_RSSI_MIN : r > HCI_RSSI_MAX ? HCI_RSSI_MAX : r;
}

/**
 * One exact Ornstein–Uhlenbeck step: S' = ρ·S + σ·√(1 − ρ²)·Z with ρ = exp(−Δt/τ), Z ~ N(0, 1).
 * Over any Δt the stationary distribution N(0, σ²) is kept.
 */
export function shadowingStep(
  previous: number,
  dtMs: number,
  sigmaDb: number,
  correlationSeconds: number,
  z: number,
): number {
  const rho = Math.exp(-dtMs / (correlationSeconds * 1000));
  return rho * previous + sigmaDb * Math.sqrt(1 - rho * rho) * z;
}
