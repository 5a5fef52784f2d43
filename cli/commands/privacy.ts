import { intOption, numberOption, usageError, type Command, type OptionValues } from '../../shared/cli/command.ts';
import { loadConfig } from '../../shared/config/load-config.ts';
import { EXIT } from '../../shared/errors.ts';
import { compileValidator } from '../../shared/validation.ts';
import { hubRole, type HubConfig } from '../../hub/config.schema.ts';
import { builtInReleases, planOf, type AnyReleaseDefinition, type PrivacyPlan } from '../../hub/privacy/mod.ts';
import { offerResponseRelease, OffersSection, type OffersConfig } from '../../hub/offers/mod.ts';
import { PrivacySection, type PrivacyConfig } from '../../hub/privacy/mod.ts';

/**
 * `hushpoint privacy plan` (docs/privacy.md §7): before a store goes live, what every release costs
 * one shopper, how precise it is at a given traffic, and whether a shopper who comes every day
 * stays inside the period's cap — from a hub config (or the defaults), without any data.
 */

interface PlanSources {
  privacy: PrivacyConfig;
  offers: OffersConfig;
  visitGapSeconds: number;
  zones: readonly string[] | null;
  source: string;
}

function defaults(): PlanSources {
  const privacy = compileValidator<PrivacyConfig>(PrivacySection, { useDefaults: true })({});
  const offers = compileValidator<OffersConfig>(OffersSection, { useDefaults: true })({});
  if (!privacy.ok || !offers.ok) throw new Error('the default privacy and offers sections do not validate');
  return { privacy: privacy.value, offers: offers.value, visitGapSeconds: 300, zones: null, source: 'the defaults' };
}

function fromConfig(file: string): PlanSources {
  const config: Readonly<HubConfig> = loadConfig(hubRole, file).config;
  return {
    privacy: config.privacy,
    offers: config.offers,
    visitGapSeconds: config.presence.visitGapSeconds,
    zones: config.privacy.zones ?? null,
    source: file,
  };
}

function positive(values: OptionValues, name: string, fallback: number): number {
  const value = numberOption(values, name, { min: 0, max: 1e9 }, fallback);
  if (!(value > 0)) throw usageError(`--${name} is ${String(values[name])}, expected a positive number`);
  return value;
}

function formatPlan(plan: PrivacyPlan, source: string, zones: number, visitsPerDay: number): string[] {
  const lines = [
    `privacy plan for ${source}: one shopper over one ${plan.periodUnit}, ${zones} zones, ${visitsPerDay} visits a day`,
    `cap ρ ${plan.periodCap} per ${plan.periodUnit} (ε ${plan.periodEpsilon.toFixed(2)} at δ ${plan.delta}); at most ρ ${plan.yearRho} a year (ε ${plan.yearEpsilon.toFixed(2)})${plan.lifetimeRho === null ? '' : `; lifetime ρ ${plan.lifetimeRho}`}`,
    '',
    `${'release'.padEnd(18)}${'window'.padEnd(8)}${'ρ each'.padStart(10)}${'× windows'.padStart(11)}${'ρ/period'.padStart(10)}${'σ'.padStart(9)}${'95% ±'.padStart(8)}${'typical'.padStart(10)}${'median rel. err.'.padStart(18)}`,
  ];
  for (const r of plan.releases) {
    lines.push(
      `${r.kind.padEnd(18)}${r.window.padEnd(8)}${r.rho.toPrecision(3).padStart(10)}${String(r.windowsPerPeriod).padStart(11)}${r.rhoPerPeriod.toPrecision(3).padStart(10)}${(r.sigma === null ? '—' : r.sigma.toFixed(1)).padStart(9)}${(r.halfWidth95 === null ? '—' : String(r.halfWidth95)).padStart(8)}${(r.expectedCell === null ? '—' : r.expectedCell.toFixed(0)).padStart(10)}${(r.medianRelativeError === null ? '—' : `${(100 * r.medianRelativeError).toFixed(1)}%`).padStart(18)}`,
    );
  }
  lines.push(
    '',
    `a shopper who comes every day spends ρ ${plan.dailyShopperRho.toFixed(4)} of ${plan.periodCap}: ${plan.dailyShopperStaysIn ? 'stays in every release of the period' : 'passes the cap and is left out of later releases'}`,
    `a regular spends ρ ${plan.regularRho.toFixed(4)}: ${plan.regularStaysIn ? 'stays in' : 'passes the cap'}`,
  );
  return lines;
}

const planCommand: Command = {
  name: 'plan',
  summary: 'what each release costs a shopper, its expected error and 95% interval, and the period and yearly totals',
  options: {
    config: { type: 'string', value: 'FILE', description: 'a hub config (hub.yaml); the defaults when omitted' },
    'visits-per-day': { type: 'string', value: 'N', description: 'expected visits a day (default 2000)' },
    zones: { type: 'string', value: 'Z', description: 'zones in the store (default: the config list, else 8)' },
    'zones-per-visit': { type: 'string', value: 'N', description: 'zones one visit reaches (default min(3, Z))' },
    'days-per-week': { type: 'string', value: 'D', description: 'days a week a regular comes (default 7)' },
    json: { type: 'boolean', description: 'print one JSON object' },
  },
  run({ values }, { io }) {
    const sources = typeof values.config === 'string' ? fromConfig(values.config) : defaults();
    const zoneCount =
      values.zones !== undefined ? intOption(values, 'zones', { min: 1, max: 1000 }) : (sources.zones?.length ?? 8);
    const zones =
      sources.zones !== null && sources.zones.length === zoneCount
        ? sources.zones
        : Array.from({ length: zoneCount }, (_, i) => `zone-${i + 1}`);
    const traffic = {
      visitsPerDay: positive(values, 'visits-per-day', 2000),
      zones: zoneCount,
      ...(values['zones-per-visit'] !== undefined ? { zonesPerVisit: positive(values, 'zones-per-visit', 3) } : {}),
      regularDaysPerWeek:
        values['days-per-week'] === undefined ? 7 : intOption(values, 'days-per-week', { min: 1, max: 7 }),
    };
    const kinds: AnyReleaseDefinition[] = builtInReleases(sources.privacy, {
      visitGapSeconds: sources.visitGapSeconds,
    });
    if (sources.offers.enabled && sources.offers.responseRelease.enabled)
      kinds.push(offerResponseRelease(sources.offers));
    const plan = planOf(kinds, sources.privacy, traffic, zones);
    if (values.json) io.out(JSON.stringify({ source: sources.source, traffic, ...plan }));
    else for (const line of formatPlan(plan, sources.source, zoneCount, traffic.visitsPerDay)) io.out(line);
    return EXIT.OK;
  },
};

export const privacyCommand: Command = {
  name: 'privacy',
  summary: 'the privacy contract: plan the releases before a store goes live',
  subcommands: () => [planCommand],
};
