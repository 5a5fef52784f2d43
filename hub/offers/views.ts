import { fromMicroEpsilon } from './core/budget.ts';
import type { DataCategory } from './core/ranking.ts';
import type { DecisionRecord, StoredExclusion, StoredPurchase } from './adapters/sqlite-offer-store.ts';

/**
 * The JSON the shopper API returns (docs/shopper-api.md): times as ISO 8601 UTC, ε as decimals
 * (exact to the µε), and for every decision an explanation in plain words.
 */

const iso = (ms: number): string => new Date(ms).toISOString();

const DATA_CATEGORY_WORDS: Record<DataCategory, string> = {
  presence: 'that you entered this zone',
  'declared-preferences': 'the preferences you declared',
  'purchase-history': 'your purchase history (without the items you excluded)',
  'offer-feedback': 'offers you redeemed or dismissed before',
  'dp-aggregates': 'store-wide figures released with differential privacy',
};

export function offerView(d: DecisionRecord): Record<string, unknown> {
  return {
    id: d.id,
    offer: d.offer,
    zone: d.zone,
    shownAt: iso(d.atMs),
    state: d.state,
    ...(d.stateMs !== null ? { stateChangedAt: iso(d.stateMs) } : {}),
    audit: `/v1/me/audit/${d.id}`,
  };
}

export function explain(d: DecisionRecord): string {
  if (d.outcome === 'refused') return `No offer: ${d.message ?? d.reason ?? 'refused'}.`;
  const used = d.dataCategories.map((c) => DATA_CATEGORY_WORDS[c]).join('; ');
  if (d.arm === 'holdout' || d.policy === null) {
    return `Chosen uniformly at random from the ${d.eligible} offer(s) available in ${d.zone}. You were in the holdout group for this decision: nothing about you was used except ${DATA_CATEGORY_WORDS.presence}, and no privacy budget was spent. The holdout lets the store measure whether personalisation helps.`;
  }
  const p = d.policy;
  const ratio = (p.b / p.a).toFixed(3);
  const within = (d.rank ?? p.k + 1) <= p.k ? `among your top ${p.k}` : `outside your top ${p.k}`;
  return `Chosen at random by the threshold sampler from the ${d.eligible} offer(s) available in ${d.zone}: each of your top ${p.k} was ${ratio}× as likely as each other offer, so whoever sees this offer learns little about your preferences (ε = ${fromMicroEpsilon(d.epsilonMicro)} spent; the guaranteed ε is ln(${p.b}/${p.a}) = ${p.realEpsilon.toFixed(6)}). This offer was ${within} (#${d.rank ?? '?'}), with probability ${d.rank !== null && d.rank <= p.k ? p.b : p.a}/${p.total}. The ranking used: ${used}.`;
}

export function auditView(d: DecisionRecord): Record<string, unknown> {
  return {
    id: d.id,
    at: iso(d.atMs),
    zone: d.zone,
    enteredAt: iso(d.entryMs),
    outcome: d.outcome,
    offer:
      d.offer === null
        ? null
        : {
            id: d.offer.id,
            title: d.offer.title,
            category: d.offer.category,
            ...(d.offer.brand !== undefined ? { brand: d.offer.brand } : {}),
            sensitivity: d.offer.sensitivity,
          },
    arm: d.arm,
    epsilonSpent: fromMicroEpsilon(d.epsilonMicro),
    dataCategories: d.dataCategories,
    mechanism:
      d.outcome === 'refused'
        ? null
        : d.policy === null
          ? { name: 'uniform', eligible: d.eligible, probability: `1/${d.eligible}` }
          : {
              name: 'threshold-sampler',
              eligible: d.eligible,
              k: d.policy.k,
              weights: { top: d.policy.b, other: d.policy.a },
              realEpsilon: d.policy.realEpsilon,
              rank: d.rank,
              probability: `${d.rank !== null && d.rank <= d.policy.k ? d.policy.b : d.policy.a}/${d.policy.total}`,
            },
    refusal: d.outcome === 'refused' ? { reason: d.reason, message: d.message } : null,
    explanation: explain(d),
    budgetLeft: {
      today: fromMicroEpsilon(d.budgetLeft.todayMicro),
      thirtyDays: fromMicroEpsilon(d.budgetLeft.windowMicro),
    },
    state: d.state,
  };
}

export function purchaseView(p: StoredPurchase, excludedBy: string | null): Record<string, unknown> {
  return {
    id: p.id,
    at: iso(p.atMs),
    sku: p.sku,
    category: p.category,
    brand: p.brand,
    size: p.size,
    source: p.source,
    ...(p.decisionId !== null ? { decisionId: p.decisionId } : {}),
    excluded: excludedBy !== null,
    ...(excludedBy !== null ? { exclusionId: excludedBy } : {}),
  };
}

export function exclusionView(e: StoredExclusion): Record<string, unknown> {
  return {
    id: e.id,
    ...(e.purchaseId !== null ? { purchaseId: e.purchaseId } : { sku: e.sku }),
    reason: e.reason,
    createdAt: iso(e.createdMs),
  };
}
