import type { Hub } from '../../hub/app.ts';
import type { Hq } from '../../hq/mod.ts';
import type { DoctorReport } from '../../provisioning/doctor/run-doctor.ts';
import { decodeAnyReleasePayload } from '../../shared/upstream/release-payload-v2.ts';
import type { FlappingScore, Score } from '../sim/core/score.ts';
import type { SimulationStats } from '../sim/core/engine.ts';
import type { AppShopper } from './shopper-app.ts';

/** The demo's end-of-run summary (`--json` prints it as one object). */
export interface DemoSummary {
  store: string;
  seed: string;
  storeMinutes: number;
  speed: number;
  wallSeconds: number;
  advertsHeard: number;
  sightings: number;
  resolvedSightings: number;
  zoneAccuracy: number | null;
  /** Zone changes per shopper-minute that the simulator's truth does not have (room flapping). */
  zoneFlappingPerMinute: number | null;
  precision: number | null;
  recall: number | null;
  visits: number;
  appShoppers: number;
  detectableShoppers: number;
  /** Releases computed by the hub (every kind, every due period, zeros included). */
  releasesComputed: number;
  /** Releases the collector stored, byte-verified and signature-checked. */
  releases: number;
  releaseKinds: Array<{
    kind: string;
    count: number;
    mechanism: string;
    sigma: Record<string, number>;
    rho: string;
    epsilon: number;
    delta: number;
  }>;
  upstream: { sent: number; pending: number; rejected: number };
  /** What the simulated shopper apps received, redeemed and dismissed (the apps are the shoppers; the hub shows no exact shopper figures). */
  offersShown: number;
  offersRedeemed: number;
  offersDismissed: number;
  shoppersWithOffers: number;
  budget: {
    period: string;
    analyticsPeriodCapRho: number;
    analyticsYearRho: number;
    dailyShopperRho: number;
    dailyShopperStaysIn: boolean;
    /** The offer budget: ε per shopper and budget period (a draw is sticky for the period). */
    offersPeriodCapEpsilon: number;
  };
  doctor: { ok: boolean; pass: number; warn: number; fail: number; failures: string[] };
  statusPageUrl: string;
  keepRunning?: () => Promise<void>;
}

export interface SummaryInput {
  store: string;
  seed: string;
  minutes: number;
  speed: number;
  wallSeconds: number;
  hub: Hub;
  collector: Hq;
  score: Score & { flapping: FlappingScore };
  simStats: SimulationStats;
  released: number;
  shoppers: readonly AppShopper[];
  detectable: number;
  statusPageUrl: string;
  doctor: DoctorReport;
  nowMs: number;
  startMs: number;
}

function round(value: number | null, digits = 4): number | null {
  return value === null ? null : Number(value.toFixed(digits));
}

export async function summarise(input: SummaryInput): Promise<DemoSummary> {
  const { hub } = input;
  const stats = hub.stats();
  const visits = (
    hub.db.prepare('SELECT COUNT(*) AS n FROM visits WHERE started_at >= ?').get(Math.floor(input.startMs / 1000)) as {
      n: number;
    }
  ).n;
  const stored = await input.collector.store.listReleases({ store: input.store });
  const kinds = new Map<string, DemoSummary['releaseKinds'][number]>();
  for (const release of stored) {
    const decoded = decodeAnyReleasePayload(release.body);
    if (!decoded.ok) continue;
    const p = decoded.value;
    const entry = kinds.get(p.kind) ?? {
      kind: p.kind,
      count: 0,
      mechanism: p.measures[0]?.mechanism ?? 'unknown',
      sigma: Object.fromEntries(p.measures.map((m) => [m.metric, Number((m.sigma ?? 0).toFixed(2))])),
      rho: p.cost.rho,
      epsilon: p.cost.epsilon,
      delta: p.cost.delta,
    };
    entry.count++;
    kinds.set(p.kind, entry);
  }
  const privacy = hub.privacy.status(input.startMs);
  const plan = privacy.plan;
  const apps = input.shoppers;
  const total = (field: 'offersReceived' | 'redeemed' | 'dismissed'): number => apps.reduce((n, s) => n + s[field], 0);
  const checks = input.doctor.checks;
  return {
    store: input.store,
    seed: input.seed,
    storeMinutes: input.minutes,
    speed: input.speed,
    wallSeconds: Number(input.wallSeconds.toFixed(1)),
    advertsHeard: input.simStats.reports,
    sightings: stats.sightings,
    resolvedSightings: stats.resolved,
    zoneAccuracy: round(input.score.zoneAccuracy),
    zoneFlappingPerMinute: round(input.score.flapping.perMinute),
    precision: round(input.score.precision),
    recall: round(input.score.recallHeard),
    visits,
    appShoppers: input.shoppers.length,
    detectableShoppers: input.detectable,
    releasesComputed: input.released,
    releases: stored.length,
    releaseKinds: [...kinds.values()].sort((a, b) => a.kind.localeCompare(b.kind)),
    upstream: { sent: privacy.upstream.sent, pending: privacy.upstream.pending, rejected: privacy.upstream.rejected },
    offersShown: total('offersReceived'),
    offersRedeemed: total('redeemed'),
    offersDismissed: total('dismissed'),
    shoppersWithOffers: apps.filter((s) => s.offersReceived > 0).length,
    budget: {
      period: privacy.period,
      analyticsPeriodCapRho: plan.periodCap,
      analyticsYearRho: plan.yearRho,
      dailyShopperRho: Number(plan.dailyShopperRho.toFixed(6)),
      dailyShopperStaysIn: plan.dailyShopperStaysIn,
      offersPeriodCapEpsilon: hub.config.offers.budget.periodEpsilon,
    },
    doctor: {
      ok: input.doctor.ok,
      pass: checks.filter((c) => c.status === 'PASS').length,
      warn: checks.filter((c) => c.status === 'WARN').length,
      fail: checks.filter((c) => c.status === 'FAIL').length,
      failures: checks.filter((c) => c.status === 'FAIL').map((c) => `${c.name}: ${c.detail}`),
    },
    statusPageUrl: input.statusPageUrl,
  };
}

