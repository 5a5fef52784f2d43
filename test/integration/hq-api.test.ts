import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOpenApiDocument } from '../../shared/testing/openapi-check.ts';
import { encodeReleasePayloadV2, type ReleasePayloadV2 } from '../../shared/upstream/release-payload-v2.ts';
import { releaseTopic } from '../../shared/protocol/topics.ts';
import { simulateChain, type SimulatedRelease } from '../../scripts/sim/chain/chain.ts';
import { testPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { getJson, incomingOf, startTestHq, type TestHq } from './hq-fixtures.ts';

/**
 * HQ's API and dashboard over real HTTP, on SQLite and on PostgreSQL (the same test): the
 * OpenAPI document is valid and documents every route; each view's numbers are the pooled sums
 * of what the stores released, with intervals from the stated noise; CSV and JSON exports agree;
 * the store and group filters select the right stores; bad input gets a clear 400/404.
 */

const CHAIN = simulateChain({
  stores: 6,
  days: 14,
  seed: 'hq-api',
  start: { y: 2026, m: 11, d: 2 },
  timeZone: 'Europe/Berlin',
});

interface ViewBody {
  scope: { from: string; to: string; stores: number };
  series: Array<{
    name: string;
    unit: string;
    points: Array<{ x: string; value: number; halfWidth95: number; variance: number; values: number }>;
  }>;
  summary: Array<{ name: string; value: number; halfWidth95: number }>;
}

function payload(r: SimulatedRelease) {
  return JSON.parse(r.body.toString()) as {
    window: { start: string; label: string };
    cells: string[];
    measures: Array<{ metric: string; sigmaSquared: string; values: number[] }>;
  };
}

/** Σ of released values per (local day, cell) for a kind, from the store side. */
function sentSums(kind: string, stores: ReadonlySet<string> | null): Map<string, { value: number; variance: number }> {
  const sums = new Map<string, { value: number; variance: number }>();
  for (const r of CHAIN.releases) {
    if (r.kind !== kind || (stores !== null && !stores.has(r.store))) continue;
    const p = payload(r);
    p.cells.forEach((cell, i) => {
      const key = `${p.window.start.slice(0, 10)}|${cell}`;
      const acc = sums.get(key) ?? { value: 0, variance: 0 };
      acc.value += p.measures[0]!.values[i]!;
      acc.variance += Number(p.measures[0]!.sigmaSquared);
      sums.set(key, acc);
    });
  }
  return sums;
}

/** A period-long v2 release of another layout (recommender statistics, synthetic rows): no noise needed here. */
function periodRelease(
  store: string,
  kind: string,
  cells: string[],
  measure: Partial<ReleasePayloadV2['measures'][number]>,
): Buffer {
  return encodeReleasePayloadV2({
    v: 2,
    store,
    release: `${kind}:2026-Q4`,
    kind,
    budgetPeriod: {
      unit: 'quarter',
      label: '2026-Q4',
      startUnix: 1790805600,
      endUnix: 1798758000,
      timeZone: 'Europe/Berlin',
    },
    window: {
      unit: 'period',
      label: '2026-Q4',
      start: '2026-10-01T00:00:00+02:00',
      end: '2027-01-01T00:00:00+01:00',
      startUnix: 1790805600,
      endUnix: 1798758000,
    },
    computedAt: '2027-01-01T00:10:00+01:00',
    privacyUnit: 'shopper-period',
    bounds: { maxItemsPerShopper: 20 },
    cost: { rho: '1/10', rhoUpper: 0.1, epsilon: 2.14, epsilonBunSteinke: 2.45, delta: 1e-6 },
    cells,
    measures: [
      {
        metric: 'weight',
        query: 'sum',
        layout: 'cells',
        mechanism: 'discrete-gaussian',
        sigma: 2,
        sigmaSquared: '4',
        granularity: '1/4',
        clamp: { lo: 0, hi: 1 },
        halfWidth95: 1,
        sensitivity: { l0: 20, lInf: '1', l2Squared: '20' },
        rho: '1/10',
        values: [],
        ...measure,
      },
    ],
  });
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`HQ API on ${engine}`, () => {
    let postgres: TestPostgres | null = null;
    let t: TestHq;
    const TOKEN = 'analyst-token-for-tests';
    const auth = { authorization: `Bearer ${TOKEN}` };

    beforeAll(async () => {
      if (engine === 'postgres') postgres = await testPostgres();
      t = await startTestHq({
        chain: CHAIN,
        token: TOKEN,
        ...(postgres !== null ? { postgresUrl: await postgres.database() } : {}),
      });
      const items = incomingOf(CHAIN.releases);
      for (let i = 0; i < items.length; i += 1000) await t.hq.store.ingest(items.slice(i, i + 1000), Date.now());
    });
    afterAll(async () => {
      await t?.stop();
      await postgres?.stop();
    });

    it('serves a valid OpenAPI document that documents every route it registered', async () => {
      const { status, body } = await getJson(`${t.url}/openapi.json`);
      expect(status).toBe(200);
      expect(checkOpenApiDocument(body, t.hq.http!.routes)).toEqual([]);
      const paths = Object.keys((body as { paths: Record<string, unknown> }).paths);
      expect(paths).toEqual(
        expect.arrayContaining([
          '/v1/releases',
          '/v1/views/{view}',
          '/v1/pooled/{kind}',
          '/v1/stores',
          '/v1/ingest',
          '/v1/quarantine',
          '/dashboard',
          '/metrics',
        ]),
      );
    });

    it('footfall per zone and day equals the sum of what the stores sent, with the variance of their noise', async () => {
      const { status, body } = await getJson(`${t.url}/v1/views/footfall?from=2026-11-02&to=2026-11-15`, auth);
      expect(status).toBe(200);
      const view = body as ViewBody;
      expect(view.scope).toMatchObject({ from: '2026-11-02', to: '2026-11-15', stores: 6 });
      const expected = sentSums('footfall', null);
      let points = 0;
      for (const series of view.series)
        for (const p of series.points) {
          const e = expected.get(`${p.x}|${series.name}`);
          expect(p.value).toBe(e?.value);
          expect(p.variance).toBeCloseTo(e?.variance ?? -1, 9);
          expect(p.halfWidth95).toBeCloseTo(1.959963984540054 * Math.sqrt(e?.variance ?? 0), 9);
          expect(p.values).toBe(6);
          points++;
        }
      expect(points).toBe(expected.size);
    });

    it('exports every view as CSV with the same numbers as its JSON', async () => {
      for (const name of [
        'footfall',
        'visits-by-hour',
        'dwell',
        'repeat-share',
        'transitions',
        'offer-lift',
        'conversion',
      ]) {
        const json = (await getJson(`${t.url}/v1/views/${name}?from=2026-11-02&to=2026-11-15`, auth)).body as ViewBody;
        const csv = await getJson(`${t.url}/v1/views/${name}?from=2026-11-02&to=2026-11-15&format=csv`, auth);
        expect(csv.type).toMatch(/^text\/csv/);
        const rows = (csv.body as string)
          .trim()
          .split('\n')
          .slice(1)
          .map((line) => line.split(','));
        const points = json.series.flatMap((s) => s.points.map((p) => [s.name, p.x, p.value] as const));
        expect(points.length, name).toBeGreaterThan(0);
        expect(rows.map((r) => [r[1], r[3], Number(r[4])])).toEqual(points.map(([s, x, v]) => [s, x, v]));
      }
    });

    it('filters by store and by store group; the chain is the sum of the groups', async () => {
      const store = CHAIN.stores[2]!;
      const one = (await getJson(`${t.url}/v1/views/footfall?from=2026-11-09&to=2026-11-09&store=${store.id}`, auth))
        .body as ViewBody;
      const expectedOne = sentSums('footfall', new Set([store.id]));
      expect(one.scope.stores).toBe(1);
      for (const s of one.series)
        for (const p of s.points) expect(p.value).toBe(expectedOne.get(`${p.x}|${s.name}`)?.value);
      const groups = [...new Set(CHAIN.stores.map((s) => s.group))];
      let sum = 0;
      for (const group of groups) {
        const v = (await getJson(`${t.url}/v1/views/visits-by-hour?from=2026-11-02&to=2026-11-15&group=${group}`, auth))
          .body as ViewBody;
        sum += v.summary[0]!.value;
      }
      const chain = (await getJson(`${t.url}/v1/views/visits-by-hour?from=2026-11-02&to=2026-11-15`, auth))
        .body as ViewBody;
      expect(sum).toBeCloseTo(chain.summary[0]!.value, 6);
    });

    it('pools any kind generically (/v1/pooled) with exact rational sums', async () => {
      const { body } = await getJson(`${t.url}/v1/pooled/repeat?from=2026-11-02&to=2026-11-15&windowUnit=week`, auth);
      const cells = (
        body as { cells: Array<{ window: string; cell: string; value: number; exact: string; values: number }> }
      ).cells;
      expect(cells.map((c) => `${c.window}/${c.cell}`).sort()).toEqual([
        '2026-W45/repeatVisitors',
        '2026-W45/visitors',
        '2026-W46/repeatVisitors',
        '2026-W46/visitors',
      ]);
      for (const c of cells) {
        expect(c.exact).toBe(String(c.value));
        expect(c.values).toBe(6);
      }
    });

    it('pools item × item statistics by item names and tables by union, for the pooling jobs', async () => {
      const a = periodRelease('store-001', 'recommender-stats', ['bread', 'milk'], {
        layout: 'upper-triangle',
        values: [8, 2, 12],
      });
      const b = periodRelease('store-002', 'recommender-stats', ['milk', 'eggs'], {
        layout: 'upper-triangle',
        values: [4, 1, 6],
      });
      const rows = periodRelease('store-003', 'synthetic-visits', ['zones', 'dwell'], {
        layout: 'rows',
        rows: 2,
        values: [4, 8, 12, 16],
      });
      const items = incomingOf([
        {
          store: 'store-001',
          kind: 'recommender-stats',
          releaseId: 'recommender-stats:2026-Q4',
          topic: releaseTopic('store-001', 'recommender-stats'),
          body: a,
          truth: [],
          windowEnd: 0,
        },
        {
          store: 'store-002',
          kind: 'recommender-stats',
          releaseId: 'recommender-stats:2026-Q4',
          topic: releaseTopic('store-002', 'recommender-stats'),
          body: b,
          truth: [],
          windowEnd: 0,
        },
        {
          store: 'store-003',
          kind: 'synthetic-visits',
          releaseId: 'synthetic-visits:2026-Q4',
          topic: releaseTopic('store-003', 'synthetic-visits'),
          body: rows,
          truth: [],
          windowEnd: 0,
        },
      ]);
      expect(await t.hq.store.ingest(items, Date.now())).toEqual(['stored', 'stored', 'stored']);
      const matrix = (
        await getJson(`${t.url}/v1/pooled-matrix/recommender-stats?budgetPeriod=2026-Q4&metric=weight`, auth)
      ).body as {
        items: string[];
        entries: Array<{ a: string; b: string; value: number; variance: number; stores: number }>;
      };
      expect(matrix.items).toEqual(['bread', 'eggs', 'milk']);
      // g = 1/4, σ² = 4: Var per value = 4/16.
      expect(matrix.entries.map((e) => [e.a, e.b, e.value, e.stores, e.variance])).toEqual([
        ['bread', 'bread', 2, 1, 0.25],
        ['bread', 'milk', 0.5, 1, 0.25],
        ['eggs', 'eggs', 1.5, 1, 0.25],
        ['eggs', 'milk', 0.25, 1, 0.25],
        ['milk', 'milk', 4, 2, 0.5],
      ]);
      const table = await getJson(
        `${t.url}/v1/rows/synthetic-visits?budgetPeriod=2026-Q4&metric=weight&format=csv`,
        auth,
      );
      expect(table.body).toBe(
        'store,window,zones,dwell,noise_variance\nstore-003,2026-Q4,1,2,0.25\nstore-003,2026-Q4,3,4,0.25\n',
      );
    });

    it('names bad input: a bad date (400 with its pointer), an unknown store or group (404), no token (401)', async () => {
      const bad = await getJson(`${t.url}/v1/views/footfall?from=2026-13-45`, auth);
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ error: { code: 'API_BAD_REQUEST', details: { pointer: '/querystring/from' } } });
      const format = await getJson(`${t.url}/v1/views/footfall?from=2026-11-02&format=xls`, auth);
      expect(format.status).toBe(400);
      expect(format.body).toMatchObject({ error: { details: { pointer: '/querystring/format' } } });
      const unknown = await getJson(`${t.url}/v1/views/footfall?store=store-999`, auth);
      expect(unknown).toMatchObject({
        status: 404,
        body: { error: { code: 'API_NOT_FOUND', message: expect.stringMatching(/No store "store-999"/) } },
      });
      expect((await getJson(`${t.url}/v1/views/footfall?group=nowhere`, auth)).status).toBe(404);
      expect((await getJson(`${t.url}/v1/views/nothing`, auth)).status).toBe(400);
      expect((await getJson(`${t.url}/v1/views/footfall`)).status).toBe(401);
      expect((await getJson(`${t.url}/v1/views/footfall`, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await getJson(`${t.url}/v1/health`)).body).toEqual({ ok: true, engine });
    });

    it('counts what it stored at /v1/ingest and /metrics, and serves the dashboard with uPlot bundled', async () => {
      const ingest = (await getJson(`${t.url}/v1/ingest`, auth)).body as { releases: number; duplicates: number };
      expect(ingest).toMatchObject({
        engine,
        releases: CHAIN.releases.length + 3, // the chain and the three period releases above
        duplicates: 0,
        quarantined: 0,
        mqtt: null,
      });
      const metrics = (await getJson(`${t.url}/metrics`)).body as string;
      expect(metrics).toMatch(/hq_http_requests_total\{method="GET",route="\/v1\/views\/:view",status="200"\}/);
      const page = await getJson(`${t.url}/dashboard`);
      expect(page.type).toMatch(/^text\/html/);
      expect(page.body).toMatch(/data-token-required="true"/);
      expect(page.body).not.toMatch(/https?:\/\/(?!127)/);
      const uplot = await getJson(`${t.url}/dashboard/assets/uplot.js`);
      expect(uplot.status).toBe(200);
      expect(uplot.body).toMatch(/uPlot/);
    });
  });
}
