import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSyntheticVisits } from '../../shared/synth/visits/mod.ts';
import { decodeAnyReleasePayload } from '../../shared/upstream/release-payload-v2.ts';
import { shapedVisits, syntheticVisitsRelease } from '../helpers/synthetic-visits-release.ts';
import { getJson, incomingOf, startTestHq, type TestHq } from './hq-fixtures.ts';

/**
 * The weekly synthetic-visits releases at HQ (docs/synthetic-data.md §8, docs/hq.md): two stores
 * send what the real synthesizer released from visits of a known shape; GET /v1/synthetic-visits
 * decodes them into synthetic records, the total is the sum of the released noisy counts with the
 * interval their stated noise gives, the shape survives the noise, JSON and CSV agree, the store
 * filter selects, and no record equals an input visit's identity (there are none to carry).
 */

interface Out {
  releases: Array<{ store: string; window: string; groups: number; visits: { value: number; halfWidth95: number } }>;
  total: { value: number; halfWidth95: number; low: number; high: number };
  records: Array<{
    store: string;
    window: string;
    weight: number;
    zones: Array<{ zone: string; dwell: string }>;
    hour: number;
    weekday: number;
    repeat: boolean;
  }>;
  skipped: unknown[];
}

const SEED = process.env.HUSHPOINT_TEST_SEED ?? 'hq-synth';
const STORES = [
  { id: 'store-001', group: 'north' },
  { id: 'store-002', group: 'south' },
];
const RELEASES = STORES.map((s, i) =>
  syntheticVisitsRelease(s.id, shapedVisits(1500 + 500 * i, `${SEED}:${s.id}`), `${SEED}:${s.id}`),
);

/** The released noisy counts of a release, and their noise variance, read from its payload. */
function released(body: Buffer): { value: number; variance: number; groups: number } {
  const decoded = decodeAnyReleasePayload(body);
  if (!decoded.ok || decoded.value.v !== 2) throw new Error('bad fixture');
  const m = decoded.value.measures.find((x) => x.metric === 'centredSum');
  if (m === undefined || m.rows === undefined) throw new Error('no centredSum');
  const width = decoded.value.cells.length;
  const scale = Number(m.granularity.split('/')[1]);
  let value = 0;
  for (let r = 0; r < m.rows; r++) value += (m.values[(r + 1) * width - 1] as number) / scale;
  const [num, den] = m.sigmaSquared!.split('/').map(Number) as [number, number?];
  return { value, variance: (m.rows * (num / (den ?? 1))) / scale ** 2, groups: m.rows };
}

