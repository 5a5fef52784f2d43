import type { RandomSource } from '../../shared/ports/random.ts';
import { uniformInt, uniformUnit } from '../../shared/ports/random.ts';
import type { ApiClient } from './https-client.ts';

/**
 * The simulated shopper app: what a retailer's app does for each opted-in shopper in the demo.
 * It enrolls through the hub's public API (consent given), sets declared preferences for some
 * shoppers, listens on the offers stream, and redeems or dismisses what arrives. Choices come
 * from the simulator's seeded source, so a seed gives the same behaviour.
 */

export interface AppShopper {
  /** The simulator's id (shopper-00001…), for scoring against its truth. */
  simId: string;
  /** The hub's id, from enrollment. */
  hubId: string;
  token: string;
  offersReceived: number;
  redeemed: number;
  dismissed: number;
}

export interface ShopperAppOptions {
  api: ApiClient;
  /** Categories and brands the catalog offers, to draw preferences from. */
  categories: readonly string[];
  brands: readonly string[];
  /** Share of shoppers who declare preferences. */
  preferenceShare: number;
  /** Chance that a received offer is redeemed (else dismissed half the time, else left). */
  redeemChance: number;
  rng: RandomSource;
  /** Delay before acting on an offer, in wall ms. */
  actDelayMs: number;
}

export interface ShopperApp {
  /** Enrolls one shopper and returns its hub id and token. */
  enroll(simId: string): Promise<AppShopper>;
  /** Opens the offers stream of every enrolled shopper. */
  listen(): void;
  readonly shoppers: readonly AppShopper[];
  /** Waits for pending redeem/dismiss calls. */
  settle(): Promise<void>;
  close(): void;
}

function pickSome<T>(items: readonly T[], rng: RandomSource, max: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  const count = Math.min(pool.length, 1 + uniformInt(rng, max));
  for (let i = 0; i < count; i++) out.push(pool.splice(uniformInt(rng, pool.length), 1)[0] as T);
  return out;
}

export function createShopperApp(options: ShopperAppOptions): ShopperApp {
  const shoppers: AppShopper[] = [];
  const closers: Array<() => void> = [];
  const pending = new Set<Promise<unknown>>();

  function track(promise: Promise<unknown>): void {
    pending.add(promise);
    void promise.finally(() => pending.delete(promise));
  }

  function onOffer(shopper: AppShopper, data: unknown): void {
    const id = (data as { id?: unknown }).id;
    if (typeof id !== 'string') return;
    shopper.offersReceived++;
    const roll = uniformUnit(options.rng);
    const action =
      roll < options.redeemChance
        ? 'redeem'
        : roll < options.redeemChance + (1 - options.redeemChance) / 2
          ? 'dismiss'
          : null;
    if (action === null) return;
    track(
      new Promise((done) => setTimeout(done, options.actDelayMs))
        .then(async () => {
          const result = await options.api.call('POST', `/v1/me/offers/${encodeURIComponent(id)}/${action}`, {
            token: shopper.token,
          });
          if (result.status === 200) {
            if (action === 'redeem') shopper.redeemed++;
            else shopper.dismissed++;
          }
        })
        .catch(() => undefined),
    );
  }

  return {
    shoppers,
    async enroll(simId) {
      const enrolled = await options.api.call<{ id: string; token: string }>('POST', '/v1/shoppers', {
        body: { consent: { presenceForOffers: true, analytics: true } },
      });
      if (enrolled.status !== 201)
        throw new Error(`enrollment failed with ${enrolled.status}: ${JSON.stringify(enrolled.body)}`);
      const shopper: AppShopper = {
        simId,
        hubId: enrolled.body.id,
        token: enrolled.body.token,
        offersReceived: 0,
        redeemed: 0,
        dismissed: 0,
      };
      if (uniformUnit(options.rng) < options.preferenceShare) {
        const prefs = await options.api.call('PUT', '/v1/me/preferences', {
          token: shopper.token,
          body: {
            categories: pickSome(options.categories, options.rng, 2),
            brands: pickSome(options.brands, options.rng, 2),
          },
        });
        if (prefs.status !== 200)
          throw new Error(`setting preferences failed with ${prefs.status}: ${JSON.stringify(prefs.body)}`);
      }
      shoppers.push(shopper);
      return shopper;
    },
    listen() {
      for (const shopper of shoppers) {
        closers.push(
          options.api.stream('/v1/me/offers/stream', shopper.token, (event, data) => {
            if (event === 'offer') onOffer(shopper, data);
          }),
        );
      }
    },
    async settle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    close() {
      for (const close of closers.splice(0)) close();
    },
  };
}
