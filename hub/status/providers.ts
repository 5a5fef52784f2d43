import type { OffersPlanInput, PrivacyInput, StorageInput } from './core/status-view.ts';
import type { StatusProviders } from './routes.ts';

/**
 * The status page's providers from the hub's features: DP releases, upstream sync and the budget
 * plan from the privacy feature, and the offers' budget plan when offers are enabled. The
 * features are passed in as functions, so the page depends on none of them.
 */
export function hubStatusProviders(features: {
  privacyStatus: (nowMs: number) => PrivacyInput;
  /** The offers' caps from their config, or null when offers are disabled. */
  offersPlan: () => OffersPlanInput | null;
  storage: () => StorageInput;
}): StatusProviders {
  return {
    privacy: (nowMs) => features.privacyStatus(nowMs),
    offersPlan: () => features.offersPlan(),
    storage: () => features.storage(),
  };
}
