import type { Database } from 'better-sqlite3';
import { Type, type Static } from '@sinclair/typebox';
import { AppError } from '../../shared/errors.ts';
import { errors } from '../../shared/http/mod.ts';
import { randomHex, type RandomSource } from '../../shared/ports/random.ts';
import { currentShopper as shopperOfRequest, type EnrolledShopper, type ShopperService } from '../shoppers/mod.ts';
import { streamReply, type ApiServer, type FastifyRequest, type HttpApp } from '../http/mod.ts';
import {
  AuditEntryView,
  AuditQuery,
  AuditView,
  ConsentPatch,
  ConsentView,
  DecisionIdParams,
  ExclusionBody,
  ExclusionIdParams,
  ExclusionView,
  ExportView,
  OfferShownView,
  OffersQuery,
  PreferencesBody,
  PreferencesView,
  ProfileView,
  PurchaseIdParams,
  PurchaseView,
} from './api-schemas.ts';
import { parseDateTime } from './core/catalog.ts';
import type { QuietHours } from './core/local-time.ts';
import type { Preferences } from './core/ranking.ts';
import { offerEvent, type OfferService } from './offer-service.ts';
import { exportShopper } from './shopper-export.ts';
import { auditView, exclusionView, offerBudgetView, offerView, purchaseView } from './views.ts';

/**
 * The shopper API (HTTPS, `Authorization: Bearer <token from enrollment>`), docs/shopper-api.md:
 *
 *   GET    /v1/me                          profile: consent, quiet hours, preferences
 *   DELETE /v1/me                          erasure of everything held about the shopper
 *   GET    /v1/me/consent   PATCH …        consent (offers, analytics), quiet hours, pause
 *   GET    /v1/me/preferences   PUT …      declared categories, brands, sizes
 *   GET    /v1/me/history                  purchases (with their exclusion state)
 *   DELETE /v1/me/history/:id              forget a purchase
 *   GET    /v1/me/exclusions   POST …      purchases or items (e.g. gifts) never used for ranking
 *   DELETE /v1/me/exclusions/:id
 *   GET    /v1/me/offers                   offers shown (filter ?state=active|redeemed|dismissed)
 *   POST   /v1/me/offers/:id/redeem        mark an active offer redeemed
 *   POST   /v1/me/offers/:id/dismiss       mark an active offer dismissed (it sinks in the ranking)
 *   GET    /v1/me/offers/stream            server-sent events: `offer` for each new offer
 *   GET    /v1/me/audit   GET …/:id        the audit trail: decisions and refusals, ε, data used, the period's budget
 *   GET    /v1/me/export                   everything held about the shopper (JSON)
 */

const MAX_PAUSE_MS = 366 * 86_400_000;
function consentView(
  shopper: EnrolledShopper,
  quiet: QuietHours | null | 'default',
  storeDefault: QuietHours | null,
): Static<typeof ConsentView> {
  return {
    presenceForOffers: shopper.consent.presenceForOffers,
    analytics: shopper.consent.analytics,
    pausedUntil: shopper.consent.pausedUntilMs === null ? null : new Date(shopper.consent.pausedUntilMs).toISOString(),
    quietHours: quiet === 'default' ? storeDefault : quiet,
    quietHoursSource: quiet === 'default' ? ('store-default' as const) : ('shopper' as const),
  };
}

export interface ShopperApiDeps {
  api: ApiServer;
  /** The hub database: the export holds every row that references the shopper. */
  db: Database;
  offers: OfferService;
  shoppers: ShopperService;
  /** The store's default quiet hours (offers.quietHours). */
  storeQuiet: QuietHours | null;
  /** The shopper's analytics budget, as the privacy feature reports it. */
  analyticsBudget(shopperPk: number, nowMs: number): object;
  random: RandomSource;
  now: () => number;
}

const tags = ['shopper API'];
const security = [{ bearer: [] }];
const deleted = Type.Null({ description: 'done' });

export function registerShopperApiRoutes(deps: ShopperApiDeps): void {
  const ctx = routeContext(deps);
  deps.api.routes((app) => {
    profileRoutes(app, ctx);
    historyRoutes(app, ctx);
    offerRoutes(app, ctx);
  });
}

