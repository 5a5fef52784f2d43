import { Type, type TSchema } from '@sinclair/typebox';
import { ErrorSchema } from '../../shared/http/mod.ts';
import { DATE_TIME_PATTERN, NAME_PATTERN, OFFER_ID_PATTERN, OfferSchema } from './core/catalog.ts';
import { HHMM_PATTERN } from './core/local-time.ts';

/**
 * TypeBox schemas of the offers feature's HTTP routes (docs/shopper-api.md): request bodies,
 * parameters and queries are validated by the hub's Fastify base (a 400 naming the failing
 * field), responses are documented at /openapi.json and serialised by these schemas. Shapes
 * built by views.ts; `open` objects keep keys the schema does not list (an offer snapshot from an
 * older catalog version, the export's per-table rows).
 */

const closed = { additionalProperties: false } as const;
const open = { additionalProperties: true } as const;
const DateTime = (description?: string) =>
  Type.String({ format: 'date-time', ...(description !== undefined ? { description } : {}) });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Quiet = Type.Object(
  { start: Type.String({ pattern: HHMM_PATTERN }), end: Type.String({ pattern: HHMM_PATTERN }) },
  { ...closed, description: 'Quiet hours (store-local HH:MM; end before start spans midnight)' },
);

// ---------------------------------------------------------------- requests

export const ConsentPatch = Type.Object(
  {
    presenceForOffers: Type.Optional(Type.Boolean()),
    analytics: Type.Optional(Type.Boolean()),
    pausedUntil: Type.Optional(
      Type.Union([Type.String({ pattern: DATE_TIME_PATTERN }), Type.Null()], {
        description: 'ISO date-time until which presence is paused (sightings discarded at once), or null to resume',
      }),
    ),
    quietHours: Type.Optional(
      Type.Union([Quiet, Type.Null(), Type.Literal('default')], {
        description: 'own quiet hours, null for none, or "default" for the store\'s',
      }),
    ),
  },
  closed,
);

export const PreferencesBody = Type.Object(
  {
    categories: Type.Optional(Type.Array(Type.String({ pattern: NAME_PATTERN }), { maxItems: 50, uniqueItems: true })),
    brands: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50, uniqueItems: true }),
    ),
    sizes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 16 }), { maxItems: 50, uniqueItems: true })),
  },
  closed,
);

export const ExclusionBody = Type.Object(
  {
    purchaseId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'one purchase' })),
    sku: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'every purchase of an item' })),
    reason: Type.Optional(Type.Union([Type.Literal('gift'), Type.Literal('not-for-me')])),
  },
  { ...closed, description: 'Exactly one of purchaseId or sku' },
);

export const PurchasesBody = Type.Object(
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
        closed,
      ),
      { minItems: 1, maxItems: 1000 },
    ),
  },
  closed,
);

/**
 * The catalog body as documented. The catalog checks it itself (zones and sensitivity classes of
 * the hub config, validFrom before validTo) and names every problem at once, so these routes do
 * not let Fastify stop at the schema (admin-routes.ts).
 */
export const CatalogBody = Type.Object(
  { offers: Type.Array(OfferSchema, { maxItems: 100_000 }) },
  { ...closed, description: 'Offers to add or replace (POST) or the whole catalog (PUT); all or nothing' },
);

export const Limit = (fallback: number, max: number) =>
  Type.Integer({ minimum: 1, maximum: max, default: fallback, description: `at most this many (default ${fallback})` });

export const OffersQuery = Type.Object(
  {
    state: Type.Union(
      ['active', 'redeemed', 'dismissed', 'all'].map((s) => Type.Literal(s)),
      { default: 'all' },
    ),
    limit: Limit(50, 1000),
  },
  closed,
);
export const AuditQuery = Type.Object({ limit: Limit(100, 10_000) }, closed);
export const StatsQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ description: 'ISO date-time (default: 28 days ago)' })),
    to: Type.Optional(Type.String({ description: 'ISO date-time (default: now)' })),
  },
  closed,
);

export const PurchaseIdParams = Type.Object({ purchaseId: Type.String({ minLength: 1, maxLength: 64 }) }, closed);
export const ExclusionIdParams = Type.Object({ exclusionId: Type.String({ minLength: 1, maxLength: 64 }) }, closed);
export const DecisionIdParams = Type.Object({ decisionId: Type.String({ minLength: 1, maxLength: 64 }) }, closed);
export const OfferIdParams = Type.Object({ offerId: Type.String({ pattern: OFFER_ID_PATTERN }) }, closed);
export const ShopperIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, closed);

// ---------------------------------------------------------------- responses

export const ConsentView = Type.Object(
  {
    presenceForOffers: Type.Boolean(),
    analytics: Type.Boolean(),
    pausedUntil: Nullable(DateTime()),
    quietHours: Nullable(Quiet),
    quietHoursSource: Type.Union([Type.Literal('store-default'), Type.Literal('shopper')]),
  },
  closed,
);

export const PreferencesView = Type.Object(
  { categories: Type.Array(Type.String()), brands: Type.Array(Type.String()), sizes: Type.Array(Type.String()) },
  closed,
);

