import type { GatewayStatus } from '../../../shared/protocol/messages.ts';
import { payloadExcerpt } from './payload-excerpt.ts';

/**
 * The technician status view: what `GET /v1/technician/status` returns and the page shows.
 * Pure: the caller reads the registry, counters, quarantine and the feature providers, and
 * passes `nowMs` (the hub clock). Everything here is about devices and aggregates: no shopper
 * identity appears in it (the budget is a histogram of shopper counts).
 */

/** Same limits as `hushpoint doctor` (provisioning/doctor): warn above 2 s, fail above 30 s. */
export const CLOCK_WARN_MS = 2_000;
export const CLOCK_FAIL_MS = 30_000;

export type Connection = 'online' | 'silent' | 'offline' | 'unknown' | 'revoked';

/** A gateway as the registry holds it (hub/adapters/gateway-registry.ts GatewayRecord). */
export interface GatewayInput {
  readonly id: string;
  readonly zone: string;
  readonly revokedMs: number | null;
  readonly state: 'unknown' | 'online' | 'offline';
  readonly lastStatus: GatewayStatus | null;
  readonly lastStatusMs: number | null;
  readonly lastBatchMs: number | null;
}

export interface GatewayView {
  id: string;
  zone: string;
  connection: Connection;
  /** Hub time of the last status or presence batch heard, or null. */
  lastSeenMs: number | null;
  lastSeenAgoSeconds: number | null;
  advertsPerSecond: number | null;
  optInSightingsPerWindow: number | null;
  outboxDepth: number | null;
  dropped: number | null;
  /** Hub time minus gateway time, as the gateway last measured it. */
  clockOffsetMs: number | null;
  clockLevel: 'ok' | 'warn' | 'fail' | 'unknown';
  version: string | null;
  /** The gateway runs another release than the hub. */
  versionMismatch: boolean;
  uptimeSeconds: number | null;
  adapterState: string | null;
  reconnects: number | null;
  /** The figures are from a status the gateway sent while online (an offline will carries none). */
  figuresFromMs: number | null;
}

/** A quarantine row with only the head of its payload (the page never gets the whole payload). */
export interface QuarantineInput {
  readonly receivedMs: number;
  readonly gateway: string;
  readonly topic: string;
  readonly problems: readonly { readonly path: string; readonly message: string }[];
  readonly bytes: number;
  readonly head: Uint8Array;
}

export interface QuarantineView {
  total: number;
  latest: Array<{
    receivedMs: number;
    gateway: string;
    topic: string;
    reason: string;
    problems: number;
    bytes: number;
    excerpt: string;
  }>;
}

/** A histogram of shoppers by the fraction of a cap they used (shared/privacy/accounting.ts). */
export interface HistogramInput {
  readonly cap: number;
  readonly bins: readonly { readonly fromPercent: number; readonly toPercent: number; readonly units: number }[];
  readonly maxSpent: number;
}

/**
 * What the privacy feature reports (hub/privacy: ReleaseService.status(nowMs)); caps and
 * spending in µρ (millionths of ρ).
 */
export interface PrivacyInput {
  readonly enabled: boolean;
  readonly timeZone: string;
  readonly releases: readonly {
    readonly kind: string;
    readonly releases: number;
    readonly lastPeriodEndMs: number | null;
    readonly lastComputedMs: number | null;
  }[];
  readonly upstream: {
    readonly enabled: boolean;
    readonly transport: string | null;
    readonly down: boolean;
    readonly pending: number;
    readonly sent: number;
    readonly rejected: number;
    readonly oldestPendingMs: number | null;
    readonly lastError: string | null;
    readonly lastSentMs: number | null;
  };
  readonly budget: {
    readonly units: number;
    readonly date: string;
    readonly filteredToday: number;
    readonly day: HistogramInput;
    readonly window: HistogramInput;
  };
}

