import type { GatewayPlacement } from './store-schema.ts';

/**
 * Band thresholds (median RSSI → near/mid/far) for a simulated gateway, calibrated for its
 * receiver's gain as a technician does on site with a reference tag: the base thresholds shifted
 * by the receiver's offset. −72/−80 dBm is the best-supported base on the small store
 * (scripts/zone-accuracy.ts, docs/hub.md). Used by the demo, the zone-accuracy pipeline and tests.
 */
export const BASE_BANDS = { nearDbm: -72, midDbm: -80 } as const;

export function calibratedBands(
  gateway: Pick<GatewayPlacement, 'receiverOffsetDb'>,
  base: { nearDbm: number; midDbm: number } = BASE_BANDS,
): { nearDbm: number; midDbm: number } {
  return { nearDbm: base.nearDbm + gateway.receiverOffsetDb, midDbm: base.midDbm + gateway.receiverOffsetDb };
}
