import { uniformUnit, type RandomSource } from '../../../../shared/ports/random.ts';
import { rational, type Rational } from '../../../../shared/privacy/rational.ts';

/**
 * The public shape of a simulated chain and each store's hidden behaviour (docs/simulator.md,
 * "chain"). Presence level: no radio — shoppers, their visit days and hours, the zones they walk
 * through in floor order, how long they stay, whether they buy, and the offer arm they are in.
 * Every store releases the kinds of docs/privacy.md §4 in payload v2 with the cell conventions HQ reads
 * (docs/hq.md, "Release kinds").
 */

export const ZONES = ['entrance', 'produce', 'bakery', 'dairy', 'frozen', 'household', 'checkout'] as const;
export const DWELL_BUCKETS = ['<5', '5-15', '15-30', '30-60', '>=60'] as const;
export const OPEN_HOURS = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20] as const;
export const ARMS = ['personalised', 'holdout'] as const;
export const GROUPS = ['north', 'south', 'east', 'west'] as const;
/** A shopper contributes at most this many distinct zone-to-zone moves to a week's transitions. */
export const MAX_TRANSITIONS_PER_WEEK = 12;

/** The ρ (zCDP) each release costs a shopper at the bound: the simulator's stated policy. */
export const RELEASE_RHO: Readonly<Record<string, Rational>> = {
  footfall: rational(1n, 100n),
  visits: rational(1n, 200n),
  conversion: rational(1n, 200n),
  dwell: rational(1n, 50n),
  repeat: rational(1n, 100n),
  transitions: rational(1n, 50n),
  'offer-response': rational(1n, 100n),
};

export interface SimStore {
  readonly id: string;
  readonly group: string;
  /** Daily visit probability of each enrolled shopper. */
  readonly visitRates: Float64Array;
  /** Offer arm of each shopper: 1 = holdout. */
  readonly holdout: Uint8Array;
  readonly zoneProbability: readonly number[];
  readonly hourWeights: readonly number[];
  /** Per zone, the weights of the dwell buckets. */
  readonly dwellWeights: ReadonlyArray<readonly number[]>;
  readonly buyProbability: number;
  readonly offerShownProbability: number;
  readonly redeemProbability: { readonly personalised: number; readonly holdout: number };
}

export function storeId(index: number): string {
  return `store-${String(index + 1).padStart(3, '0')}`;
}

function between(rng: RandomSource, lo: number, hi: number): number {
  return lo + (hi - lo) * uniformUnit(rng);
}

export function chainModel(stores: number, rng: RandomSource): SimStore[] {
  return Array.from({ length: stores }, (_, index): SimStore => {
    const shoppers = Math.round(between(rng, 1500, 6000));
    const visitRates = new Float64Array(shoppers);
    const holdout = new Uint8Array(shoppers);
    for (let i = 0; i < shoppers; i++) {
      const u = uniformUnit(rng);
      visitRates[i] =
        u < 0.15 ? between(rng, 0.3, 0.6) : u < 0.6 ? between(rng, 0.05, 0.15) : between(rng, 0.005, 0.03);
      holdout[i] = uniformUnit(rng) < 0.1 ? 1 : 0;
    }
    const peak = between(rng, 11, 17);
    return {
      id: storeId(index),
      group: GROUPS[index % GROUPS.length] as string,
      visitRates,
      holdout,
      zoneProbability: ZONES.map((zone) =>
        zone === 'entrance' ? 0.97 : zone === 'checkout' ? between(rng, 0.7, 0.9) : between(rng, 0.15, 0.6),
      ),
      hourWeights: OPEN_HOURS.map((h) => Math.exp(-((h - peak) ** 2) / 18) + 0.15),
      dwellWeights: ZONES.map((zone) =>
        zone === 'entrance' || zone === 'checkout'
          ? [6, 3, 1, 0.3, 0.1]
          : [
              between(rng, 1, 4),
              between(rng, 2, 5),
              between(rng, 1, 3),
              between(rng, 0.3, 1.5),
              between(rng, 0.1, 0.6),
            ],
      ),
      buyProbability: between(rng, 0.45, 0.8),
      offerShownProbability: between(rng, 0.5, 0.8),
      redeemProbability: { personalised: between(rng, 0.1, 0.18), holdout: between(rng, 0.06, 0.11) },
    };
  });
}

/** Weekday factors of the visit probability (Monday first). */
export const WEEKDAY_FACTOR = [0.85, 0.9, 0.95, 1.0, 1.15, 1.35, 0.6] as const;