/** What the shopper routes share: the authenticated shopper of a request and the actions behind the handlers. */
function routeContext(deps: ShopperApiDeps) {
  const { offers, shoppers, storeQuiet } = deps;
  // The shopper is found before the request is validated (a 401 comes before any 400, so the
  // schema answers nobody without a token) and kept for the handler.
  const authenticated = new WeakMap<object, EnrolledShopper>();
  // Callback style: no promise per request on the hot path.
  const authenticate = (request: FastifyRequest, _reply: unknown, done: (error?: Error) => void): void => {
    try {
      authenticated.set(request, shopperOfRequest(shoppers, request));
    } catch (error) {
      return done(error as Error);
    }
    done();
  };
  const currentShopper = (request: FastifyRequest): EnrolledShopper =>
    authenticated.get(request) ?? shopperOfRequest(shoppers, request);
  const consentOf = (shopper: EnrolledShopper) =>
    consentView(shopper, offers.store.profile(shopper.pk).quietHours, storeQuiet);

  function addExclusion(
    shopper: EnrolledShopper,
    body: { purchaseId?: string; sku?: string; reason?: 'gift' | 'not-for-me' },
  ) {
    const { purchaseId, sku, reason } = body;
    if ((purchaseId === undefined) === (sku === undefined)) {
      throw new AppError(
        'API_BAD_REQUEST',
        'Exclusion body / needs exactly one of purchaseId (one purchase) or sku (every purchase of an item)',
        { details: { field: purchaseId === undefined ? '/purchaseId' : '/sku' } },
      );
    }
    if (purchaseId !== undefined && !offers.store.hasPurchase(shopper.pk, purchaseId)) {
      throw new AppError(
        'API_NOT_FOUND',
        `Exclusion body /purchaseId is "${purchaseId}", which is not in your history`,
        {
          details: { field: '/purchaseId' },
        },
      );
    }
    const existing = offers.store.findExclusion(shopper.pk, purchaseId ?? null, sku ?? null);
    const field = purchaseId !== undefined ? '/purchaseId' : '/sku';
    if (existing !== null)
      throw new AppError('API_CONFLICT', `Exclusion body ${field} is already excluded (exclusion "${existing}")`, {
        details: { field },
      });
    const exclusion = {
      id: `exc-${randomHex(deps.random, 8)}`,
      purchaseId: purchaseId ?? null,
      sku: sku ?? null,
      reason: reason ?? 'gift',
      createdMs: deps.now(),
    } as const;
    offers.store.addExclusion(shopper.pk, exclusion);
    return exclusion;
  }

  function changeState(shopper: EnrolledShopper, id: string, action: 'redeem' | 'dismiss') {
    const nowMs = deps.now();
    const decision = offers.store.decision(shopper.pk, id);
    if (decision === null || decision.outcome !== 'shown')
      throw new AppError('API_NOT_FOUND', `No offer "${id}" was shown to you`, { details: { field: 'decisionId' } });
    if (decision.state !== 'active')
      throw new AppError(
        'API_CONFLICT',
        `Offer "${id}" is already ${decision.state ?? 'closed'}, expected an active offer`,
        {
          details: { field: 'decisionId' },
        },
      );
    const validTo = decision.offer === null ? Number.POSITIVE_INFINITY : Date.parse(decision.offer.validTo);
    if (action === 'redeem' && nowMs >= validTo)
      throw new AppError('API_CONFLICT', `Offer "${id}" expired at ${decision.offer?.validTo}`, {
        details: { field: 'decisionId' },
      });
    offers.store.setState(shopper.pk, id, action === 'redeem' ? 'redeemed' : 'dismissed', nowMs);
    return offers.store.decision(shopper.pk, id) ?? decision;
  }

  return {
    deps,
    offers,
    shoppers,
    storeQuiet,
    common: { preValidation: authenticate },
    currentShopper,
    consentOf,
    addExclusion,
    changeState,
  };
}

type RouteContext = ReturnType<typeof routeContext>;

