import { Gauge, type Registry } from 'prom-client';
import type { GatewayRecord } from '../broker/mod.ts';
import { connectionOf, type PrivacyInput, type StorageInput } from './core/status-view.ts';

/**
 * The hub's Prometheus figures at GET /metrics (docs/field-guide.md#metrics), read from the same
 * sources as the technician status page when Prometheus scrapes: gateways by connection state,
 * each gateway's last status (adverts/s, opt-in sightings per window, outbox depth, dropped,
 * reconnects, clock offset, last seen), the ingest counters, the quarantine, the database's
 * state, the releases and the upstream sync; the process figures (event-loop lag, memory, CPU,
 * GC) come from prom-client's defaults on the same registry.
 *
 * System figures only (docs/privacy.md §2): nothing per shopper, no count of shoppers, no
 * enrollment or consent figures; the counters of discarded sightings by shopper choice (paused,
 * no consent) are left out. Like the status page, /metrics needs the technician token.
 */

export interface MetricsSources {
  gateways(): readonly GatewayRecord[];
  counters(): Readonly<Record<string, number>>;
  quarantineTotal(): number;
  storage?(): StorageInput;
  privacy?(nowMs: number): PrivacyInput;
  now(): number;
  /** A gateway silent for this long counts as "silent" (as on the page). */
  staleAfterMs: number;
}

/** Counters that describe shoppers' choices rather than the system: not exported. */
const NOT_EXPORTED = new Set(['pausedDiscarded', 'noConsentDiscarded']);
const CONNECTIONS = ['online', 'silent', 'offline', 'revoked', 'unknown'] as const;

type Setter = (labels: Record<string, string>, value: number) => void;

function gauge(registry: Registry, name: string, help: string, labelNames: string[], collect: (set: Setter) => void) {
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      collect((labels, value) => {
        if (Number.isFinite(value)) this.set(labels, value);
      });
    },
  });
}

export function registerHubMetrics(registry: Registry, sources: MetricsSources): void {
  const statusOf = (g: GatewayRecord) => g.lastStatus;
  gauge(registry, 'hub_gateways', 'Registered gateways by connection state', ['state'], (set) => {
    const now = sources.now();
    const counts = new Map<string, number>(CONNECTIONS.map((c) => [c, 0]));
    for (const g of sources.gateways()) {
      const c = connectionOf(g, now, sources.staleAfterMs);
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    for (const [state, n] of counts) set({ state }, n);
  });
  const perGateway = (name: string, help: string, value: (g: GatewayRecord) => number | null | undefined) =>
    gauge(registry, name, help, ['gateway', 'zone'], (set) => {
      for (const g of sources.gateways()) {
        if (g.revokedMs !== null) continue;
        const v = value(g);
        if (v !== null && v !== undefined) set({ gateway: g.id, zone: g.zone }, v);
      }
    });
  perGateway(
    'hub_gateway_adverts_per_second',
    'BLE adverts heard per second (all devices), last status',
    (g) => statusOf(g)?.advertsPerSecond,
  );
  perGateway(
    'hub_gateway_opt_in_sightings_per_window',
    'Opt-in EID sightings per window, last status',
    (g) => statusOf(g)?.optInSightingsPerWindow,
  );
  perGateway(
    'hub_gateway_outbox_depth',
    'Presence batches waiting in the outbox, last status',
    (g) => statusOf(g)?.outboxDepth,
  );
  perGateway(
    'hub_gateway_dropped',
    'Sightings dropped by the gateway (window or outbox full), last status',
    (g) => statusOf(g)?.dropped,
  );
  perGateway(
    'hub_gateway_reconnects',
    'Reconnections to the hub since the gateway started, last status',
    (g) => statusOf(g)?.reconnects,
  );
  perGateway('hub_gateway_clock_offset_seconds', "The gateway's clock minus the hub's, last status", (g) => {
    const ms = statusOf(g)?.clockOffsetMs;
    return ms === null || ms === undefined ? null : ms / 1000;
  });
  perGateway('hub_gateway_last_seen_timestamp_seconds', 'When the hub last heard from the gateway (Unix s)', (g) => {
    const times = [g.lastStatusMs, g.lastBatchMs].filter((t): t is number => t !== null);
    return times.length === 0 ? null : Math.max(...times) / 1000;
  });
  gauge(
    registry,
    'hub_ingest_total',
    'Ingest counters since the database was created (batches, sightings, refusals, …)',
    ['counter'],
    (set) => {
      for (const [counter, value] of Object.entries(sources.counters()))
        if (!NOT_EXPORTED.has(counter)) set({ counter }, value);
    },
  );
  gauge(registry, 'hub_quarantined_payloads', 'Gateway payloads kept in quarantine', [], (set) =>
    set({}, sources.quarantineTotal()),
  );
  if (sources.storage !== undefined) {
    const storage = sources.storage;
    gauge(registry, 'hub_storage_ok', '1 while the database accepts data, 0 when full or failing', [], (set) =>
      set({}, storage().state === 'ok' ? 1 : 0),
    );
    gauge(
      registry,
      'hub_storage_refused_messages',
      'Gateway messages refused since start because storage failed',
      [],
      (set) => set({}, storage().refused),
    );
  }
  if (sources.privacy !== undefined) registerReleaseMetrics(registry, sources.privacy, sources.now);
}

function registerReleaseMetrics(registry: Registry, privacy: (nowMs: number) => PrivacyInput, now: () => number): void {
  // One read of the privacy status per scrape, shared by the gauges below.
  let cached: { at: number; value: PrivacyInput } | null = null;
  const read = (): PrivacyInput => {
    const t = now();
    if (cached === null || cached.at !== t) cached = { at: t, value: privacy(t) };
    return cached.value;
  };
  gauge(registry, 'hub_releases', 'DP releases computed, by kind', ['kind'], (set) => {
    for (const r of read().releases) set({ kind: r.kind }, r.releases);
  });
  gauge(
    registry,
    'hub_release_last_computed_timestamp_seconds',
    'When the last release of a kind was computed',
    ['kind'],
    (set) => {
      for (const r of read().releases) if (r.lastComputedMs !== null) set({ kind: r.kind }, r.lastComputedMs / 1000);
    },
  );
  gauge(registry, 'hub_upstream_pending', 'Releases waiting to be sent upstream', [], (set) =>
    set({}, read().upstream.pending),
  );
  gauge(registry, 'hub_upstream_rejected', 'Releases the receiver refused for good', [], (set) =>
    set({}, read().upstream.rejected),
  );
  gauge(registry, 'hub_upstream_down', '1 while upstream is unreachable (the sync backs off)', [], (set) =>
    set({}, read().upstream.down ? 1 : 0),
  );
  gauge(
    registry,
    'hub_upstream_last_sent_timestamp_seconds',
    'When a release was last delivered upstream',
    [],
    (set) => {
      const ms = read().upstream.lastSentMs;
      if (ms !== null) set({}, ms / 1000);
    },
  );
}
