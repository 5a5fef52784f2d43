import { Type } from '@sinclair/typebox';
import { AppError } from '../../shared/errors.ts';
import { compileValidator } from '../../shared/validation.ts';
import { badRequest, requireToken, tokenMatches, type ApiRequest, type ApiServer } from '../http/mod.ts';
import type { EnrolledShopper } from './shopper-store.ts';
import { parseShopperImport } from './shopper-import.ts';
import type { ShopperService } from './shopper-service.ts';

/**
 * Enrollment routes of the hub API:
 *
 *   POST   /v1/shoppers                  enroll (returns id, identityKey, exponent, token — once)
 *   GET    /v1/shoppers/:id              the shopper's record (their token, or the admin token)
 *   DELETE /v1/shoppers/:id              delete the shopper and their identity key (same)
 *   POST   /v1/admin/shoppers/import     enroll shoppers with given identity keys (admin token)
 */

export interface ShopperRouteDeps {
  api: ApiServer;
  shoppers: ShopperService;
  /** The admin token (null when none is configured); read at request time. */
  adminToken: () => string | null;
  /** The exponent for enrollments that do not name one. */
  defaultExponent: number;
}

const EnrollBody = Type.Object(
  {
    consent: Type.Object(
      { presenceForOffers: Type.Boolean(), analytics: Type.Boolean() },
      { additionalProperties: false },
    ),
    exponent: Type.Optional(Type.Integer({ minimum: 0, maximum: 15 })),
  },
  { additionalProperties: false },
);
const validateEnroll = compileValidator<{
  consent: { presenceForOffers: boolean; analytics: boolean };
  exponent?: number;
}>(EnrollBody);

export function publicShopper(shopper: EnrolledShopper): Record<string, unknown> {
  return {
    id: shopper.id,
    exponent: shopper.exponent,
    consent: {
      presenceForOffers: shopper.consent.presenceForOffers,
      analytics: shopper.consent.analytics,
      pausedUntil:
        shopper.consent.pausedUntilMs === null ? null : new Date(shopper.consent.pausedUntilMs).toISOString(),
    },
    enrolledAt: new Date(shopper.createdMs).toISOString(),
  };
}

/** The shopper addressed by `:id`, if the request carries their token or the admin token. */
export function authorizedShopper(
  deps: Pick<ShopperRouteDeps, 'shoppers' | 'adminToken'>,
  req: ApiRequest,
): EnrolledShopper {
  const id = req.params.id as string;
  if (req.bearer === null)
    throw new AppError('AUTH_BAD_CREDENTIAL', 'An "Authorization: Bearer <shopper token>" header is required');
  if (!tokenMatches(req.bearer, deps.adminToken())) {
    const owner = deps.shoppers.byToken(req.bearer);
    if (owner === null) throw new AppError('AUTH_BAD_CREDENTIAL', 'The bearer token is not a shopper token');
    if (owner.id !== id) throw new AppError('AUTH_FORBIDDEN', `The token belongs to another shopper, not "${id}"`);
    return owner;
  }
  const shopper = deps.shoppers.get(id);
  if (shopper === null) throw new AppError('API_NOT_FOUND', `No shopper "${id}"`);
  return shopper;
}

/** The shopper whose bearer token the request carries (401 otherwise). */
export function currentShopper(shoppers: ShopperService, req: ApiRequest): EnrolledShopper {
  if (req.bearer === null)
    throw new AppError('AUTH_BAD_CREDENTIAL', 'An "Authorization: Bearer <shopper token>" header is required');
  const shopper = shoppers.byToken(req.bearer);
  if (shopper === null)
    throw new AppError(
      'AUTH_BAD_CREDENTIAL',
      'The bearer token is not a shopper token (enroll with POST /v1/shoppers)',
    );
  return shopper;
}

export function registerShopperRoutes(deps: ShopperRouteDeps): void {
  const { api, shoppers } = deps;

  api.route('POST', '/v1/shoppers', async (req) => {
    const checked = validateEnroll(await req.json());
    if (!checked.ok) throw badRequest(checked.problems, 'Enrollment body');
    const { shopper, token } = shoppers.enroll({
      consent: checked.value.consent,
      exponent: checked.value.exponent ?? deps.defaultExponent,
    });
    return {
      status: 201,
      headers: { location: `/v1/shoppers/${shopper.id}` },
      body: { ...publicShopper(shopper), identityKey: shopper.identityKey.toString('hex'), token },
    };
  });

  api.route('GET', '/v1/shoppers/:id', (req) => ({ status: 200, body: publicShopper(authorizedShopper(deps, req)) }));

  api.route('DELETE', '/v1/shoppers/:id', (req) => {
    const shopper = authorizedShopper(deps, req);
    shoppers.delete(shopper.id);
    return { status: 204 };
  });

  api.route('POST', '/v1/admin/shoppers/import', async (req) => {
    requireToken(req, deps.adminToken(), 'admin');
    const imported = parseShopperImport(await req.json(), deps.defaultExponent);
    return { status: 200, body: shoppers.import(imported) };
  });
}