/** GET/DELETE /v1/me, consent, preferences. */
// Longer than a screen: one route after another, each with its schema; the logic is in routeContext and views.ts.
function profileRoutes(app: HttpApp, ctx: RouteContext): void {
  const { deps, offers, shoppers, storeQuiet, common, currentShopper, consentOf } = ctx;
  app.get(
    '/v1/me',
    {
      ...common,
      schema: {
        summary: "The shopper's profile: consent, quiet hours, preferences",
        tags,
        security,
        response: { 200: ProfileView, ...errors(401) },
      },
    },
    async (request) => {
      const shopper = currentShopper(request);
      const profile = offers.store.profile(shopper.pk);
      return {
        id: shopper.id,
        exponent: shopper.exponent,
        enrolledAt: new Date(shopper.createdMs).toISOString(),
        consent: consentView(shopper, profile.quietHours, storeQuiet),
        preferences: preferencesView(profile.preferences),
      };
    },
  );

  app.delete(
    '/v1/me',
    {
      ...common,
      schema: {
        summary: 'Erase everything held about the shopper (identity key, history, audit trail, ledger rows)',
        tags,
        security,
        response: { 204: deleted, ...errors(401) },
      },
    },
    async (request, reply) => {
      shoppers.delete(currentShopper(request).id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/me/consent',
    {
      ...common,
      schema: {
        summary: 'Consent, quiet hours and the pause',
        tags,
        security,
        response: { 200: ConsentView, ...errors(401) },
      },
    },
    async (request) => consentOf(currentShopper(request)),
  );

  app.patch(
    '/v1/me/consent',
    {
      ...common,
      schema: {
        summary: 'Change consent (offers, analytics), quiet hours or the pause; takes effect at once',
        tags,
        security,
        body: ConsentPatch,
        response: { 200: ConsentView, ...errors(400, 401) },
      },
    },
    async (request) => {
      const shopper = currentShopper(request);
      const body = request.body;
      if (Object.keys(body).length === 0) {
        throw new AppError(
          'API_BAD_REQUEST',
          'Consent body / is empty, expected at least one of presenceForOffers, analytics, pausedUntil, quietHours',
          { details: { field: '' } },
        );
      }
      const nowMs = deps.now();
      const pausedUntilMs = body.pausedUntil === undefined ? undefined : pauseEnd(body.pausedUntil, nowMs);
      if (
        body.quietHours !== undefined &&
        body.quietHours !== null &&
        body.quietHours !== 'default' &&
        body.quietHours.start === body.quietHours.end
      ) {
        throw new AppError(
          'API_BAD_REQUEST',
          `Consent body /quietHours/end is "${body.quietHours.end}", the same as start; use null for no quiet hours`,
          { details: { field: '/quietHours/end' } },
        );
      }
      const patch = {
        ...(body.presenceForOffers !== undefined ? { presenceForOffers: body.presenceForOffers } : {}),
        ...(body.analytics !== undefined ? { analytics: body.analytics } : {}),
        ...(pausedUntilMs !== undefined ? { pausedUntilMs } : {}),
      };
      // Takes effect at once: the database (read by every decision and release) and the resolver's
      // view (a paused shopper's sightings are discarded at ingest from the next batch on).
      const updated = Object.keys(patch).length > 0 ? (shoppers.updateConsent(shopper.id, patch) ?? shopper) : shopper;
      if (body.quietHours !== undefined) offers.store.setQuietHours(shopper.pk, body.quietHours, nowMs);
      return consentOf(updated);
    },
  );

  app.get(
    '/v1/me/preferences',
    {
      ...common,
      schema: {
        summary: 'Declared categories, brands and sizes',
        tags,
        security,
        response: { 200: PreferencesView, ...errors(401) },
      },
    },
    async (request) => preferencesView(offers.store.profile(currentShopper(request).pk).preferences),
  );

  app.put(
    '/v1/me/preferences',
    {
      ...common,
      schema: {
        summary: 'Replace the declared preferences (omitted lists become empty)',
        tags,
        security,
        body: PreferencesBody,
        response: { 200: PreferencesView, ...errors(400, 401) },
      },
    },
    async (request) => {
      const shopper = currentShopper(request);
      const preferences = {
        categories: request.body.categories ?? [],
        brands: request.body.brands ?? [],
        sizes: request.body.sizes ?? [],
      };
      offers.store.setPreferences(shopper.pk, preferences, deps.now());
      return preferences;
    },
  );
}

/** Purchases and exclusions. */
function historyRoutes(app: HttpApp, ctx: RouteContext): void {
  const { offers, common, currentShopper, addExclusion } = ctx;
  app.get(
    '/v1/me/history',
    {
      ...common,
      schema: {
        summary: 'Purchases, with their exclusion state',
        tags,
        security,
        response: { 200: Type.Object({ purchases: Type.Array(PurchaseView) }), ...errors(401) },
      },
    },
    async (request) => {
      const shopper = currentShopper(request);
      const exclusions = offers.store.exclusions(shopper.pk);
      const excludedBy = (id: string, sku: string | null): string | null =>
        exclusions.find((e) => e.purchaseId === id || (sku !== null && e.sku === sku))?.id ?? null;
      return { purchases: offers.store.purchases(shopper.pk).map((p) => purchaseView(p, excludedBy(p.id, p.sku))) };
    },
  );

  app.delete(
    '/v1/me/history/:purchaseId',
    {
      ...common,
      schema: {
        summary: 'Forget a purchase',
        tags,
        security,
        params: PurchaseIdParams,
        response: { 204: deleted, ...errors(401, 404) },
      },
    },
    async (request, reply) => {
      const id = request.params.purchaseId;
      if (!offers.store.deletePurchase(currentShopper(request).pk, id))
        throw new AppError('API_NOT_FOUND', `No purchase "${id}" in your history`, {
          details: { field: 'purchaseId' },
        });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/me/exclusions',
    {
      ...common,
      schema: {
        summary: 'Purchases or items (e.g. gifts) never used for ranking',
        tags,
        security,
        response: { 200: Type.Object({ exclusions: Type.Array(ExclusionView) }), ...errors(401) },
      },
    },
    async (request) => ({ exclusions: offers.store.exclusions(currentShopper(request).pk).map(exclusionView) }),
  );

  app.post(
    '/v1/me/exclusions',
    {
      ...common,
      schema: {
        summary: 'Exclude one purchase or every purchase of an item from ranking',
        tags,
        security,
        body: ExclusionBody,
        response: { 201: ExclusionView, ...errors(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const shopper = currentShopper(request);
      const exclusion = addExclusion(shopper, request.body);
      return reply.status(201).header('location', `/v1/me/exclusions/${exclusion.id}`).send(exclusionView(exclusion));
    },
  );

  app.delete(
    '/v1/me/exclusions/:exclusionId',
    {
      ...common,
      schema: {
        summary: 'Remove an exclusion',
        tags,
        security,
        params: ExclusionIdParams,
        response: { 204: deleted, ...errors(401, 404) },
      },
    },
    async (request, reply) => {
      const id = request.params.exclusionId;
      if (!offers.store.deleteExclusion(currentShopper(request).pk, id))
        throw new AppError('API_NOT_FOUND', `No exclusion "${id}"`, { details: { field: 'exclusionId' } });
      return reply.status(204).send(null);
    },
  );
}

/** Offers shown, redeem/dismiss, the stream, the audit trail, the export. */
// Longer than a screen: one route after another, each with its schema; the logic is in routeContext and views.ts.
function offerRoutes(app: HttpApp, ctx: RouteContext): void {
  const { deps, offers, common, currentShopper, changeState } = ctx;
  app.get(
    '/v1/me/offers',
    {
      ...common,
      schema: {
        summary: 'Offers shown to the shopper, newest first',
        tags,
        security,
        querystring: OffersQuery,
        response: { 200: Type.Object({ offers: Type.Array(OfferShownView) }), ...errors(400, 401) },
      },
    },
    async (request) => {
      const { state, limit } = request.query;
      const shown = offers.store
        .shownOffers(currentShopper(request).pk, limit)
        .filter((d) => state === 'all' || d.state === state);
      return { offers: shown.map(offerView) };
    },
  );

  for (const action of ['redeem', 'dismiss'] as const) {
    app.post(
      `/v1/me/offers/:decisionId/${action}`,
      {
        ...common,
        schema: {
          summary:
            action === 'redeem' ? 'Mark an active offer redeemed' : 'Dismiss an active offer (it sinks in the ranking)',
          tags,
          security,
          params: DecisionIdParams,
          response: { 200: OfferShownView, ...errors(401, 404, 409) },
        },
      },
      async (request) => offerView(changeState(currentShopper(request), request.params.decisionId, action)),
    );
  }

  app.get(
    '/v1/me/offers/stream',
    {
      ...common,
      schema: {
        summary: 'Server-sent events: an `offer` event for each new offer (Last-Event-ID replays missed ones)',
        tags,
        security,
        response: {
          200: {
            description: 'text/event-stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...errors(401),
        },
      },
    },
    async (request, reply) => {
      const shopper = currentShopper(request);
      const last = request.headers['last-event-id'];
      const lastId = typeof last === 'string' && /^\d{1,15}$/.test(last) ? Number(last) : null;
      const replay = lastId === null ? [] : offers.store.shownAfter(shopper.pk, lastId).map(offerEvent);
      streamReply(
        reply,
        200,
        { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' },
        (res) => offers.streams.open(shopper.pk, res, replay),
      );
      return reply;
    },
  );

  app.get(
    '/v1/me/audit',
    {
      ...common,
      schema: {
        summary: "The audit trail: decisions and refusals, ε, data used, the period's budget",
        tags,
        security,
        querystring: AuditQuery,
        response: { 200: AuditView, ...errors(400, 401) },
      },
    },
    async (request) => {
      const shopper = currentShopper(request);
      const nowMs = deps.now();
      return {
        offerBudget: offerBudgetView(offers.budget(shopper.pk, nowMs), offers.epsilonMicroByClass),
        analyticsBudget: deps.analyticsBudget(shopper.pk, nowMs),
        entries: offers.store.decisions(shopper.pk, request.query.limit).map(auditView),
      };
    },
  );

  app.get(
    '/v1/me/audit/:decisionId',
    {
      ...common,
      schema: {
        summary: 'One decision of the audit trail',
        tags,
        security,
        params: DecisionIdParams,
        response: { 200: AuditEntryView, ...errors(401, 404) },
      },
    },
    async (request) => {
      const id = request.params.decisionId;
      const decision = offers.store.decision(currentShopper(request).pk, id);
      if (decision === null)
        throw new AppError('API_NOT_FOUND', `No decision "${id}" in your audit trail`, {
          details: { field: 'decisionId' },
        });
      return auditView(decision);
    },
  );

  app.get(
    '/v1/me/export',
    {
      ...common,
      schema: {
        summary: 'Everything held about the shopper (JSON download)',
        tags,
        security,
        response: { 200: ExportView, ...errors(401) },
      },
    },
    async (request, reply) => {
      const shopper = currentShopper(request);
      return reply
        .header('content-disposition', `attachment; filename="hushpoint-${shopper.id}.json"`)
        .send(exportShopper(deps.db, offers, shopper, deps.now()));
    },
  );
}

function preferencesView(p: Preferences): Static<typeof PreferencesView> {
  return { categories: [...p.categories], brands: [...p.brands], sizes: [...p.sizes] };
}

/** The end of a pause from the body's pausedUntil: null resumes; otherwise a real time in the next 366 days. */
function pauseEnd(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const ms = parseDateTime(value);
  if (Number.isNaN(ms))
    throw new AppError(
      'API_BAD_REQUEST',
      `Consent body /pausedUntil is "${value}", which is not a real date and time`,
      {
        details: { field: '/pausedUntil' },
      },
    );
  if (ms <= nowMs || ms > nowMs + MAX_PAUSE_MS) {
    throw new AppError(
      'API_BAD_REQUEST',
      `Consent body /pausedUntil is "${value}", expected a time in the next 366 days (or null to resume)`,
      { details: { field: '/pausedUntil' } },
    );
  }
  return ms;
}
