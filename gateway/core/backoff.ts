import { uniformInt, type RandomSource } from '../../shared/ports/random.ts';

/**
 * Reconnect delay: exponential from `minMs`, capped at `maxMs`, with "equal jitter" — a uniform
 * draw from the upper half of the step — so that a store full of gateways does not reconnect in
 * lockstep after the hub restarts (docs/references.md#ble-and-the-simulator).
 */
export interface BackoffSettings {
  minMs: number;
  maxMs: number;
}

/** The delay before attempt number `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, settings: BackoffSettings, rng: RandomSource): number {
  if (!Number.isInteger(attempt) || attempt < 0)
    throw new RangeError(`attempt is ${attempt}, expected a non-negative integer`);
  if (settings.minMs < 1 || settings.maxMs < settings.minMs)
    throw new RangeError(`backoff is ${settings.minMs}..${settings.maxMs} ms, expected 1 ≤ minMs ≤ maxMs`);
  const step = Math.min(settings.maxMs, settings.minMs * 2 ** Math.min(attempt, 30));
  const half = Math.floor(step / 2);
  return step - half + uniformInt(rng, half + 1);
}