const pct = (value: number | null): string => (value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`);

export function formatSummary(s: DemoSummary): string {
  const lines = [
    '',
    `hushpoint demo — store "${s.store}", ${s.storeMinutes} store minutes at ${s.speed}×, seed "${s.seed}", ${s.wallSeconds} s`,
    '',
    'Presence',
    `  adverts heard by the gateways   ${s.advertsHeard}  (everything; only opt-in frames were kept)`,
    `  sightings sent to the hub       ${s.sightings}  (${s.resolvedSightings} resolved to enrolled shoppers)`,
    `  zone accuracy vs the simulator  ${pct(s.zoneAccuracy)}  (precision ${pct(s.precision)}, recall ${pct(s.recall)})`,
    `  room flapping                   ${s.zoneFlappingPerMinute ?? 'n/a'} zone changes per shopper-minute the simulator has not`,
    `  visits                          ${s.visits}  (${s.appShoppers} app shoppers, ${s.detectableShoppers} detectable)`,
    '',
    'Differentially private releases (what leaves the store)',
    `  computed ${s.releasesComputed}, received by HQ ${s.releases}; upstream sent ${s.upstream.sent}, pending ${s.upstream.pending}, rejected ${s.upstream.rejected}`,
    ...s.releaseKinds.map(
      (k) =>
        `  ${k.kind.padEnd(16)} ×${String(k.count).padEnd(3)} ${k.mechanism}, σ ${Object.entries(k.sigma)
          .map(([m, v]) => `${m} ${v}`)
          .join(', ')}; cost ρ ${k.rho} ≈ (ε ${k.epsilon.toFixed(2)}, δ ${k.delta}) per shopper-day`,
    ),
    '',
    "Offers (threshold sampler, ε-DP in the shopper's ranking)",
    `  the shopper apps received ${s.offersShown}, redeemed ${s.offersRedeemed}, dismissed ${s.offersDismissed}; ${s.shoppersWithOffers} shoppers got at least one`,
    '',
    'Privacy budget',
    `  analytics: one shopper over ${s.budget.period} costs at most ρ ${s.budget.analyticsPeriodCapRho} (a year ρ ${s.budget.analyticsYearRho}); a shopper who comes every day spends ρ ${s.budget.dailyShopperRho}${s.budget.dailyShopperStaysIn ? ' and stays in every release' : ' and passes the cap'}`,
    `  offers: at most ε ${s.budget.offersPeriodCapEpsilon} per shopper over ${s.budget.period}; a draw is sticky for the period, so showing it again spends nothing`,
    '',
    `Doctor on the hub: ${s.doctor.pass} PASS, ${s.doctor.warn} WARN, ${s.doctor.fail} FAIL${s.doctor.failures.length > 0 ? ` (${s.doctor.failures.join('; ')})` : ''}`,
    `Status page: ${s.statusPageUrl}`,
  ];
  return lines.join('\n');
}
