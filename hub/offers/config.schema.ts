import { Type, type Static } from '@sinclair/typebox';
import type { Problem } from '../../shared/validation.ts';
import { toMicroEpsilon } from './core/budget.ts';
import { DEFAULT_SENSITIVITY, NAME_PATTERN } from './core/catalog.ts';
import { HHMM_PATTERN } from './core/local-time.ts';
import { MAX_EPSILON } from './core/threshold-sampler.ts';

/**
 * The `offers` section of hub.yaml (added to HubConfigSchema). Defaults live here;
 * docs/shopper-api.md explains what the shopper sees of each.
 *
 * Defaults respect notification fatigue: at most one offer per visit and two per day, 30
 * minutes apart, none between 21:00 and 08:00 store time unless the shopper says otherwise.
 */
const closed = { additionalProperties: false } as const;
const Epsilon = Type.Number({ exclusiveMinimum: 0, maximum: MAX_EPSILON });

export const OffersSection = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** YAML catalog loaded at start ({offers: [...]}); the admin API adds and replaces offers too. */
    catalogFile: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * ε charged per shown offer, by sensitivity class (at most 6 decimals). A decision among
     * offers of several classes uses the smallest ε among them. Price-sensitive and health
     * offers get a smaller ε: the choice reveals even less about the shopper.
     */
    epsilon: Type.Record(Type.String({ pattern: NAME_PATTERN }), Epsilon, {
      default: { standard: 1, 'price-sensitive': 0.5, health: 0.25 },
      minProperties: 1,
    }),
    /**
     * Per-shopper offer budget in ε, per budget period (privacy.budget.period, in privacy.timeZone),
     * kept in the hub's one budget ledger; lifetimeEpsilon, when set, ends a shopper's offers after
     * ⌊lifetimeEpsilon / periodEpsilon⌋ periods from their enrolment. A draw is sticky for its
     * period (re-shown without charge), and the default ε 1 allows one fresh standard draw per
     * period (two at ε 0.5): that keeps an observer of a year of a daily shopper's offers within
     * 10 points of chance at guessing their top k, even if their data changes before every visit
     * (`hushpoint audit offers-attack`, docs/shopper-api.md#the-attack).
     */
    budget: Type.Object(
      {
        periodEpsilon: Type.Number({ exclusiveMinimum: 0, maximum: 1000, default: 1 }),
        lifetimeEpsilon: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })),
        /** v1 keys, refused by offersConfigProblems with what replaced them. */
        dailyEpsilon: Type.Optional(Type.Unknown()),
        thirtyDayEpsilon: Type.Optional(Type.Unknown()),
      },
      { ...closed, default: {} },
    ),
    /** Frequency caps: offers per visit, per local day, and the minimum time between two offers. */
    caps: Type.Object(
      {
        perVisit: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
        perDay: Type.Integer({ minimum: 1, maximum: 1000, default: 2 }),
        minGapSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 1800 }),
      },
      { ...closed, default: {} },
    ),
    /** Store-default quiet hours (store time, privacy.timeZone); null for none. A shopper may set their own. */
    quietHours: Type.Union(
      [
        Type.Object(
          { start: Type.String({ pattern: HHMM_PATTERN }), end: Type.String({ pattern: HHMM_PATTERN }) },
          closed,
        ),
        Type.Null(),
      ],
      {
        default: { start: '21:00', end: '08:00' },
      },
    ),
    /** Share of decisions that get a uniform (untargeted) offer, to measure the lift of personalisation. */
    holdoutShare: Type.Number({ minimum: 0, maximum: 0.5, default: 0.1 }),
    /** A zone entry noticed later than this (gateway or finalisation delay) gets no offer. */
    maxEntryAgeSeconds: Type.Integer({ minimum: 10, maximum: 86_400, default: 900 }),
    /**
     * Public payoff-by-rank curve for choosing k: values at evenly spaced relative ranks, best
     * first, non-increasing (e.g. a DP-estimated redemption rate by rank). Linear when omitted.
     */
    payoffCurve: Type.Optional(Type.Array(Type.Number({ minimum: 0, maximum: 1e6 }), { minItems: 2, maxItems: 1000 })),
    /** Days of released DP footfall used as the offers' popularity prior. */
    popularityPriorDays: Type.Integer({ minimum: 1, maximum: 90, default: 7 }),
    /** Audit trail (decisions and refusals) kept this long; at least 31 days (the weekly response release and its catch-up read it). */
    auditRetentionDays: Type.Integer({ minimum: 31, maximum: 3650, default: 90 }),
    /** Daily DP release of offers shown and redeemed per arm (personalised / holdout). */
    responseRelease: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        /** ρ of one weekly release for a shopper at the bound (4 cells, once each). */
        rho: Type.Number({ exclusiveMinimum: 0, maximum: 10, default: 0.005 }),
      },
      { ...closed, default: {} },
    ),
    /** SSE keep-alive comment interval for the shopper's offer stream. */
    streamKeepAliveSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 15 }),
  },
  { ...closed, default: {} },
);

