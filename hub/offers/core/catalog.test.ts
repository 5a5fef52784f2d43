import { describe, expect, it } from 'vitest';
import { buildCatalogIndex, eligibleOffers, parseCatalog, parseDateTime, withPopularity } from './catalog.ts';

const CLASSES = ['standard', 'price-sensitive', 'health'];
const EPS = { standard: 1_000_000, 'price-sensitive': 500_000, health: 250_000 };

function offer(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'o-1',
    title: 'Jeans 20 % off',
    category: 'denim',
    brand: "Levi's",
    zones: ['denim'],
    validFrom: '2026-11-01T00:00:00Z',
    validTo: '2026-12-01T00:00:00Z',
    ...extra,
  };
}

describe('offer catalog', () => {
  it('keeps valid offers and fills in the default sensitivity class', () => {
    const parsed = parseCatalog(
      { offers: [offer(), offer({ id: 'o-2', sensitivity: 'price-sensitive', sizes: ['M', 'L'] })] },
      { classes: CLASSES },
    );
    expect(parsed.rejected).toEqual([]);
    expect(parsed.documentProblems).toEqual([]);
    expect(parsed.offers.map((o) => [o.id, o.sensitivity])).toEqual([
      ['o-1', 'standard'],
      ['o-2', 'price-sensitive'],
    ]);
    expect(parsed.offers[0]?.validFromMs).toBe(Date.parse('2026-11-01T00:00:00Z'));
  });

  it.each([
    [{ title: undefined }, '/offers/0/title', /is required/],
    [{ title: '' }, '/offers/0/title', /at least 1 characters/],
    [{ category: 'Denim Wear' }, '/offers/0/category', /expected a string matching/],
    [{ zones: [] }, '/offers/0/zones', /at least 1/],
    [{ zones: ['Denim!'] }, '/offers/0/zones/0', /expected a string matching/],
    [{ validFrom: '1 Nov 2026' }, '/offers/0/validFrom', /expected a string matching/],
    [{ validTo: '2026-02-30T00:00:00Z', validFrom: '2026-02-01T00:00:00Z' }, '/offers/0/validTo', /not a real date/],
    [{ validTo: '2026-10-01T00:00:00Z' }, '/offers/0/validTo', /expected a time after validFrom/],
    [
      { sensitivity: 'alcohol' },
      '/offers/0/sensitivity',
      /"alcohol", expected one of the configured classes "standard", "price-sensitive", "health"/,
    ],
    [{ colour: 'blue' }, '/offers/0/colour', /not allowed/],
    [{ id: 'has space' }, '/offers/0/id', /expected a string matching/],
  ])('rejects an entry with %j naming the field', (extra, path, message) => {
    const entry = offer(extra);
    for (const [key, value] of Object.entries(extra)) if (value === undefined) delete entry[key];
    const parsed = parseCatalog({ offers: [entry, offer({ id: 'fine' })] }, { classes: CLASSES });
    expect(parsed.offers.map((o) => o.id)).toEqual(['fine']);
    expect(parsed.rejected).toHaveLength(1);
    const problem = parsed.rejected[0]?.problems.find((p) => p.path === path);
    expect(problem, JSON.stringify(parsed.rejected)).toBeDefined();
    expect(problem?.message).toMatch(message);
  });

  it('rejects every invalid entry, each with all its problems, and a repeated id', () => {
    const parsed = parseCatalog(
      { offers: [offer(), offer({ id: 'o-9', zones: [], sensitivity: 'nope' }), offer(), 42] },
      { classes: CLASSES },
    );
    expect(parsed.offers).toHaveLength(1);
    expect(parsed.rejected.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(parsed.rejected[0]?.problems.map((p) => p.path)).toEqual(['/offers/1/zones']);
    expect(parsed.rejected[1]?.problems).toEqual([
      { path: '/offers/2/id', message: 'is "o-1", already used by /offers/0; expected unique ids' },
    ]);
    expect(parsed.rejected[2]?.problems[0]?.path).toBe('/offers/3');
  });

  it('reports a document without an offers list', () => {
    expect(parseCatalog([1, 2], { classes: CLASSES }).documentProblems[0]?.message).toMatch(/not a mapping/);
    expect(parseCatalog({ offer: [] }, { classes: CLASSES }).documentProblems.map((p) => p.path)).toEqual([
      '/offer',
      '/offers',
    ]);
  });

  it('parses only real date-times', () => {
    expect(parseDateTime('2028-02-29T23:59:59+01:00')).toBe(Date.parse('2028-02-29T22:59:59Z'));
    expect(parseDateTime('2027-02-29T00:00Z')).toBeNaN();
    expect(parseDateTime('2027-01-01T24:00Z')).toBeNaN();
  });

  it('indexes offers by zone and finds those valid at a time', () => {
    const { offers } = parseCatalog(
      {
        offers: [
          offer({ id: 'a', zones: ['denim', 'entrance'] }),
          offer({ id: 'b', zones: ['denim'], validFrom: '2026-11-10T00:00:00Z' }),
          offer({ id: 'c', zones: ['womenswear'], brand: undefined, sensitivity: 'health' }),
          offer({ id: 'd', zones: ['denim'], brand: " LEVI'S " }),
        ].map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))),
      },
      { classes: CLASSES },
    );
    const index = buildCatalogIndex(offers, EPS);
    const ids = (zone: string, iso: string): string[] =>
      [...eligibleOffers(index, zone, Date.parse(iso))].map((i) => index.offers[i]?.id as string);
    expect(ids('denim', '2026-11-05T00:00:00Z')).toEqual(['a', 'd']);
    expect(ids('denim', '2026-11-10T00:00:00Z')).toEqual(['a', 'b', 'd']);
    expect(ids('denim', '2026-12-01T00:00:00Z')).toEqual([]);
    expect(ids('checkout', '2026-11-05T00:00:00Z')).toEqual([]);
    expect(index.brand[0]).toBe(index.brand[3]);
    expect(index.brand[2]).toBe(index.brandCount);
    expect(index.brandCount).toBe(1);
    expect([...index.epsilonMicro]).toEqual([1_000_000, 1_000_000, 250_000, 1_000_000]);
    expect(index.popularity).toBeNull();
    const prior = withPopularity(index, (o) => (o.id === 'a' ? 2 : 0.25));
    expect([...(prior.popularity ?? [])]).toEqual([1, 0.25, 0.25, 0.25]);
  });
});