/** A further budget distribution (e.g. the offers' ε per shopper-day), caps in the unit named. */
export interface BudgetInput {
  readonly name: string;
  readonly label: string;
  readonly unit: 'ρ' | 'ε';
  /** The cap in the unit (not micro-units). */
  readonly cap: number;
  readonly units: number;
  /** Bins by share of the cap; `label` names a bin whose edges are not tenths (the page shows it under the bar). */
  readonly bins: readonly {
    readonly fromPercent: number;
    readonly toPercent: number;
    readonly units: number;
    readonly label?: string;
  }[];
}

export interface BudgetView {
  name: string;
  label: string;
  unit: 'ρ' | 'ε';
  cap: number;
  units: number;
  bins: Array<{ fromPercent: number; toPercent: number; units: number; label?: string }>;
}

/** A feature's section: not wired into this hub, wired but its provider failed, or its data. */
export type Section<T> =
  { configured: false; reason: string } | { configured: true; error: string } | ({ configured: true; error: null } & T);

export interface ReleasesView {
  enabled: boolean;
  timeZone: string;
  kinds: Array<{ kind: string; releases: number; lastPeriodEndMs: number | null; lastComputedMs: number | null }>;
  upstream: {
    enabled: boolean;
    transport: string | null;
    down: boolean;
    unsent: number;
    sent: number;
    rejected: number;
    oldestUnsentMs: number | null;
    lastSentMs: number | null;
    lastError: string | null;
  };
}

export interface CounterGroup {
  group: string;
  items: Array<{ name: string; label: string; value: number }>;
}

export interface StatusView {
  store: string;
  hub: { version: string; timeMs: number };
  refreshSeconds: number;
  gateways: { total: number; online: number; items: GatewayView[] };
  releases: Section<ReleasesView>;
  /** `problems`: providers that failed while others answered (one failing provider alone is `error`). */
  budget: Section<{
    date: string | null;
    filteredToday: number | null;
    distributions: BudgetView[];
    problems: string[];
  }>;
  quarantine: QuarantineView;
  counters: CounterGroup[];
}

export interface StatusInput {
  store: string;
  hubVersion: string;
  refreshSeconds: number;
  /** A gateway that reported online but sent nothing for this long shows as "silent". */
  staleAfterMs: number;
  gateways: readonly GatewayInput[];
  quarantineTotal: number;
  quarantine: readonly QuarantineInput[];
  counters: Readonly<Record<string, number>>;
  /** null: the privacy feature is not wired into this hub; an Error: its provider failed. */
  privacy: PrivacyInput | Error | null;
  /** Further budget distributions (offers); null when none are wired. */
  budgets: readonly BudgetInput[] | Error | null;
}

function lastSeen(g: GatewayInput): number | null {
  const times = [g.lastStatusMs, g.lastBatchMs].filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.max(...times);
}

export function connectionOf(g: GatewayInput, nowMs: number, staleAfterMs: number): Connection {
  if (g.revokedMs !== null) return 'revoked';
  if (g.state === 'unknown') return 'unknown';
  if (g.state === 'offline') return 'offline';
  const seen = lastSeen(g);
  return seen !== null && nowMs - seen <= staleAfterMs ? 'online' : 'silent';
}

export function clockLevel(offsetMs: number | null): GatewayView['clockLevel'] {
  if (offsetMs === null) return 'unknown';
  const abs = Math.abs(offsetMs);
  return abs > CLOCK_FAIL_MS ? 'fail' : abs > CLOCK_WARN_MS ? 'warn' : 'ok';
}