export type OffersConfig = Static<typeof OffersSection>;

export function offersConfigProblems(config: { offers: OffersConfig }): Problem[] {
  const problems: Problem[] = [];
  const { offers } = config;
  for (const [name, epsilon] of Object.entries(offers.epsilon)) {
    if (toMicroEpsilon(epsilon) === null)
      problems.push({
        path: `/offers/epsilon/${name}`,
        message: `is ${epsilon}, expected at most 6 decimals (the budget is kept in integer micro-ε)`,
      });
  }
  if (offers.epsilon[DEFAULT_SENSITIVITY] === undefined) {
    problems.push({
      path: `/offers/epsilon/${DEFAULT_SENSITIVITY}`,
      message: `is required: offers without a sensitivity class are "${DEFAULT_SENSITIVITY}"`,
    });
  }
  const standard = offers.epsilon[DEFAULT_SENSITIVITY];
  const priceSensitive = offers.epsilon['price-sensitive'];
  if (standard !== undefined && priceSensitive !== undefined && priceSensitive > standard) {
    problems.push({
      path: '/offers/epsilon/price-sensitive',
      message: `is ${priceSensitive}, expected at most the standard ε (${standard}): price-sensitive offers get a smaller ε`,
    });
  }
  problems.push(...budgetProblems(offers));
  if (offers.caps.perDay < offers.caps.perVisit) {
    problems.push({
      path: '/offers/caps/perDay',
      message: `is ${offers.caps.perDay}, expected at least caps.perVisit (${offers.caps.perVisit})`,
    });
  }
  if (Math.abs(Math.round(offers.holdoutShare * 1e6) - offers.holdoutShare * 1e6) > 1e-6) {
    problems.push({ path: '/offers/holdoutShare', message: `is ${offers.holdoutShare}, expected at most 6 decimals` });
  }
  const curve = offers.payoffCurve;
  if (curve !== undefined) {
    const rising = curve.findIndex((v, i) => i > 0 && v > (curve[i - 1] as number));
    if (rising > 0)
      problems.push({
        path: `/offers/payoffCurve/${rising}`,
        message: `is ${curve[rising]}, expected a non-increasing curve (at most ${curve[rising - 1]})`,
      });
  }
  if (offers.quietHours !== null && offers.quietHours.start === offers.quietHours.end) {
    problems.push({
      path: '/offers/quietHours/end',
      message: `is "${offers.quietHours.end}", the same as start; use quietHours: null for no quiet hours`,
    });
  }
  return problems;
}

/** The v1 keys of offers.budget and the words that say what replaced them. */
const REMOVED_BUDGET_KEYS = {
  dailyEpsilon: 'the per-day cap',
  thirtyDayEpsilon: 'the 30-day cap',
} as const;

function budgetProblems(offers: OffersConfig): Problem[] {
  const problems: Problem[] = [];
  const { budget } = offers;
  for (const [key, what] of Object.entries(REMOVED_BUDGET_KEYS)) {
    if (budget[key as keyof typeof REMOVED_BUDGET_KEYS] !== undefined)
      problems.push({
        path: `/offers/budget/${key}`,
        message: `is no longer supported: ${what} was replaced by offers.budget.periodEpsilon, ε per shopper per budget period (privacy.budget.period), with an optional offers.budget.lifetimeEpsilon`,
      });
  }
  for (const [name, value] of [
    ['periodEpsilon', budget.periodEpsilon],
    ['lifetimeEpsilon', budget.lifetimeEpsilon],
  ] as const) {
    if (value !== undefined && toMicroEpsilon(value) === null)
      problems.push({ path: `/offers/budget/${name}`, message: `is ${value}, expected at most 6 decimals` });
  }
  if (budget.lifetimeEpsilon !== undefined && budget.lifetimeEpsilon < budget.periodEpsilon) {
    problems.push({
      path: '/offers/budget/lifetimeEpsilon',
      message: `is ${budget.lifetimeEpsilon}, expected at least periodEpsilon (${budget.periodEpsilon}): a shopper must be able to take part in one period`,
    });
  }
  const smallest = Math.min(...Object.values(offers.epsilon));
  if (Number.isFinite(smallest) && budget.periodEpsilon < smallest) {
    problems.push({
      path: '/offers/budget/periodEpsilon',
      message: `is ${budget.periodEpsilon}, smaller than every class's ε (smallest ${smallest}): no offer could ever be shown`,
    });
  }
  return problems;
}
