import type { Static } from '@sinclair/typebox';
import type { AuditEntryView, ExclusionView, OfferBudgetView, OfferShownView, PurchaseView } from './api-schemas.ts';
import { fromMicroEpsilon } from './core/budget.ts';
import type { DataCategory } from './core/ranking.ts';
import type { DecisionRecord, StoredDraw, StoredExclusion, StoredPurchase } from './adapters/sqlite-offer-store.ts';
import type { OfferBudget } from './core/budget.ts';

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

export function offerView(d: DecisionRecord): Static<typeof OfferShownView> {
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

/**
 * The decision in plain words. It names the data used, the ε charged and the budget period —
 * never the offer's rank, whether it was among the shopper's top offers, k, the weights or the
 * exact probability (that is exactly what the threshold sampler hides).
 */
export function explain(d: DecisionRecord): string {
  if (d.outcome === 'refused') return `No offer: ${d.message ?? d.reason ?? 'refused'}.`;
  const used = d.dataCategories.map((c) => DATA_CATEGORY_WORDS[c]).join('; ');
  const period = d.period ?? 'this budget period';
  if (d.arm === 'holdout') {
    return `Chosen uniformly at random from the ${d.eligible} offer(s) available in ${d.zone}. You were in the holdout group for this decision: nothing about you was used except ${DATA_CATEGORY_WORDS.presence}, and no privacy budget was spent. The holdout lets the store measure whether personalisation helps.`;
  }
  if (d.draw === 'sticky') {
    return `The same choice as your earlier offer in ${d.zone} in ${period}: neither your data nor the zone's offers changed since, so the same random draw was used again and no privacy budget was spent — seeing it again tells nobody anything new. The ranking used: ${used}.`;
  }
  if (d.draw === 'carried') {
    return `The same choice as your last offer in ${d.zone} before ${period}: neither your data nor the zone's offers changed since, so the same random draw was used again. It is charged to your offer budget for ${period} (ε = ${fromMicroEpsilon(d.epsilonMicro)}) as a new choice would be, but whoever saw both offers learns nothing new from the second. The ranking used: ${used}.`;
  }
  if (d.draw === 'kept') {
    return `Your earlier offer in ${d.zone} in ${period}, shown again: your data changed since it was chosen, but your offer privacy budget for ${period} is used up, so no new choice was made and nothing was spent. The ranking it came from used: ${used}.`;
  }
  return `Chosen at random by the threshold sampler from the ${d.eligible} offer(s) available in ${d.zone}: offers that rank high for you were somewhat more likely than the others, but any of them could have been chosen, so whoever sees this offer learns little about your preferences (ε = ${fromMicroEpsilon(d.epsilonMicro)}, charged to your offer budget for ${period}). The ranking used: ${used}.`;
}

export function auditView(d: DecisionRecord): Static<typeof AuditEntryView> {
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
    draw: d.draw,
    epsilonSpent: fromMicroEpsilon(d.epsilonMicro),
    dataCategories: [...d.dataCategories],
    mechanism:
      d.outcome === 'refused'
        ? null
        : { name: d.arm === 'holdout' ? 'uniform' : 'threshold-sampler', eligible: d.eligible },
    refusal: d.outcome === 'refused' ? { reason: d.reason, message: d.message } : null,
    explanation: explain(d),
    budget: {
      period: d.period,
      left: d.budgetLeftMicro === null ? null : fromMicroEpsilon(d.budgetLeftMicro),
    },
    state: d.state,
  };
}

export function purchaseView(p: StoredPurchase, excludedBy: string | null): Static<typeof PurchaseView> {
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

export function exclusionView(e: StoredExclusion): Static<typeof ExclusionView> {
  return {
    id: e.id,
    ...(e.purchaseId !== null ? { purchaseId: e.purchaseId } : { sku: e.sku }),
    reason: e.reason,
    createdAt: iso(e.createdMs),
  };
}

/** The shopper's offer budget (their audit trail and export): the period, its cap, what was spent and what is left. */
export function offerBudgetView(
  budget: OfferBudget,
  epsilonMicroByClass: Readonly<Record<string, number>>,
): Static<typeof OfferBudgetView> {
  return {
    period: budget.period,
    periodUnit: budget.periodUnit,
    cap: fromMicroEpsilon(budget.capMicro),
    spent: fromMicroEpsilon(budget.spentMicro),
    left: fromMicroEpsilon(budget.leftMicro),
    lifetimeCap: budget.lifetimeMicro === null ? null : fromMicroEpsilon(budget.lifetimeMicro),
    ...(budget.excluded
      ? {
          closed: !budget.open
            ? 'the ledger of this period was pruned'
            : !budget.participates
              ? 'the lifetime cap is reached'
              : 'the cap was reached before this version of hushpoint',
        }
      : {}),
    epsilonPerOffer: Object.fromEntries(
      Object.entries(epsilonMicroByClass).map(([name, micro]) => [name, fromMicroEpsilon(micro)]),
    ),
    history: budget.history.map((h) => ({ period: h.period, spent: fromMicroEpsilon(h.spentMicro), draws: h.draws })),
  };
}

/** A sticky draw as the shopper's export shows it: which offer, when, for which period, at what ε — never its slot. */
export function drawView(d: StoredDraw): Record<string, unknown> {
  return {
    period: d.period,
    offerId: d.offerId,
    decisionId: d.decisionId,
    drawnAt: iso(d.atMs),
    epsilonSpent: fromMicroEpsilon(d.epsilonMicro),
    dataCategories: d.dataCategories,
  };
}
