import type { Database } from 'better-sqlite3';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../shared/errors.ts';
import { randomHex, type RandomSource } from '../../shared/ports/random.ts';
import { compileValidator } from '../../shared/validation.ts';
import { currentShopper as shopperOfRequest, type EnrolledShopper, type ShopperService } from '../shoppers/mod.ts';
import { badRequest, type LegacyRequest as ApiRequest, type LegacyApi } from '../http/mod.ts';
import { DATE_TIME_PATTERN, NAME_PATTERN, parseDateTime } from './core/catalog.ts';
import { HHMM_PATTERN, type QuietHours } from './core/local-time.ts';
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

const closed = { additionalProperties: false } as const;
const Quiet = Type.Object(
  { start: Type.String({ pattern: HHMM_PATTERN }), end: Type.String({ pattern: HHMM_PATTERN }) },
  closed,
);

const ConsentPatch = Type.Object(
  {
    presenceForOffers: Type.Optional(Type.Boolean()),
    analytics: Type.Optional(Type.Boolean()),
    /** ISO date-time until which presence is paused (sightings discarded at once), or null to resume. */
    pausedUntil: Type.Optional(Type.Union([Type.String({ pattern: DATE_TIME_PATTERN }), Type.Null()])),
    /** Own quiet hours, null for none, or "default" for the store's. */
    quietHours: Type.Optional(Type.Union([Quiet, Type.Null(), Type.Literal('default')])),
  },
  closed,
);
interface ConsentPatchBody {
  presenceForOffers?: boolean;
  analytics?: boolean;
  pausedUntil?: string | null;
  quietHours?: QuietHours | null | 'default';
}
const validateConsent = compileValidator<ConsentPatchBody>(ConsentPatch);

const PreferencesBody = Type.Object(
  {
    categories: Type.Optional(Type.Array(Type.String({ pattern: NAME_PATTERN }), { maxItems: 50, uniqueItems: true })),
    brands: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50, uniqueItems: true }),
    ),
    sizes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 16 }), { maxItems: 50, uniqueItems: true })),
  },
  closed,
);
const validatePreferences = compileValidator<{ categories?: string[]; brands?: string[]; sizes?: string[] }>(
  PreferencesBody,
);

const ExclusionBody = Type.Object(
  {
    purchaseId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    sku: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    reason: Type.Optional(Type.Union([Type.Literal('gift'), Type.Literal('not-for-me')])),
  },
  closed,
);
const validateExclusion = compileValidator<{ purchaseId?: string; sku?: string; reason?: 'gift' | 'not-for-me' }>(
  ExclusionBody,
);

const MAX_PAUSE_MS = 366 * 86_400_000;
const STATES = ['active', 'redeemed', 'dismissed', 'all'] as const;

function limitOf(req: ApiRequest, fallback: number, max: number): number {
  const raw = req.query.get('limit');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new AppError('API_BAD_REQUEST', `Query parameter limit is "${raw}", expected an integer 1..${max}`, {
      details: { field: 'limit' },
    });
  return n;
}

function consentView(
  shopper: EnrolledShopper,
  quiet: QuietHours | null | 'default',
  storeDefault: QuietHours | null,
): Record<string, unknown> {
  return {
    presenceForOffers: shopper.consent.presenceForOffers,
    analytics: shopper.consent.analytics,
    pausedUntil: shopper.consent.pausedUntilMs === null ? null : new Date(shopper.consent.pausedUntilMs).toISOString(),
    quietHours: quiet === 'default' ? storeDefault : quiet,
    quietHoursSource: quiet === 'default' ? 'store-default' : 'shopper',
  };
}

export interface ShopperApiDeps {
  api: LegacyApi;
  /** The hub database: the export holds every row that references the shopper. */
  db: Database;
  offers: OfferService;
  shoppers: ShopperService;
  /** The store's default quiet hours (offers.quietHours). */
  storeQuiet: QuietHours | null;
  /** The shopper's analytics budget, as the privacy feature reports it. */
  analyticsBudget(shopperPk: number, nowMs: number): unknown;
  random: RandomSource;
  now: () => number;
}

