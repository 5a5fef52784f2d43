import type { GatewayStatus } from '../../../shared/protocol/messages.ts';
import { payloadExcerpt } from './payload-excerpt.ts';

/**
 * The technician status view: what `GET /v1/technician/status` returns and the page shows.
 * Pure: the caller reads the registry, counters, quarantine and the feature providers, and
 * passes `nowMs` (the hub clock). Everything here is a system figure (devices, releases,
 * the budget plan from the config) or a released DP figure with its 95% interval: no shopper
 * identity and no exact shopper count appears in it (docs/privacy.md §1).
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

/** The latest release of a kind, as released: noisy values with their 95% half-width. */
export interface LatestReleaseInput {
  readonly window: string;
  readonly metric: string;
  readonly halfWidth95: number;
  readonly cells: readonly { readonly cell: string; readonly value: number }[];
}

/** The budget plan (hub/privacy core/plan.ts): costs from the config, no data. */
export interface PlanInput {
  readonly periodUnit: string;
  readonly periodCap: number;
  readonly yearRho: number;
  readonly periodEpsilon: number;
  readonly yearEpsilon: number;
  readonly delta: number;
  readonly dailyShopperRho: number;
  readonly dailyShopperStaysIn: boolean;
  readonly releases: readonly {
    readonly kind: string;
    readonly window: string;
    readonly rho: number;
    readonly windowsPerPeriod: number;
    readonly rhoPerPeriod: number;
    readonly halfWidth95: number | null;
  }[];
}

/** What the privacy feature reports (hub/privacy: ReleaseService.status(nowMs)). */
export interface PrivacyInput {
  readonly enabled: boolean;
  readonly timeZone: string;
  /** The current budget period ("2026-Q4"). */
  readonly period: string;
  readonly releases: readonly {
    readonly kind: string;
    readonly releases: number;
    readonly lastPeriodEndMs: number | null;
    readonly lastComputedMs: number | null;
    readonly latest?: LatestReleaseInput | null;
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
  readonly plan: PlanInput;
}

/** The offers' budget from their config (ε per period and per offer class), no data. */
export interface OffersPlanInput {
  readonly periodEpsilon: number;
  readonly epsilonPerOffer: Readonly<Record<string, number>>;
}

/** A feature's section: not wired into this hub, wired but its provider failed, or its data. */
export type Section<T> =
  { configured: false; reason: string } | { configured: true; error: string } | ({ configured: true; error: null } & T);

export interface ReleasesView {
  enabled: boolean;
  timeZone: string;
  period: string;
  kinds: Array<{
    kind: string;
    releases: number;
    lastPeriodEndMs: number | null;
    lastComputedMs: number | null;
    latest: LatestReleaseInput | null;
  }>;
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
  /** The budget plan; `problems`: providers that failed while others answered. */
  plan: Section<{
    analytics: (PlanInput & { period: string }) | null;
    offers: OffersPlanInput | null;
    problems: string[];
  }>;
  quarantine: QuarantineView;
  /** Whether the hub's database accepts data (null: not wired). */
  storage: StorageInput | null;
  counters: CounterGroup[];
}

/** The ingest's view of the database (hub/presence StorageHealth). */
export interface StorageInput {
  state: 'ok' | 'full' | 'failing';
  sinceMs: number | null;
  lastError: string | null;
  refused: number;
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
  /** The offers' budget plan; null when offers are not wired. */
  offersPlan: OffersPlanInput | Error | null;
  storage: StorageInput | null;
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

export function releasesView(privacy: PrivacyInput): ReleasesView {
  const u = privacy.upstream;
  return {
    enabled: privacy.enabled,
    timeZone: privacy.timeZone,
    period: privacy.period,
    kinds: privacy.releases.map((r) => ({
      kind: r.kind,
      releases: r.releases,
      lastPeriodEndMs: r.lastPeriodEndMs,
      lastComputedMs: r.lastComputedMs,
      latest: r.latest ?? null,
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

function planSection(privacy: StatusInput['privacy'], offers: StatusInput['offersPlan']): StatusView['plan'] {
  if (privacy === null && offers === null) return { configured: false, reason: NOT_WIRED };
  const problems: string[] = [];
  if (privacy instanceof Error) problems.push(`privacy: ${privacy.message}`);
  if (offers instanceof Error) problems.push(`offers: ${offers.message}`);
  const analytics = privacy === null || privacy instanceof Error ? null : { ...privacy.plan, period: privacy.period };
  const offersPlan = offers === null || offers instanceof Error ? null : offers;
  if (analytics === null && offersPlan === null && problems.length > 0)
    return { configured: true, error: problems.join('; ') };
  return { configured: true, error: null, analytics, offers: offersPlan, problems };
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
    items: [['windowsFinalized', 'Windows finalised']],
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
    plan: planSection(input.privacy, input.offersPlan),
    quarantine: quarantineView(input.quarantineTotal, input.quarantine),
    storage: input.storage,
    counters: counterGroups(input.counters),
  };
}