export function gatewayView(
  g: GatewayInput,
  nowMs: number,
  options: { staleAfterMs: number; hubVersion: string },
): GatewayView {
  const status = g.lastStatus;
  // An offline will is a bare "offline": keep the figures only from an online status.
  const figures = status !== null && status.state === 'online' ? status : null;
  const seen = lastSeen(g);
  const offset = figures?.clockOffsetMs ?? null;
  const version = status?.version ?? null;
  return {
    id: g.id,
    zone: g.zone,
    connection: connectionOf(g, nowMs, options.staleAfterMs),
    lastSeenMs: seen,
    lastSeenAgoSeconds: seen === null ? null : Math.max(0, Math.floor((nowMs - seen) / 1000)),
    advertsPerSecond: figures?.advertsPerSecond ?? null,
    optInSightingsPerWindow: figures?.optInSightingsPerWindow ?? null,
    outboxDepth: figures?.outboxDepth ?? null,
    dropped: figures?.dropped ?? null,
    clockOffsetMs: offset,
    clockLevel: clockLevel(offset),
    version,
    versionMismatch: version !== null && version !== options.hubVersion,
    uptimeSeconds: figures?.uptimeSeconds ?? null,
    adapterState: figures?.adapterState ?? null,
    reconnects: figures?.reconnects ?? null,
    figuresFromMs: figures === null ? null : g.lastStatusMs,
  };
}

export function quarantineView(total: number, rows: readonly QuarantineInput[]): QuarantineView {
  return {
    total,
    latest: rows.map((row) => {
      const first = row.problems[0];
      const reason = first === undefined ? 'no reason recorded' : `${first.path || '/'} ${first.message}`;
      return {
        receivedMs: row.receivedMs,
        gateway: row.gateway,
        topic: row.topic,
        reason: (row.problems.length > 1 ? `${reason} (and ${row.problems.length - 1} more)` : reason).slice(0, 300),
        problems: row.problems.length,
        bytes: row.bytes,
        excerpt: payloadExcerpt(row.head, row.bytes),
      };
    }),
  };
}

const MICRO = 1_000_000;

function histogram(name: string, label: string, h: HistogramInput, units: number): BudgetView {
  return {
    name,
    label,
    unit: 'ρ',
    cap: h.cap / MICRO,
    units,
    bins: h.bins.map((b) => ({ fromPercent: b.fromPercent, toPercent: b.toPercent, units: b.units })),
  };
}

export function releasesView(privacy: PrivacyInput): ReleasesView {
  const u = privacy.upstream;
  return {
    enabled: privacy.enabled,
    timeZone: privacy.timeZone,
    kinds: privacy.releases.map((r) => ({
      kind: r.kind,
      releases: r.releases,
      lastPeriodEndMs: r.lastPeriodEndMs,
      lastComputedMs: r.lastComputedMs,
    })),
    upstream: {
      enabled: u.enabled,
      transport: u.transport,
      down: u.down,
      unsent: u.pending,
      sent: u.sent,
      rejected: u.rejected,
      oldestUnsentMs: u.oldestPendingMs,
      lastSentMs: u.lastSentMs,
      lastError: u.lastError === null ? null : u.lastError.slice(0, 500),
    },
  };
}

const NOT_WIRED = 'the privacy feature is not wired into this hub';

function budgetSection(privacy: StatusInput['privacy'], extra: StatusInput['budgets']): StatusView['budget'] {
  if (privacy === null && extra === null) return { configured: false, reason: NOT_WIRED };
  const errors: string[] = [];
  const distributions: BudgetView[] = [];
  let date: string | null = null;
  let filteredToday: number | null = null;
  if (privacy instanceof Error) errors.push(`privacy: ${privacy.message}`);
  else if (privacy !== null) {
    date = privacy.budget.date;
    filteredToday = privacy.budget.filteredToday;
    distributions.push(
      histogram('analytics-day', 'Analytics, today (share of the daily cap)', privacy.budget.day, privacy.budget.units),
      histogram(
        'analytics-window',
        'Analytics, last 30 days (share of the 30-day cap)',
        privacy.budget.window,
        privacy.budget.units,
      ),
    );
  }
  if (extra instanceof Error) errors.push(`budgets: ${extra.message}`);
  else if (extra !== null) {
    for (const b of extra)
      distributions.push({
        name: b.name,
        label: b.label,
        unit: b.unit,
        cap: b.cap,
        units: b.units,
        bins: b.bins.map((x) => ({ ...x })),
      });
  }
  if (distributions.length === 0 && errors.length > 0) return { configured: true, error: errors.join('; ') };
  return { configured: true, error: null, date, filteredToday, distributions, problems: errors };
}

