import { Type } from '@sinclair/typebox';
import { AppError } from '../shared/errors.ts';
import { compileValidator } from '../shared/validation.ts';
import { requireToken, tokenMatches, type ApiRequest } from './adapters/http-api.ts';
import { shopperByToken, type EnrolledShopper } from './adapters/shopper-store.ts';
import { parseShopperImport } from './shopper-import.ts';
import type { Hub } from './app.ts';

/**
 * Enrollment routes of the hub API:
 *
 *   POST   /v1/shoppers                  enroll (returns id, identityKey, exponent, token — once)
 *   GET    /v1/shoppers/:id              the shopper's record (their token, or the admin token)
 *   DELETE /v1/shoppers/:id              delete the shopper and their identity key (same)
 *   POST   /v1/admin/shoppers/import     enroll shoppers with given identity keys (admin token)
 *   GET    /v1/admin/gateways            the gateway registry (admin token)
 */

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

export function badRequest(problems: Array<{ path: string; message: string }>, what: string): AppError {
  const first = problems[0] ?? { path: '', message: 'is invalid' };
  return new AppError(
    'API_BAD_REQUEST',
    `${what} ${first.path || '/'} ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
    { details: { field: first.path, problems } },
  );
}

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
export function authorizedShopper(hub: Hub, req: ApiRequest): EnrolledShopper {
  const id = req.params.id as string;
  if (req.bearer === null)
    throw new AppError('AUTH_BAD_CREDENTIAL', 'An "Authorization: Bearer <shopper token>" header is required');
  if (!tokenMatches(req.bearer, hub.tokens.admin)) {
    const owner = shopperByToken(hub.db, req.bearer);
    if (owner === null) throw new AppError('AUTH_BAD_CREDENTIAL', 'The bearer token is not a shopper token');
    if (owner.id !== id) throw new AppError('AUTH_FORBIDDEN', `The token belongs to another shopper, not "${id}"`);
    return owner;
  }
  const shopper = hub.shoppers.get(id);
  if (shopper === null) throw new AppError('API_NOT_FOUND', `No shopper "${id}"`);
  return shopper;
}

export function registerShopperRoutes(hub: Hub): void {
  const { api } = hub;

  api.route('POST', '/v1/shoppers', async (req) => {
    const checked = validateEnroll(await req.json());
    if (!checked.ok) throw badRequest(checked.problems, 'Enrollment body');
    const { shopper, token } = hub.shoppers.enroll({
      consent: checked.value.consent,
      exponent: checked.value.exponent ?? hub.config.eid.defaultExponent,
    });
    return {
      status: 201,
      headers: { location: `/v1/shoppers/${shopper.id}` },
      body: { ...publicShopper(shopper), identityKey: shopper.identityKey.toString('hex'), token },
    };
  });

  api.route('GET', '/v1/shoppers/:id', (req) => ({ status: 200, body: publicShopper(authorizedShopper(hub, req)) }));

  api.route('DELETE', '/v1/shoppers/:id', (req) => {
    const shopper = authorizedShopper(hub, req);
    hub.shoppers.delete(shopper.id);
    return { status: 204 };
  });

  api.route('POST', '/v1/admin/shoppers/import', async (req) => {
    requireToken(req, hub.tokens.admin, 'admin');
    const shoppers = parseShopperImport(await req.json(), hub.config.eid.defaultExponent);
    return { status: 200, body: hub.shoppers.import(shoppers) };
  });

  api.route('GET', '/v1/admin/gateways', (req) => {
    requireToken(req, hub.tokens.admin, 'admin');
    return { status: 200, body: { gateways: hub.gateways.list() } };
  });
}
