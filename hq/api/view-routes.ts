import { Type } from '@sinclair/typebox';
import type { HttpApp } from '../../shared/http/mod.ts';
import { ID_PATTERN } from '../../shared/protocol/topics.ts';
import { poolCells } from '../pooling/core/pool-cells.ts';
import { VIEW_NAMES, VIEWS, viewCsv, type ViewName } from '../pooling/core/views.ts';
import type { HqStore } from '../storage/hq-store.ts';
import type { AuthHook } from './auth.ts';
import { ErrorSchema, PooledSchema, ScopeQuery, ViewSchema } from './schemas.ts';
import { resolveScope, type StoreDirectory } from './scope.ts';
import { pooledCsv, pooledOut, viewOut } from './wire.ts';

/**
 * The analysts' read API: GET /v1/views (the list), GET /v1/views/{view} (a figure with 95%
 * intervals for the chain, a store group or one store, over local dates; JSON or CSV) and
 * GET /v1/pooled/{kind} (every pooled cell of any release kind, for exports and own analyses).
 */

export interface ViewRouteDeps {
  readonly store: () => HqStore;
  readonly directory: StoreDirectory;
  readonly auth: AuthHook;
  /** Today's date in UTC, the default end of a selection when nothing is stored yet. */
  readonly today: () => string;
}

const csvOrJson = (schema: object) => ({
  content: {
    'application/json': { schema },
    'text/csv': { schema: { type: 'string', description: 'the same figures, one row per point' } },
  },
});

export function registerViewRoutes(app: HttpApp, deps: ViewRouteDeps): void {
  async function scopeOf(query: Parameters<typeof resolveScope>[0]) {
    const range = await deps.store().dateRange();
    return resolveScope(query, deps.directory, range.last ?? deps.today());
  }

  app.get(
    '/v1/views',
    {
      preHandler: deps.auth,
      schema: {
        summary: 'The figures HQ serves, with the release kind each reads',
        tags: ['views'],
        response: {
          200: Type.Object({
            views: Type.Array(Type.Object({ view: Type.String(), title: Type.String(), kind: Type.String() })),
          }),
          401: ErrorSchema,
        },
      },
    },
    async () => ({ views: VIEW_NAMES.map((v) => ({ view: v, title: VIEWS[v].title, kind: VIEWS[v].kind })) }),
  );

  app.get(
    '/v1/views/:view',
    {
      preHandler: deps.auth,
      schema: {
        summary: 'One figure pooled over the chain, a store group or a store, with 95% intervals (JSON or CSV)',
        tags: ['views'],
        params: Type.Object({ view: Type.Union(VIEW_NAMES.map((v) => Type.Literal(v))) }),
        querystring: ScopeQuery,
        response: { 200: csvOrJson(ViewSchema), 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      const definition = VIEWS[request.params.view as ViewName];
      const scope = await scopeOf(request.query);
      const rows = await deps.store().aggregateCells({
        kind: definition.kind,
        ...(definition.windowUnit !== undefined ? { windowUnit: definition.windowUnit } : {}),
        fromDate: scope.from,
        toDate: scope.toExclusive,
        stores: scope.stores,
      });
      const view = definition.build(poolCells(rows));
      reply.header('cache-control', 'no-store');
      if (request.query.format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${view.view}_${scope.from}_${scope.to}.csv"`)
          .send(viewCsv(view));
      }
      return reply.type('application/json; charset=utf-8').send(viewOut(view, scope));
    },
  );

  app.get(
    '/v1/pooled/:kind',
    {
      preHandler: deps.auth,
      schema: {
        summary: 'Every pooled "cells" value of a release kind: Σ value·g over the selected stores, with 95% intervals',
        tags: ['views'],
        params: Type.Object({ kind: Type.String({ pattern: ID_PATTERN }) }),
        querystring: Type.Object(
          {
            ...ScopeQuery.properties,
            windowUnit: Type.Optional(
              Type.Union([Type.Literal('hour'), Type.Literal('day'), Type.Literal('week'), Type.Literal('period')]),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: csvOrJson(PooledSchema), 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      const { windowUnit, ...rest } = request.query;
      const scope = await scopeOf(rest);
      const rows = await deps.store().aggregateCells({
        kind: request.params.kind,
        ...(windowUnit !== undefined ? { windowUnit } : {}),
        fromDate: scope.from,
        toDate: scope.toExclusive,
        stores: scope.stores,
      });
      const cells = poolCells(rows);
      reply.header('cache-control', 'no-store');
      if (rest.format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${request.params.kind}_${scope.from}_${scope.to}.csv"`)
          .send(pooledCsv(request.params.kind, cells));
      }
      return reply.type('application/json; charset=utf-8').send(pooledOut(request.params.kind, cells, scope));
    },
  );
}