const COUNTER_GROUPS: ReadonlyArray<{ group: string; items: ReadonlyArray<readonly [string, string]> }> = [
  {
    group: 'Ingest',
    items: [
      ['batches', 'Presence batches'],
      ['duplicateBatches', 'Duplicate batches (replays)'],
      ['sightings', 'Sightings'],
      ['resolved', 'Resolved'],
      ['unresolved', 'Unresolved'],
      ['pausedDiscarded', 'Discarded (shopper paused)'],
      ['noConsentDiscarded', 'Discarded (no consent)'],
      ['lateSightings', 'Late sightings'],
      ['statusMessages', 'Status messages'],
      ['commandReplies', 'Command replies'],
    ],
  },
  {
    group: 'Refused',
    items: [
      ['quarantined', 'Quarantined payloads'],
      ['refusedConnections', 'Connections'],
      ['refusedPublishes', 'Publishes'],
      ['refusedSubscriptions', 'Subscriptions'],
      ['oversizedPackets', 'Oversized packets'],
      ['rateLimited', 'Rate limited'],
    ],
  },
  {
    group: 'Presence',
    items: [
      ['windowsFinalized', 'Windows finalised'],
      ['visitsStarted', 'Visits started'],
      ['visitsEnded', 'Visits ended'],
      ['openVisits', 'Open visits'],
      ['shoppersEnrolled', 'Shoppers enrolled'],
    ],
  },
  {
    group: 'Housekeeping',
    items: [
      ['retentionRuns', 'Retention runs'],
      ['retentionDeletedRows', 'Rows deleted by retention'],
    ],
  },
];

export function counterGroups(counters: Readonly<Record<string, number>>): CounterGroup[] {
  const listed = new Set<string>(['gatewaysOnline', 'gatewaysRegistered']);
  const groups: CounterGroup[] = COUNTER_GROUPS.map(({ group, items }) => ({
    group,
    items: items
      .filter(([name]) => {
        listed.add(name);
        return typeof counters[name] === 'number';
      })
      .map(([name, label]) => ({ name, label, value: counters[name] as number })),
  }));
  // Counters added later by other features still show, under their own names.
  const other = Object.keys(counters)
    .filter((name) => !listed.has(name) && typeof counters[name] === 'number')
    .sort();
  if (other.length > 0)
    groups.push({
      group: 'Other',
      items: other.map((name) => ({ name, label: name, value: counters[name] as number })),
    });
  return groups.filter((g) => g.items.length > 0);
}

export function buildStatusView(input: StatusInput, nowMs: number): StatusView {
  const items = input.gateways.map((g) =>
    gatewayView(g, nowMs, { staleAfterMs: input.staleAfterMs, hubVersion: input.hubVersion }),
  );
  const active = items.filter((g) => g.connection !== 'revoked');
  let releases: StatusView['releases'];
  if (input.privacy === null) releases = { configured: false, reason: NOT_WIRED };
  else if (input.privacy instanceof Error) releases = { configured: true, error: input.privacy.message };
  else releases = { configured: true, error: null, ...releasesView(input.privacy) };
  return {
    store: input.store,
    hub: { version: input.hubVersion, timeMs: nowMs },
    refreshSeconds: input.refreshSeconds,
    gateways: { total: active.length, online: active.filter((g) => g.connection === 'online').length, items },
    releases,
    budget: budgetSection(input.privacy, input.budgets),
    quarantine: quarantineView(input.quarantineTotal, input.quarantine),
    counters: counterGroups(input.counters),
  };
}
