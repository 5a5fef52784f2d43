import type { Simulation } from '../sim/core/engine.ts';
import { isDetectable } from '../sim/core/population.ts';
import type { ApiClient } from './https-client.ts';
import type { ShopperApp } from './shopper-app.ts';

/**
 * Every opted-in shopper of the simulated day already uses the app: the app enrolls each one
 * through the hub's public API, and their phones' identity keys reach the hub by the admin
 * import, as a migration from an existing app install would. Then the app listens for offers.
 */
export interface EnrolledDemoShoppers {
  /** The simulator's id of each shopper, by hub id (scoring compares against the simulator's truth). */
  simIdOf: Map<string, string>;
  enrolled: number;
  /** Enrolled shoppers with a phone or tag that can carry an EID (iOS in the background cannot). */
  detectable: number;
}

export async function enrollDemoShoppers(options: {
  sim: Simulation;
  app: ShopperApp;
  api: ApiClient;
  adminToken: string;
}): Promise<EnrolledDemoShoppers> {
  const { app } = options;
  const optedIn = options.sim.shoppers.filter((s) => s.shopperId !== null && s.identityKey !== null);
  const simIdOf = new Map<string, string>();
  const keys: Array<{ id: string; identityKey: string; exponent: number }> = [];
  for (const plan of optedIn) {
    const shopper = await app.enroll(plan.shopperId as string);
    simIdOf.set(shopper.hubId, shopper.simId);
    keys.push({
      id: shopper.hubId,
      identityKey: Buffer.from(plan.identityKey as Uint8Array).toString('hex'),
      exponent: plan.exponent,
    });
  }
  const imported = await options.api.call('POST', '/v1/admin/shoppers/import', {
    token: options.adminToken,
    body: { shoppers: keys },
  });
  if (imported.status !== 200)
    throw new Error(`shopper import failed with ${imported.status}: ${JSON.stringify(imported.body)}`);
  app.listen();
  return { simIdOf, enrolled: optedIn.length, detectable: optedIn.filter((s) => isDetectable(s.kind)).length };
}
