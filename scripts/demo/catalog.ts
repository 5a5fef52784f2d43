import type { StoreConfig } from '../sim/store-schema.ts';

/**
 * The demo store's offer catalog, made from the store's zones: three offers per zone (two
 * standard ones from different brands, one price-sensitive sale offer, which gets the smaller ε),
 * valid for a week around the simulated day.
 */
export const DEMO_BRANDS = ['Acme', 'Bluefield', 'Rosa', 'Northwind'] as const;

export interface DemoOffer {
  id: string;
  title: string;
  category: string;
  brand: string;
  zones: string[];
  validFrom: string;
  validTo: string;
  sensitivity?: string;
}

export function demoCatalog(store: StoreConfig, aroundMs: number): { offers: DemoOffer[] } {
  const validFrom = new Date(aroundMs - 3 * 86_400_000).toISOString();
  const validTo = new Date(aroundMs + 4 * 86_400_000).toISOString();
  const offers = store.zones.flatMap((zone, z) => [
    {
      id: `${zone.id}-new-season`,
      title: `New season in ${zone.id}: 15% off`,
      category: zone.id,
      brand: DEMO_BRANDS[z % DEMO_BRANDS.length] as string,
      zones: [zone.id],
      validFrom,
      validTo,
    },
    {
      id: `${zone.id}-bundle`,
      title: `Two for one in ${zone.id}`,
      category: zone.id,
      brand: DEMO_BRANDS[(z + 1) % DEMO_BRANDS.length] as string,
      zones: [zone.id],
      validFrom,
      validTo,
    },
    {
      id: `${zone.id}-sale`,
      title: `Last sizes in ${zone.id}: 40% off`,
      category: 'sale',
      brand: DEMO_BRANDS[(z + 2) % DEMO_BRANDS.length] as string,
      zones: [zone.id],
      validFrom,
      validTo,
      sensitivity: 'price-sensitive',
    },
  ]);
  return { offers };
}
