import { Type, type Static } from '@sinclair/typebox';
import { AppError } from '../../shared/errors.ts';
import { errors } from '../../shared/http/mod.ts';
import { bearerOf, requireToken, tokenMatches, type ApiServer, type FastifyRequest } from '../http/mod.ts';
import type { EnrolledShopper } from './shopper-store.ts';
import { ShopperImportSchema, parseShopperImport } from './shopper-import.ts';
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

const closed = { additionalProperties: false } as const;
const EnrollBody = Type.Object(
  {
    consent: Type.Object({ presenceForOffers: Type.Boolean(), analytics: Type.Boolean() }, closed),
    exponent: Type.Optional(Type.Integer({ minimum: 0, maximum: 15 })),
  },
  closed,
);

export const ShopperView = Type.Object(
  {
    id: Type.String(),
    exponent: Type.Integer(),
    consent: Type.Object(
      {
        presenceForOffers: Type.Boolean(),
        analytics: Type.Boolean(),
        pausedUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      },
      closed,
    ),
    enrolledAt: Type.String({ format: 'date-time' }),
  },
  { ...closed, description: "A shopper's record (never their identity key or token)" },
);

const Enrolled = Type.Object(
  {
    ...ShopperView.properties,
    identityKey: Type.String({ pattern: '^[0-9a-f]{32}$', description: 'the EID identity key, shown once' }),
    token: Type.String({ description: "the shopper's bearer token, shown once" }),
  },
  closed,
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, closed);
const BearerHeader = { security: [{ bearer: [] }] };

export function publicShopper(shopper: EnrolledShopper): Static<typeof ShopperView> {
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
  req: Pick<FastifyRequest, 'headers'>,
  id: string,
): EnrolledShopper {
  const bearer = bearerOf(req.headers);
  if (bearer === null)
    throw new AppError('AUTH_BAD_CREDENTIAL', 'An "Authorization: Bearer <shopper token>" header is required');
  if (!tokenMatches(bearer, deps.adminToken())) {
    const owner = deps.shoppers.byToken(bearer);
    if (owner === null) throw new AppError('AUTH_BAD_CREDENTIAL', 'The bearer token is not a shopper token');
    if (owner.id !== id) throw new AppError('AUTH_FORBIDDEN', `The token belongs to another shopper, not "${id}"`);
    return owner;
  }
  const shopper = deps.shoppers.get(id);
  if (shopper === null) throw new AppError('API_NOT_FOUND', `No shopper "${id}"`);
  return shopper;
}

/** The shopper whose bearer token the request carries (401 otherwise). */
export function currentShopper(
  shoppers: Pick<ShopperService, 'byToken'>,
  req: Pick<FastifyRequest, 'headers'>,
): EnrolledShopper {
  const bearer = bearerOf(req.headers);
  if (bearer === null)
    throw new AppError('AUTH_BAD_CREDENTIAL', 'An "Authorization: Bearer <shopper token>" header is required');
  const shopper = shoppers.byToken(bearer);
  if (shopper === null)
    throw new AppError(
      'AUTH_BAD_CREDENTIAL',
      'The bearer token is not a shopper token (enroll with POST /v1/shoppers)',
    );
  return shopper;
}

export function registerShopperRoutes(deps: ShopperRouteDeps): void {
  const { shoppers } = deps;
  deps.api.routes((app) => {
    app.post(
      '/v1/shoppers',
      {
        schema: {
          summary: 'Enroll a shopper (the app, after the shopper opted in); the key and token are shown once',
          tags: ['shoppers'],
          body: EnrollBody,
          response: { 201: Enrolled, ...errors(400) },
        },
      },
      async (request, reply) => {
        const { shopper, token } = shoppers.enroll({
          consent: request.body.consent,
          exponent: request.body.exponent ?? deps.defaultExponent,
        });
        return reply
          .status(201)
          .header('location', `/v1/shoppers/${shopper.id}`)
          .send({ ...publicShopper(shopper), identityKey: shopper.identityKey.toString('hex'), token });
      },
    );

    app.get(
      '/v1/shoppers/:id',
      {
        schema: {
          summary: "A shopper's record (their token or the admin token)",
          tags: ['shoppers'],
          params: IdParams,
          response: { 200: ShopperView, ...errors(401, 403, 404) },
          ...BearerHeader,
        },
      },
      async (request) => publicShopper(authorizedShopper(deps, request, request.params.id)),
    );

    app.delete(
      '/v1/shoppers/:id',
      {
        schema: {
          summary:
            'Delete a shopper, their identity key and everything linked to them (their token or the admin token)',
          tags: ['shoppers'],
          params: IdParams,
          response: { 204: Type.Null({ description: 'deleted' }), ...errors(401, 403, 404) },
          ...BearerHeader,
        },
      },
      async (request, reply) => {
        const shopper = authorizedShopper(deps, request, request.params.id);
        shoppers.delete(shopper.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/v1/admin/shoppers/import',
      {
        schema: {
          summary: 'Enroll shoppers whose identity keys already exist (admin token)',
          tags: ['admin'],
          body: ShopperImportSchema,
          response: { 200: Type.Object({ imported: Type.Integer({ minimum: 0 }) }, closed), ...errors(400, 401, 403) },
          ...BearerHeader,
        },
      },
      async (request) => {
        requireToken(request, deps.adminToken(), 'admin');
        return shoppers.import(parseShopperImport(request.body, deps.defaultExponent));
      },
    );
  });
}