export const ProfileView = Type.Object(
  {
    id: Type.String(),
    exponent: Type.Integer(),
    enrolledAt: DateTime(),
    consent: ConsentView,
    preferences: PreferencesView,
  },
  closed,
);

export const PurchaseView = Type.Object(
  {
    id: Type.String(),
    at: DateTime(),
    sku: Nullable(Type.String()),
    category: Type.String(),
    brand: Nullable(Type.String()),
    size: Nullable(Type.String()),
    source: Type.String({ description: 'pos (the point of sale) or offer (a redeemed offer)' }),
    decisionId: Type.Optional(Type.String()),
    excluded: Type.Boolean(),
    exclusionId: Type.Optional(Type.String()),
  },
  closed,
);

export const ExclusionView = Type.Object(
  {
    id: Type.String(),
    purchaseId: Type.Optional(Type.String()),
    sku: Type.Optional(Nullable(Type.String())),
    reason: Type.String(),
    createdAt: DateTime(),
  },
  closed,
);

const OfferSnapshot = Type.Object(OfferSchema.properties, {
  ...open,
  description: 'The offer as it was when shown',
});

export const OfferShownView = Type.Object(
  {
    id: Type.String({ description: 'the decision id' }),
    offer: Nullable(OfferSnapshot),
    zone: Type.String(),
    shownAt: DateTime(),
    state: Nullable(Type.String({ description: 'active, redeemed or dismissed' })),
    stateChangedAt: Type.Optional(DateTime()),
    audit: Type.String({ description: 'the audit entry of this decision' }),
  },
  closed,
);

const Epsilon = Type.Number({ minimum: 0, description: 'ε, exact to the µε' });

export const AuditEntryView = Type.Object(
  {
    id: Type.String(),
    at: DateTime(),
    zone: Type.String(),
    enteredAt: DateTime(),
    outcome: Type.Union([Type.Literal('shown'), Type.Literal('refused')]),
    offer: Nullable(
      Type.Object(
        {
          id: Type.String(),
          title: Type.String(),
          category: Type.String(),
          brand: Type.Optional(Type.String()),
          sensitivity: Type.Optional(Type.String()),
        },
        closed,
      ),
    ),
    arm: Nullable(Type.String()),
    draw: Nullable(Type.String({ description: 'fresh, carried, sticky, kept or holdout' })),
    epsilonSpent: Epsilon,
    dataCategories: Type.Array(Type.String()),
    mechanism: Nullable(Type.Object({ name: Type.String(), eligible: Type.Integer() }, closed)),
    refusal: Nullable(Type.Object({ reason: Nullable(Type.String()), message: Nullable(Type.String()) }, closed)),
    explanation: Type.String({ description: 'the decision in plain words' }),
    budget: Type.Object({ period: Nullable(Type.String()), left: Nullable(Epsilon) }, closed),
    state: Nullable(Type.String()),
  },
  { ...closed, description: 'One decision: data used, ε charged, budget left — never rank, k or probability' },
);

export const OfferBudgetView = Type.Object(
  {
    period: Type.String(),
    periodUnit: Type.String(),
    cap: Epsilon,
    spent: Epsilon,
    left: Epsilon,
    lifetimeCap: Nullable(Epsilon),
    closed: Type.Optional(Type.String()),
    epsilonPerOffer: Type.Record(Type.String(), Epsilon),
    history: Type.Array(Type.Object({ period: Type.String(), spent: Epsilon, draws: Type.Integer() }, closed)),
  },
  closed,
);

export const AuditView = Type.Object(
  {
    offerBudget: OfferBudgetView,
    analyticsBudget: Type.Object({}, { ...open, description: "the shopper's analytics budget (docs/privacy.md)" }),
    entries: Type.Array(AuditEntryView),
  },
  closed,
);

export const ExportView = Type.Object(
  {
    exportedAt: DateTime(),
    shopper: Type.Object({}, open),
    offers: Type.Object({}, open),
    tables: Type.Object({}, { ...open, description: 'every row that references the shopper, by table' }),
  },
  { ...closed, description: 'Everything held about the shopper' },
);

export const CatalogView = Type.Object(
  {
    offers: Type.Array(OfferSnapshot),
    rejected: Type.Array(
      Type.Object(
        {
          index: Type.Integer(),
          id: Nullable(Type.String()),
          problems: Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, closed)),
        },
        closed,
      ),
    ),
  },
  closed,
);

export const CatalogChanged = Type.Object({ accepted: Type.Integer(), offers: Type.Integer() }, closed);

export const StatsView = Type.Object(
  { from: DateTime(), to: DateTime() },
  {
    ...open,
    description: 'Released (DP) offer response per arm and week with 95% intervals, catalog and stream figures',
  },
);

export const PurchasesAdded = Type.Object({ added: Type.Integer(), ids: Type.Array(Type.String()) }, closed);

/** A catalog change refused: the error with every problem, so the admin can fix all entries at once. */
export const CatalogRefused = Type.Object(
  {
    error: Type.Object(
      {
        ...ErrorSchema.properties.error.properties,
        problems: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, closed))),
      },
      closed,
    ),
  },
  closed,
);