export function registerShopperApiRoutes(deps: ShopperApiDeps): void {
  const { api, offers, shoppers, storeQuiet } = deps;
  const currentShopper = (req: ApiRequest): EnrolledShopper => shopperOfRequest(shoppers, req);

  api.route('GET', '/v1/me', (req) => {
    const shopper = currentShopper(req);
    const profile = offers.store.profile(shopper.pk);
    return {
      status: 200,
      body: {
        id: shopper.id,
        exponent: shopper.exponent,
        enrolledAt: new Date(shopper.createdMs).toISOString(),
        consent: consentView(shopper, profile.quietHours, storeQuiet),
        preferences: profile.preferences,
      },
    };
  });

  api.route('DELETE', '/v1/me', (req) => {
    const shopper = currentShopper(req);
    shoppers.delete(shopper.id);
    return { status: 204 };
  });

  api.route('GET', '/v1/me/consent', (req) => {
    const shopper = currentShopper(req);
    return { status: 200, body: consentView(shopper, offers.store.profile(shopper.pk).quietHours, storeQuiet) };
  });

  api.route('PATCH', '/v1/me/consent', async (req) => {
    const shopper = currentShopper(req);
    const raw = await req.json();
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 0) {
      throw new AppError(
        'API_BAD_REQUEST',
        'Consent body / is empty, expected at least one of presenceForOffers, analytics, pausedUntil, quietHours',
        { details: { field: '' } },
      );
    }
    const checked = validateConsent(raw);
    if (!checked.ok) throw badRequest(checked.problems, 'Consent body');
    const body = checked.value;
    const nowMs = deps.now();
    let pausedUntilMs: number | null | undefined;
    if (body.pausedUntil !== undefined) {
      if (body.pausedUntil === null) pausedUntilMs = null;
      else {
        pausedUntilMs = parseDateTime(body.pausedUntil);
        if (Number.isNaN(pausedUntilMs))
          throw new AppError(
            'API_BAD_REQUEST',
            `Consent body /pausedUntil is "${body.pausedUntil}", which is not a real date and time`,
            { details: { field: '/pausedUntil' } },
          );
        if (pausedUntilMs <= nowMs || pausedUntilMs > nowMs + MAX_PAUSE_MS) {
          throw new AppError(
            'API_BAD_REQUEST',
            `Consent body /pausedUntil is "${body.pausedUntil}", expected a time in the next 366 days (or null to resume)`,
            { details: { field: '/pausedUntil' } },
          );
        }
      }
    }
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
    return { status: 200, body: consentView(updated, offers.store.profile(shopper.pk).quietHours, storeQuiet) };
  });

  api.route('GET', '/v1/me/preferences', (req) => {
    const shopper = currentShopper(req);
    return { status: 200, body: offers.store.profile(shopper.pk).preferences };
  });

  api.route('PUT', '/v1/me/preferences', async (req) => {
    const shopper = currentShopper(req);
    const checked = validatePreferences(await req.json());
    if (!checked.ok) throw badRequest(checked.problems, 'Preferences body');
    const preferences = {
      categories: checked.value.categories ?? [],
      brands: checked.value.brands ?? [],
      sizes: checked.value.sizes ?? [],
    };
    offers.store.setPreferences(shopper.pk, preferences, deps.now());
    return { status: 200, body: preferences };
  });

  api.route('GET', '/v1/me/history', (req) => {
    const shopper = currentShopper(req);
    const exclusions = offers.store.exclusions(shopper.pk);
    const excludedBy = (id: string, sku: string | null): string | null =>
      exclusions.find((e) => e.purchaseId === id || (sku !== null && e.sku === sku))?.id ?? null;
    return {
      status: 200,
      body: { purchases: offers.store.purchases(shopper.pk).map((p) => purchaseView(p, excludedBy(p.id, p.sku))) },
    };
  });

  api.route('DELETE', '/v1/me/history/:purchaseId', (req) => {
    const shopper = currentShopper(req);
    const id = req.params.purchaseId as string;
    if (!offers.store.deletePurchase(shopper.pk, id))
      throw new AppError('API_NOT_FOUND', `No purchase "${id}" in your history`, { details: { field: 'purchaseId' } });
    return { status: 204 };
  });

  api.route('GET', '/v1/me/exclusions', (req) => {
    const shopper = currentShopper(req);
    return { status: 200, body: { exclusions: offers.store.exclusions(shopper.pk).map(exclusionView) } };
  });

  api.route('POST', '/v1/me/exclusions', async (req) => {
    const shopper = currentShopper(req);
    const checked = validateExclusion(await req.json());
    if (!checked.ok) throw badRequest(checked.problems, 'Exclusion body');
    const { purchaseId, sku, reason } = checked.value;
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
        { details: { field: '/purchaseId' } },
      );
    }
    const existing = offers.store.findExclusion(shopper.pk, purchaseId ?? null, sku ?? null);
    if (existing !== null)
      throw new AppError(
        'API_CONFLICT',
        `Exclusion body /${purchaseId !== undefined ? 'purchaseId' : 'sku'} is already excluded (exclusion "${existing}")`,
        { details: { field: purchaseId !== undefined ? '/purchaseId' : '/sku' } },
      );
    const exclusion = {
      id: `exc-${randomHex(deps.random, 8)}`,
      purchaseId: purchaseId ?? null,
      sku: sku ?? null,
      reason: reason ?? 'gift',
      createdMs: deps.now(),
    } as const;
    offers.store.addExclusion(shopper.pk, exclusion);
    return { status: 201, headers: { location: `/v1/me/exclusions/${exclusion.id}` }, body: exclusionView(exclusion) };
  });

  api.route('DELETE', '/v1/me/exclusions/:exclusionId', (req) => {
    const shopper = currentShopper(req);
    const id = req.params.exclusionId as string;
    if (!offers.store.deleteExclusion(shopper.pk, id))
      throw new AppError('API_NOT_FOUND', `No exclusion "${id}"`, { details: { field: 'exclusionId' } });
    return { status: 204 };
  });

  api.route('GET', '/v1/me/offers', (req) => {
    const shopper = currentShopper(req);
    const state = req.query.get('state') ?? 'all';
    if (!(STATES as readonly string[]).includes(state))
      throw new AppError(
        'API_BAD_REQUEST',
        `Query parameter state is "${state}", expected one of ${STATES.join(', ')}`,
        { details: { field: 'state' } },
      );
    const shown = offers.store
      .shownOffers(shopper.pk, limitOf(req, 50, 1000))
      .filter((d) => state === 'all' || d.state === state);
    return { status: 200, body: { offers: shown.map(offerView) } };
  });

  for (const action of ['redeem', 'dismiss'] as const) {
    api.route('POST', `/v1/me/offers/:decisionId/${action}`, (req) => {
      const shopper = currentShopper(req);
      const id = req.params.decisionId as string;
      const nowMs = deps.now();
      const decision = offers.store.decision(shopper.pk, id);
      if (decision === null || decision.outcome !== 'shown')
        throw new AppError('API_NOT_FOUND', `No offer "${id}" was shown to you`, { details: { field: 'decisionId' } });
      if (decision.state !== 'active')
        throw new AppError(
          'API_CONFLICT',
          `Offer "${id}" is already ${decision.state ?? 'closed'}, expected an active offer`,
          { details: { field: 'decisionId' } },
        );
      const validTo = decision.offer === null ? Number.POSITIVE_INFINITY : Date.parse(decision.offer.validTo);
      if (action === 'redeem' && nowMs >= validTo)
        throw new AppError('API_CONFLICT', `Offer "${id}" expired at ${decision.offer?.validTo}`, {
          details: { field: 'decisionId' },
        });
      offers.store.setState(shopper.pk, id, action === 'redeem' ? 'redeemed' : 'dismissed', nowMs);
      return { status: 200, body: offerView(offers.store.decision(shopper.pk, id) ?? decision) };
    });
  }

  api.route('GET', '/v1/me/offers/stream', (req) => {
    const shopper = currentShopper(req);
    const last = req.headers['last-event-id'];
    const lastId = typeof last === 'string' && /^\d{1,15}$/.test(last) ? Number(last) : null;
    const replay = lastId === null ? [] : offers.store.shownAfter(shopper.pk, lastId).map(offerEvent);
    return {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      },
      stream: (res) => offers.streams.open(shopper.pk, res, replay),
    };
  });

  api.route('GET', '/v1/me/audit', (req) => {
    const shopper = currentShopper(req);
    const nowMs = deps.now();
    return {
      status: 200,
      body: {
        offerBudget: offerBudgetView(offers.budget(shopper.pk, nowMs), offers.epsilonMicroByClass),
        analyticsBudget: deps.analyticsBudget(shopper.pk, nowMs),
        entries: offers.store.decisions(shopper.pk, limitOf(req, 100, 10_000)).map(auditView),
      },
    };
  });

  api.route('GET', '/v1/me/audit/:decisionId', (req) => {
    const shopper = currentShopper(req);
    const id = req.params.decisionId as string;
    const decision = offers.store.decision(shopper.pk, id);
    if (decision === null)
      throw new AppError('API_NOT_FOUND', `No decision "${id}" in your audit trail`, {
        details: { field: 'decisionId' },
      });
    return { status: 200, body: auditView(decision) };
  });

  api.route('GET', '/v1/me/export', (req) => {
    const shopper = currentShopper(req);
    return {
      status: 200,
      headers: { 'content-disposition': `attachment; filename="hushpoint-${shopper.id}.json"` },
      body: exportShopper(deps.db, offers, shopper, deps.now()),
    };
  });
}
