import { Type } from '@sinclair/typebox';
import type { HttpApp } from '../../shared/http/mod.ts';
import { decodeSyntheticVisits, SYNTHETIC_VISITS_KIND } from '../../shared/synth/visits/mod.ts';
import { decodeAnyReleasePayload } from '../../shared/upstream/release-payload-v2.ts';
import { estimate, type Estimate } from '../pooling/core/intervals.ts';
import { normalizeRelease } from '../storage/core/normalize.ts';
import type { HqStore } from '../storage/hq-store.ts';
import type { AuthHook } from './auth.ts';
import { ErrorSchema, ScopeQuery } from './schemas.ts';
import { resolveScope, type Scope, type StoreDirectory } from './scope.ts';
import { scopeOut } from './wire.ts';

/**
 * GET /v1/synthetic-visits: the stores' weekly synthetic-visits releases over a selection
 * (docs/synthetic-data.md §8, docs/hq.md), decoded into synthetic visit records an analyst can
 * train on — post-processing only. Each release's number of synthetic visits is the sum of its
 * groups' noisy counts (unbiased), shown with its 95% interval: the count of every group carries
 * the release's noise variance v, so k groups give k·v. Records are the groups kept by the
 * decoder (noisy count ≥ a quarter of the group size), heaviest first; none is a real visit.
 */

export interface SyntheticVisitRouteDeps {
  readonly store: () => HqStore;
  readonly directory: StoreDirectory;
  readonly auth: AuthHook;
  readonly today: () => string;
}

const EstimateOut = Type.Object({
  value: Type.Number(),
  halfWidth95: Type.Number(),
  low: Type.Number(),
  high: Type.Number(),
});
const RecordOut = Type.Object({
  store: Type.String(),
  window: Type.String(),
  weight: Type.Number({ description: 'the noisy number of visits this record stands for' }),
  zones: Type.Array(Type.Object({ zone: Type.String(), dwell: Type.String() })),
  hour: Type.Integer(),
  weekday: Type.Integer({ description: '0 = Monday' }),
  repeat: Type.Boolean(),
});
const SyntheticVisitsOut = Type.Object({
  scope: Type.Object({}, { additionalProperties: true }),
  releases: Type.Array(
    Type.Object({ store: Type.String(), window: Type.String(), groups: Type.Integer(), visits: EstimateOut }),
  ),
  total: EstimateOut,
  records: Type.Array(RecordOut),
  skipped: Type.Array(Type.Object({ store: Type.String(), release: Type.String(), reason: Type.String() })),
});

interface Decoded {
  releases: Array<{ store: string; window: string; groups: number; visits: Estimate }>;
  total: Estimate;
  records: Array<{
    store: string;
    window: string;
    weight: number;
    zones: Array<{ zone: string; dwell: string }>;
    hour: number;
    weekday: number;
    repeat: boolean;
  }>;
  skipped: Array<{ store: string; release: string; reason: string }>;
}

async function syntheticVisits(store: HqStore, scope: Scope): Promise<Decoded> {
  const wanted = scope.stores === null ? null : new Set(scope.stores);
  const out: Decoded = { releases: [], total: estimate(0, 0), records: [], skipped: [] };
  let totalValue = 0;
  let totalVariance = 0;
  // Only the windows that can start in the selection are read (local dates are within ±14 h of UTC);
  // the local date decides.
  const DAY_S = 86_400;
  const candidates = await store.listReleases({
    kind: SYNTHETIC_VISITS_KIND,
    fromUnix: Date.parse(`${scope.from}T00:00:00Z`) / 1000 - DAY_S,
    toUnix: Date.parse(`${scope.toExclusive}T00:00:00Z`) / 1000 + DAY_S,
    ...(scope.stores !== null && scope.stores.length === 1 ? { store: scope.stores[0] as string } : {}),
  });
  for (const stored of candidates) {
    const day = stored.localStart.slice(0, 10);
    if (day < scope.from || day >= scope.toExclusive || (wanted !== null && !wanted.has(stored.store))) continue;
    const payload = decodeAnyReleasePayload(stored.body);
    if (!payload.ok || payload.value.v !== 2) {
      out.skipped.push({ store: stored.store, release: stored.releaseId, reason: 'not a v2 release payload' });
      continue;
    }
    const release = payload.value;
    let decoded;
    try {
      decoded = decodeSyntheticVisits(release);
    } catch (error) {
      out.skipped.push({ store: stored.store, release: stored.releaseId, reason: (error as Error).message });
      continue;
    }
    // The decoder found the measure; its values in real units and its noise variance per value.
    const measure = normalizeRelease(release).measures.find((m) => m.metric === 'centredSum' && m.layout === 'rows');
    const rows = measure?.rows ?? 0;
    const g = measure === undefined ? 0 : Number(measure.granularity.num) / Number(measure.granularity.den);
    const width = release.cells.length;
    let value = 0;
    for (let r = 0; r < rows; r++) value += (measure?.values[(r + 1) * width - 1] as number) * g;
    const variance = rows * (measure?.variance ?? 0);
    totalValue += value;
    totalVariance += variance;
    out.releases.push({
      store: stored.store,
      window: release.window.label,
      groups: rows,
      visits: estimate(value, variance),
    });
    for (const r of decoded.records)
      out.records.push({
        store: stored.store,
        window: release.window.label,
        weight: r.weight,
        zones: r.zones.map((z) => ({ zone: z.zone, dwell: z.dwell })),
        hour: r.hour,
        weekday: r.weekday,
        repeat: r.repeat,
      });
  }
  out.total = estimate(totalValue, totalVariance);
  out.records.sort((a, b) => b.weight - a.weight);
  return out;
}

const csvQuote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const round = (n: number): number => Math.round(n * 1000) / 1000;

export function registerSyntheticVisitRoutes(app: HttpApp, deps: SyntheticVisitRouteDeps): void {
  app.get(
    '/v1/synthetic-visits',
    {
      preHandler: deps.auth,
      schema: {
        summary: "The stores' synthetic-visits releases decoded into synthetic visit records (JSON or CSV)",
        tags: ['views'],
        querystring: ScopeQuery,
        response: {
          200: {
            content: {
              'application/json': { schema: SyntheticVisitsOut },
              'text/csv': { schema: { type: 'string', description: 'one synthetic visit record per row' } },
            },
          },
          400: ErrorSchema,
          401: ErrorSchema,
          404: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const range = await deps.store().dateRange();
      const scope = resolveScope(request.query, deps.directory, range.last ?? deps.today());
      const decoded = await syntheticVisits(deps.store(), scope);
      reply.header('cache-control', 'no-store');
      if (request.query.format === 'csv') {
        const lines = ['store,window,weight,hour,weekday,repeat,zones'];
        for (const r of decoded.records)
          lines.push(
            [
              r.store,
              r.window,
              String(round(r.weight)),
              String(r.hour),
              String(r.weekday),
              r.repeat ? '1' : '0',
              r.zones.map((z) => `${z.zone}:${z.dwell}`).join(' '),
            ]
              .map(csvQuote)
              .join(','),
          );
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="synthetic-visits_${scope.from}_${scope.to}.csv"`)
          .send(`${lines.join('\n')}\n`);
      }
      return reply.type('application/json; charset=utf-8').send({ scope: scopeOut(scope), ...decoded });
    },
  );
}
