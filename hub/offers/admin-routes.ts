import { Type } from '@sinclair/typebox';
import { AppError, isAppError } from '../../shared/errors.ts';
import { randomHex, type RandomSource } from '../../shared/ports/random.ts';
import { compileValidator } from '../../shared/validation.ts';
import { badRequest, requireToken, type LegacyRequest as ApiRequest, type LegacyApi } from '../http/mod.ts';
import type { ShopperService } from '../shoppers/mod.ts';
import { DATE_TIME_PATTERN, NAME_PATTERN, parseDateTime, publicOffer } from './core/catalog.ts';
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

const PurchasesBody = Type.Object(
  {
    purchases: Type.Array(
      Type.Object(
        {
          sku: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          category: Type.String({ pattern: NAME_PATTERN }),
          brand: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          size: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
          at: Type.Optional(Type.String({ pattern: DATE_TIME_PATTERN })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
);
const validatePurchases = compileValidator<{
  purchases: Array<{ sku?: string; category: string; brand?: string; size?: string; at?: string }>;
}>(PurchasesBody);

function timeParam(req: ApiRequest, name: string, fallback: number): number {
  const raw = req.query.get(name);
  if (raw === null) return fallback;
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
  api: LegacyApi;
  offers: OfferService;
  shoppers: ShopperService;
  adminToken: () => string | null;
  random: RandomSource;
  now: () => number;
}

export function registerOfferAdminRoutes(deps: OfferAdminDeps): void {
  const { api, offers } = deps;
  const admin = (req: ApiRequest): void => requireToken(req, deps.adminToken(), 'admin');

  api.route('GET', '/v1/admin/offers', (req) => {
    admin(req);
    return {
      status: 200,
      body: { offers: offers.catalog.offers().map(publicOffer), rejected: offers.catalog.rejected() },
    };
  });

  for (const method of ['PUT', 'POST'] as const) {
    api.route(method, '/v1/admin/offers', async (req) => {
      admin(req);
      try {
        const result = offers.catalog.apply(await req.json(), { replace: method === 'PUT', nowMs: deps.now() });
        return { status: 200, body: { accepted: result.accepted, offers: offers.catalog.offers().length } };
      } catch (error) {
        // The router's error body plus every problem, so the admin can fix all entries at once.
        if (!isAppError(error, 'API_BAD_REQUEST') || !Array.isArray(error.details?.problems)) throw error;
        return {
          status: 400,
          body: {
            error: {
              code: error.code,
              message: error.message,
              field: error.details.field,
              problems: error.details.problems,
            },
          },
        };
      }
    });
  }

  api.route('DELETE', '/v1/admin/offers/:offerId', (req) => {
    admin(req);
    const id = req.params.offerId as string;
    if (!offers.catalog.remove(id))
      throw new AppError('API_NOT_FOUND', `No offer "${id}" in the catalog`, { details: { field: 'offerId' } });
    return { status: 204 };
  });

  api.route('GET', '/v1/admin/offers/stats', (req) => {
    admin(req);
    const nowMs = deps.now();
    const fromMs = timeParam(req, 'from', nowMs - 28 * 86_400_000);
    const toMs = timeParam(req, 'to', nowMs + 1);
    if (toMs <= fromMs)
      throw new AppError(
        'API_BAD_REQUEST',
        `Query parameter to is "${new Date(toMs).toISOString()}", expected a time after from (${new Date(fromMs).toISOString()})`,
        { details: { field: 'to' } },
      );
    return {
      status: 200,
      body: {
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        ...offers.stats({ fromMs, toMs }),
      },
    };
  });

  api.route('POST', '/v1/admin/shoppers/:id/purchases', async (req) => {
    admin(req);
    const id = req.params.id as string;
    const shopper = deps.shoppers.get(id);
    if (shopper === null) throw new AppError('API_NOT_FOUND', `No shopper "${id}"`, { details: { field: 'id' } });
    const checked = validatePurchases(await req.json());
    if (!checked.ok) throw badRequest(checked.problems, 'Purchases body');
    const nowMs = deps.now();
    const purchases: StoredPurchase[] = checked.value.purchases.map((p, i) => {
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
    return { status: 201, body: { added: purchases.length, ids: purchases.map((p) => p.id) } };
  });
}