describe(`HQ synthetic visits (seed ${SEED})`, () => {
  let t: TestHq;
  const TOKEN = 'synthetic-visits-token';
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    t = await startTestHq({ chain: { stores: STORES }, token: TOKEN });
    expect(await t.hq.store.ingest(incomingOf(RELEASES), Date.now())).toEqual(['stored', 'stored']);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('decodes every store release: totals are the released noisy counts with their stated noise', async () => {
    const res = await getJson(`${t.url}/v1/synthetic-visits?from=2026-11-09&to=2026-11-15`, auth);
    expect(res.status).toBe(200);
    const out = res.body as Out;
    expect(out.skipped).toEqual([]);
    expect(out.releases.map((r) => [r.store, r.window])).toEqual([
      ['store-001', '2026-W46'],
      ['store-002', '2026-W46'],
    ]);
    let value = 0;
    let variance = 0;
    RELEASES.forEach((r, i) => {
      const sent = released(r.body);
      value += sent.value;
      variance += sent.variance;
      expect(out.releases[i]?.groups).toBe(sent.groups);
      expect(out.releases[i]?.visits.value).toBeCloseTo(sent.value, 9);
      expect(out.releases[i]?.visits.halfWidth95).toBeCloseTo(1.959963984540054 * Math.sqrt(sent.variance), 9);
    });
    expect(out.total.value).toBeCloseTo(value, 9);
    expect(out.total.halfWidth95).toBeCloseTo(1.959963984540054 * Math.sqrt(variance), 9);
    // Near the true number of visits (1500 + 2000; records left over from the groups of m are not released).
    expect(Math.abs(out.total.value - 3500)).toBeLessThan(175);
    const expectedRecords = RELEASES.reduce((n, r) => {
      const d = decodeAnyReleasePayload(r.body);
      return n + (d.ok && d.value.v === 2 ? decodeSyntheticVisits(d.value).records.length : 0);
    }, 0);
    expect(out.records.length).toBe(expectedRecords);
    expect(out.records.map((r) => r.weight)).toEqual([...out.records.map((r) => r.weight)].sort((a, b) => b - a));
  });

  it('keeps the shape of the visits: bakery, mostly 15–30 min, Saturdays around 17:00', async () => {
    const out = (await getJson(`${t.url}/v1/synthetic-visits?from=2026-11-09&to=2026-11-15`, auth)).body as Out;
    const weight = out.records.reduce((n, r) => n + r.weight, 0);
    const share = (f: (r: Out['records'][number]) => boolean): number =>
      out.records.filter(f).reduce((n, r) => n + r.weight, 0) / weight;
    expect(share((r) => r.zones.some((z) => z.zone === 'bakery'))).toBeGreaterThan(0.7);
    // Group means pull dwell, hour and weekday toward their neighbours, but the mode stays and
    // each share stays far above its uniform value (dwell 1/5, Saturday 1/7, 15–19 h 5/24).
    const dwell = ['<5', '5-15', '15-30', '30-60', '>=60'].map((d) =>
      share((r) => r.zones.some((z) => z.zone === 'bakery' && z.dwell === d)),
    );
    expect(dwell.indexOf(Math.max(...dwell)), JSON.stringify(dwell)).toBe(2);
    expect(share((r) => r.weekday === 5)).toBeGreaterThan(0.3);
    expect(share((r) => Math.abs(r.hour - 17) <= 2)).toBeGreaterThan(0.4);
  });

  it('CSV has the same records; the store filter selects; bad scopes are named', async () => {
    const json = (await getJson(`${t.url}/v1/synthetic-visits?from=2026-11-09&to=2026-11-15`, auth)).body as Out;
    const csv = await getJson(`${t.url}/v1/synthetic-visits?from=2026-11-09&to=2026-11-15&format=csv`, auth);
    expect(csv.type).toMatch(/^text\/csv/);
    const lines = (csv.body as string).trim().split('\n');
    expect(lines[0]).toBe('store,window,weight,hour,weekday,repeat,zones');
    expect(lines.length - 1).toBe(json.records.length);
    const first = json.records[0]!;
    expect(lines[1]?.split(',').slice(0, 6)).toEqual([
      first.store,
      first.window,
      String(Math.round(first.weight * 1000) / 1000),
      String(first.hour),
      String(first.weekday),
      first.repeat ? '1' : '0',
    ]);
    const one = (await getJson(`${t.url}/v1/synthetic-visits?from=2026-11-09&to=2026-11-15&store=store-002`, auth))
      .body as Out;
    expect(new Set(one.records.map((r) => r.store))).toEqual(new Set(['store-002']));
    expect(one.releases.map((r) => r.store)).toEqual(['store-002']);
    const outside = (await getJson(`${t.url}/v1/synthetic-visits?from=2026-11-16&to=2026-11-22`, auth)).body as Out;
    expect(outside.releases).toEqual([]);
    expect((await getJson(`${t.url}/v1/synthetic-visits?from=2026-11-09&to=2026-11-15`)).status).toBe(401);
    const bad = await getJson(`${t.url}/v1/synthetic-visits?from=yesterday&to=2026-11-15`, auth);
    expect(bad.status).toBe(400);
    expect((await getJson(`${t.url}/v1/synthetic-visits?from=2026-11-09&to=2026-11-15&store=nope`, auth)).status).toBe(
      404,
    );
  });
});
