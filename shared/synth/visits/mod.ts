/** The weekly synthetic-visits release (docs/synthetic-data.md §8): what the hub and HQ call. */
export {
  boundVisits,
  dwellBucket,
  visitRow,
  visitSchema,
  DWELL_BUCKET_EDGES_MINUTES,
  DWELL_BUCKET_LABELS,
} from './visit-records.ts';
export type { ShopperVisit } from './visit-records.ts';
export { synthesizeVisits, SYNTHETIC_VISITS_KIND } from './release-visits.ts';
export type { SyntheticVisitsOptions, SyntheticVisitsRelease } from './release-visits.ts';
export { decodeSyntheticVisits } from './decode-visits.ts';
export type { DecodedSyntheticVisits, SyntheticVisitRecord, VisitGroup } from './decode-visits.ts';
