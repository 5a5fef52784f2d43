import { Type } from '@sinclair/typebox';
import { AppError } from '../../shared/errors.ts';
import type { HttpApp } from '../../shared/http/mod.ts';
import { formatRational } from '../../shared/privacy/rational.ts';
import { ID_PATTERN } from '../../shared/protocol/topics.ts';
import { decodeAnyReleasePayload } from '../../shared/upstream/release-payload-v2.ts';
import { poolRows, poolUpperTriangle } from '../pooling/core/pool-layouts.ts';
import { normalizeRelease, type NormalizedRelease } from '../storage/core/normalize.ts';
import type { HqStore } from '../storage/hq-store.ts';
import type { AuthHook } from './auth.ts';
import { ErrorSchema, EstimateFields, Id } from './schemas.ts';
import type { StoreDirectory } from './scope.ts';

/**
 * The pooled statistics of one budget period for HQ's pooling jobs and for analysts:
 *   GET /v1/pooled-matrix/{kind}  an item × item statistic (upper-triangle layout) summed over the
 *                                 stores, with variances — what the recommender's cleaning reads
 *   GET /v1/rows/{kind}           the union of the stores' tables (rows layout), e.g. synthetic
 *                                 visit records to train models on; JSON or CSV
 */

export interface LayoutRouteDeps {
  readonly store: () => HqStore;
  readonly directory: StoreDirectory;
  readonly auth: AuthHook;
}

const Query = Type.Object(
  {
    budgetPeriod: Type.String({ minLength: 1, maxLength: 40, description: 'e.g. 2026-Q4' }),
    metric: Type.String({ pattern: '^[a-z][A-Za-z0-9]{0,40}$' }),
    store: Type.Optional(Id),
    group: Type.Optional(Id),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })),
  },
  { additionalProperties: false },
);

async function releasesOf(
  deps: LayoutRouteDeps,
  kind: string,
  query: { budgetPeriod: string; store?: string | undefined; group?: string | undefined },
): Promise<NormalizedRelease[]> {
  let stores: ReadonlySet<string> | null = null;
  if (query.store !== undefined) {
    if (!deps.directory.groupOf.has(query.store))
      throw new AppError('API_NOT_FOUND', `No store "${query.store}" in hq.yaml`);
    stores = new Set([query.store]);
  } else if (query.group !== undefined) {
    const members = deps.directory.groups.get(query.group);
    if (members === undefined) throw new AppError('API_NOT_FOUND', `No store group "${query.group}"`);
    stores = new Set(members);
  }
  const out: NormalizedRelease[] = [];
  for (const stored of await deps.store().listReleases({ kind, budgetPeriod: query.budgetPeriod })) {
    if (stores !== null && !stores.has(stored.store)) continue;
    const decoded = decodeAnyReleasePayload(stored.body);
    if (decoded.ok) out.push(normalizeRelease(decoded.value));
  }
  return out;
}

const csvQuote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

// Longer than a screen: one route after another, each with its schema; the logic is in the helpers above and in core/.
export function registerLayoutRoutes(app: HttpApp, deps: LayoutRouteDeps): void {
  app.get(
    '/v1/pooled-matrix/:kind',
    {
      preHandler: deps.auth,
      schema: {
        summary: 'An item × item statistic of one budget period summed over the stores, each entry with its variance',
        tags: ['pooling'],
        params: Type.Object({ kind: Type.String({ pattern: ID_PATTERN }) }),
        querystring: Query,
        response: {
          200: {
            content: {
              'application/json': {
                schema: Type.Object({
                  kind: Type.String(),
                  metric: Type.String(),
                  budgetPeriod: Type.String(),
                  releases: Type.Integer(),
                  items: Type.Array(Type.String()),
                  entries: Type.Array(
                    Type.Object({
                      a: Type.String(),
                      b: Type.String(),
                      exact: Type.String(),
                      stores: Type.Integer(),
                      ...EstimateFields,
                    }),
                  ),
                }),
              },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          400: ErrorSchema,
          401: ErrorSchema,
          404: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const pooled = poolUpperTriangle(await releasesOf(deps, request.params.kind, q), q.metric);
      if (q.format === 'csv') {
        const lines = ['a,b,value,exact,low,high,half_width_95,variance,stores'];
        for (const e of pooled.entries)
          lines.push(
            [e.a, e.b, e.value, formatRational(e.exact), e.low, e.high, e.halfWidth95, e.variance, e.stores]
              .map((v) => csvQuote(String(v)))
              .join(','),
          );
        return reply.type('text/csv; charset=utf-8').send(`${lines.join('\n')}\n`);
      }
      return reply.type('application/json; charset=utf-8').send({
        kind: request.params.kind,
        metric: q.metric,
        budgetPeriod: q.budgetPeriod,
        releases: pooled.releases,
        items: [...pooled.items],
        entries: pooled.entries.map((e) => ({
          a: e.a,
          b: e.b,
          exact: formatRational(e.exact),
          stores: e.stores,
          value: e.value,
          variance: e.variance,
          halfWidth95: e.halfWidth95,
          low: e.low,
          high: e.high,
          reliable: e.reliable,
        })),
      });
    },
  );

  app.get(
    '/v1/rows/:kind',
    {
      preHandler: deps.auth,
      schema: {
        summary: "The union of the stores' tables (rows layout) of one budget period, e.g. synthetic visit records",
        tags: ['pooling'],
        params: Type.Object({ kind: Type.String({ pattern: ID_PATTERN }) }),
        querystring: Query,
        response: {
          200: {
            content: {
              'application/json': {
                schema: Type.Object({
                  kind: Type.String(),
                  metric: Type.String(),
                  budgetPeriod: Type.String(),
                  releases: Type.Integer(),
                  columns: Type.Array(Type.String()),
                  rows: Type.Array(
                    Type.Object({
                      store: Type.String(),
                      window: Type.String(),
                      values: Type.Array(Type.Number()),
                      variance: Type.Number(),
                    }),
                  ),
                  skipped: Type.Array(Type.String({ description: 'releases whose columns differ from the first' })),
                }),
              },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          400: ErrorSchema,
          401: ErrorSchema,
          404: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const pooled = poolRows(await releasesOf(deps, request.params.kind, q), q.metric);
      if (q.format === 'csv') {
        const lines = [['store', 'window', ...pooled.columns, 'noise_variance'].map(csvQuote).join(',')];
        pooled.rows.forEach((r, i) =>
          lines.push([r.store, r.window, ...r.values.map(String), String(pooled.variances[i])].map(csvQuote).join(',')),
        );
        return reply.type('text/csv; charset=utf-8').send(`${lines.join('\n')}\n`);
      }
      return reply.type('application/json; charset=utf-8').send({
        kind: request.params.kind,
        metric: q.metric,
        budgetPeriod: q.budgetPeriod,
        releases: pooled.releases,
        columns: [...pooled.columns],
        rows: pooled.rows.map((r, i) => ({
          store: r.store,
          window: r.window,
          values: [...r.values],
          variance: pooled.variances[i] as number,
        })),
        skipped: [...pooled.skipped],
      });
    },
  );
}
