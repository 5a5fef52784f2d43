import { EDDYSTONE_UUID16, eidFromEddystoneServiceData, eidFromServiceUuid } from '../../shared/eid/carriers.ts';

/**
 * The opt-in filter (docs/architecture.md#identifiers): the EID of an opt-in frame, or null for every other advert.
 * It reads only the two carriers — Eddystone service data (UUID feaa, EID frame) and a
 * 128-bit service UUID with the hushpoint prefix — and nothing else: no address, name or
 * manufacturer data. Allocation-free on the reject path; it runs for every advert heard.
 */

/** The parts of a parsed advertisement the filter looks at (noble's `peripheral.advertisement`). */
export interface AdvertisementView {
  serviceData?: ReadonlyArray<{ uuid: string; data: Uint8Array }>;
  serviceUuids?: readonly string[];
}

const EDDYSTONE_UUID = EDDYSTONE_UUID16.toString(16);
const UUID128_HEX_LENGTH = 32;

export function optInEid(advertisement: AdvertisementView): string | null {
  const serviceData = advertisement.serviceData;
  if (serviceData !== undefined) {
    for (let i = 0; i < serviceData.length; i++) {
      const entry = serviceData[i] as { uuid: string; data: Uint8Array };
      if (entry.uuid === EDDYSTONE_UUID) {
        const eid = eidFromEddystoneServiceData(entry.data);
        if (eid !== null) return eid;
      }
    }
  }
  const uuids = advertisement.serviceUuids;
  if (uuids !== undefined) {
    for (let i = 0; i < uuids.length; i++) {
      const uuid = uuids[i] as string;
      if (uuid.length === UUID128_HEX_LENGTH) {
        const eid = eidFromServiceUuid(uuid);
        if (eid !== null) return eid;
      }
    }
  }
  return null;
}
