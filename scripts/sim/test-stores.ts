import { parseStore } from './load-store.ts';
import type { StoreConfig } from './store-schema.ts';

/**
 * Small stores built in code for the simulator's tests (the shipped examples are in
 * scripts/stores/). `overrides` are merged one level deep into the document before validation.
 */

export type StoreDocument = Record<string, unknown>;

function merge(base: StoreDocument, overrides: StoreDocument): StoreDocument {
  const out: StoreDocument = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = out[key];
    out[key] =
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current !== null &&
      typeof current === 'object' &&
      !Array.isArray(current)
        ? { ...(current as StoreDocument), ...(value as StoreDocument) }
        : value;
  }
  return out;
}

/** One 6 m × 6 m room with one gateway in the middle: every packet is heard (≈ −70 dBm). */
export function oneRoomStore(overrides: StoreDocument = {}): StoreConfig {
  return parseStore(
    merge(
      {
        store: 'one-room',
        hours: { opens: '09:00', closes: '10:00' },
        arrivalsPerHour: [120],
        entrance: { zone: 'room' },
        zones: [{ id: 'room', rect: { x: 0, y: 0, width: 6, height: 6 }, dwell: { meanSeconds: 600 } }],
        gateways: [{ id: 'gw-room', zone: 'room', position: [3, 3] }],
      },
      overrides,
    ),
    'one-room',
  );
}

/** Three zones in a row (0–30 m), one gateway each: the movement and truth tests' store. */
export function corridorStore(overrides: StoreDocument = {}): StoreConfig {
  return parseStore(
    merge(
      {
        store: 'corridor',
        hours: { opens: '09:00', closes: '10:00' },
        arrivalsPerHour: [240],
        entrance: { point: [1, 5] },
        zones: [
          { id: 'front', rect: { x: 0, y: 0, width: 10, height: 10 }, dwell: { meanSeconds: 30 } },
          { id: 'middle', rect: { x: 10, y: 0, width: 10, height: 10 }, dwell: { meanSeconds: 90 } },
          {
            id: 'back',
            rect: { x: 20, y: 0, width: 10, height: 10 },
            dwell: { meanSeconds: 120, distribution: 'lognormal', sigma: 0.6 },
          },
        ],
        gateways: [
          { id: 'gw-front', zone: 'front', position: [5, 5] },
          { id: 'gw-middle', zone: 'middle', position: [15, 5], receiverOffsetDb: -3 },
          { id: 'gw-back', zone: 'back', position: [25, 5], receiverOffsetDb: 3 },
        ],
        shoppers: { optInFraction: 0.5, earbudsShare: 0.5, watchShare: 0.5, trackerShare: 0.3 },
        fixedDevices: [
          { kind: 'ibeacon', position: [2, 2], intervalMs: 350 },
          { kind: 'eddystone-uid', position: [28, 8] },
          { kind: 'named', name: 'Till 1', position: [12, 1] },
        ],
      },
      overrides,
    ),
    'corridor',
  );
}
