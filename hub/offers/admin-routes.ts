import { Type } from '@sinclair/typebox';
import { AppError, isAppError } from '../../shared/errors.ts';
import { errors } from '../../shared/http/mod.ts';
import { randomHex, type RandomSource } from '../../shared/ports/random.ts';
import { requireToken, type ApiServer, type FastifyRequest } from '../http/mod.ts';
import type { ShopperService } from '../shoppers/mod.ts';
import {
  CatalogBody,
  CatalogChanged,
  CatalogRefused,
  CatalogView,
  OfferIdParams,
  PurchasesAdded,
  PurchasesBody,
  ShopperIdParams,
  StatsQuery,
  StatsView,
} from './api-schemas.ts';
import { parseDateTime, publicOffer } from './core/catalog.ts';
import type { StoredPurchase } from './adapters/sqlite-offer-store.ts';
import type { OfferService } from './offer-service.ts';

/**
 * Admin routes for offers (the admin token of `api.adminTokenFile`):
 *
 *   GET    /v1/admin/offers                       the catalog, and entries rejected from the file
 *   PUT    /v1/admin/offers                       replace the whole catalog ({offers: [...]}, all or nothing)
 *   POST   /v1/admin/offers                       add or replace offers by id (all or nothing)
 *   DELETE /v1/admin/offers/:id                   retire an offer
 *   GET    /v1/admin/offers/stats?from&to         released offer response per arm and week (95% intervals), catalog, streams
 *   POST   /v1/admin/shoppers/:id/purchases       the point of sale's purchase feed for a shopper
 */

function timeParam(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const ms = parseDateTime(raw);
  if (Number.isNaN(ms))
    throw new AppError(
      'API_BAD_REQUEST',
      `Query parameter ${name} is "${raw}", expected an ISO date-time such as 2026-11-28T00:00:00Z`,
      { details: { field: name } },
    );
  return ms;
}

export interface OfferAdminDeps {
  api: ApiServer;
  offers: OfferService;
  shoppers: ShopperService;
  adminToken: () => string | null;
  random: RandomSource;
  now: () => number;
}

const tags = ['admin'];
const security = [{ bearer: [] }];
/** The catalog validates its body itself (every problem at once, zones and classes from the config). */
const catalogValidates = (): ((value: unknown) => boolean) => () => true;

// Longer than a screen: one route after another, each with its schema; the logic is in the helpers above and in core/.
export function registerOfferAdminRoutes(deps: OfferAdminDeps): void {
  const { offers } = deps;
  // The admin token is checked before the request is validated: a 401 comes before any 400.
  const admin = async (request: FastifyRequest): Promise<void> => requireToken(request, deps.adminToken(), 'admin');

  deps.api.routes((app) => {
    app.get(
      '/v1/admin/offers',
      {
        preValidation: admin,
        schema: {
          summary: 'The offer catalog, and entries rejected from the catalog file',
          tags,
          security,
          response: { 200: CatalogView, ...errors(401, 403) },
        },
      },
      async () => ({
        offers: offers.catalog.offers().map(publicOffer),
        rejected: offers.catalog.rejected().map((r) => ({ index: r.index, id: r.id, problems: [...r.problems] })),
      }),
    );

    for (const method of ['PUT', 'POST'] as const) {
      app.route({
        method,
        url: '/v1/admin/offers',
        preValidation: admin,
        validatorCompiler: catalogValidates,
        schema: {
          summary:
            method === 'PUT'
              ? 'Replace the whole catalog (all or nothing)'
              : 'Add or replace offers by id (all or nothing)',
          tags,
          security,
          body: CatalogBody,
          response: { 200: CatalogChanged, 400: CatalogRefused, ...errors(401, 403) },
        },
        handler: async (request, reply) => {
          try {
            const result = offers.catalog.apply(request.body, { replace: method === 'PUT', nowMs: deps.now() });
            return { accepted: result.accepted, offers: offers.catalog.offers().length };
          } catch (error) {
            // The error body plus every problem, so the admin can fix all entries at once.
            if (!isAppError(error, 'API_BAD_REQUEST') || !Array.isArray(error.details?.problems)) throw error;
            return reply.status(400).send({
              error: {
                code: error.code,
                message: error.message,
                ...(typeof error.details.field === 'string' ? { field: error.details.field } : {}),
                problems: error.details.problems as Array<{ path: string; message: string }>,
              },
            });
          }
        },
      });
    }

    app.delete(
      '/v1/admin/offers/:offerId',
      {
        preValidation: admin,
        schema: {
          summary: 'Retire an offer',
          tags,
          security,
          params: OfferIdParams,
          response: { 204: Type.Null({ description: 'retired' }), ...errors(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const id = request.params.offerId;
        if (!offers.catalog.remove(id))
          throw new AppError('API_NOT_FOUND', `No offer "${id}" in the catalog`, { details: { field: 'offerId' } });
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/v1/admin/offers/stats',
      {
        preValidation: admin,
        schema: {
          summary: 'Released (DP) offer response per arm and week with 95% intervals; catalog and stream figures',
          tags,
          security,
          querystring: StatsQuery,
          response: { 200: StatsView, ...errors(400, 401, 403) },
        },
      },
      async (request) => {
        const nowMs = deps.now();
        const fromMs = timeParam(request.query.from, 'from', nowMs - 28 * 86_400_000);
        const toMs = timeParam(request.query.to, 'to', nowMs + 1);
        if (toMs <= fromMs)
          throw new AppError(
            'API_BAD_REQUEST',
            `Query parameter to is "${new Date(toMs).toISOString()}", expected a time after from (${new Date(fromMs).toISOString()})`,
            { details: { field: 'to' } },
          );
        return {
          from: new Date(fromMs).toISOString(),
          to: new Date(toMs).toISOString(),
          ...offers.stats({ fromMs, toMs }),
        };
      },
    );

    app.post(
      '/v1/admin/shoppers/:id/purchases',
      {
        preValidation: admin,
        schema: {
          summary: "The point of sale's purchase feed for one shopper",
          tags,
          security,
          params: ShopperIdParams,
          body: PurchasesBody,
          response: { 201: PurchasesAdded, ...errors(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const id = request.params.id;
        const shopper = deps.shoppers.get(id);
        if (shopper === null) throw new AppError('API_NOT_FOUND', `No shopper "${id}"`, { details: { field: 'id' } });
        const nowMs = deps.now();
        const purchases: StoredPurchase[] = request.body.purchases.map((p, i) => {
          const atMs = p.at === undefined ? nowMs : parseDateTime(p.at);
          if (Number.isNaN(atMs))
            throw new AppError(
              'API_BAD_REQUEST',
              `Purchases body /purchases/${i}/at is "${p.at}", which is not a real date and time`,
              { details: { field: `/purchases/${i}/at` } },
            );
          return {
            id: `pur-${randomHex(deps.random, 8)}`,
            atMs,
            sku: p.sku ?? null,
            category: p.category,
            brand: p.brand ?? null,
            size: p.size ?? null,
            source: 'pos',
            decisionId: null,
          };
        });
        offers.store.addPurchases(shopper.pk, purchases);
        return reply.status(201).send({ added: purchases.length, ids: purchases.map((p) => p.id) });
      },
    );
  });
}
