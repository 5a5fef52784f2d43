import { PROTOCOL_VERSION } from '../../shared/protocol/topics.ts';
import type { GatewayStatus } from '../../shared/protocol/messages.ts';

/**
 * The retained status payload (docs/architecture.md#wire-protocol): the heartbeat's counters and the rates since the
 * previous heartbeat. Pure: the caller samples the counters and the time.
 */

export type AdapterState = NonNullable<GatewayStatus['adapterState']>;

export interface StatusCounters {
  /** Every advertising report heard since start, opt-in or not. */
  advertsTotal: number;
  windowsClosed: number;
  /** Sightings in all windows closed since start. */
  sightingsTotal: number;
  outboxDepth: number;
  /** Windows the outbox dropped (age or size bound), over the outbox's whole life. */
  outboxDropped: number;
  adapterState: AdapterState;
  resets: number;
  reconnects: number;
  clockOffsetMs: number | null;
  rssBytes: number;
}

/** What the rates are measured against: the previous heartbeat. */
export interface HeartbeatMark {
  atMs: number;
  advertsTotal: number;
  windowsClosed: number;
  sightingsTotal: number;
  sightingsPerWindow: number;
}

export interface StatusIdentity {
  gateway: string;
  zone: string;
  version: string;
  startedMs: number;
}

export function initialMark(nowMs: number): HeartbeatMark {
  return { atMs: nowMs, advertsTotal: 0, windowsClosed: 0, sightingsTotal: 0, sightingsPerWindow: 0 };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

export function onlineStatus(
  identity: StatusIdentity,
  counters: StatusCounters,
  previous: HeartbeatMark,
  nowMs: number,
): { status: GatewayStatus; mark: HeartbeatMark } {
  const seconds = (nowMs - previous.atMs) / 1000;
  const advertsPerSecond =
    seconds > 0 ? round1(Math.max(0, counters.advertsTotal - previous.advertsTotal) / seconds) : 0;
  const windows = counters.windowsClosed - previous.windowsClosed;
  const sightingsPerWindow =
    windows > 0 ? round1((counters.sightingsTotal - previous.sightingsTotal) / windows) : previous.sightingsPerWindow;
  const status: GatewayStatus = {
    v: PROTOCOL_VERSION,
    gateway: identity.gateway,
    state: 'online',
    zone: identity.zone,
    version: identity.version,
    at: Math.floor(nowMs / 1000),
    uptimeSeconds: Math.max(0, Math.floor((nowMs - identity.startedMs) / 1000)),
    advertsPerSecond,
    optInSightingsPerWindow: sightingsPerWindow,
    outboxDepth: counters.outboxDepth,
    dropped: counters.outboxDropped,
    adapterState: counters.adapterState,
    resets: counters.resets,
    reconnects: counters.reconnects,
    clockOffsetMs: counters.clockOffsetMs === null ? null : Math.round(counters.clockOffsetMs),
    rssMb: round1(counters.rssBytes / (1024 * 1024)),
  };
  const mark: HeartbeatMark = {
    atMs: nowMs,
    advertsTotal: counters.advertsTotal,
    windowsClosed: counters.windowsClosed,
    sightingsTotal: counters.sightingsTotal,
    sightingsPerWindow,
  };
  return { status, mark };
}

/** The last will (set at connect, so it carries no time) and the graceful goodbye. */
export function offlineStatus(identity: StatusIdentity, nowMs?: number): GatewayStatus {
  const status: GatewayStatus = {
    v: PROTOCOL_VERSION,
    gateway: identity.gateway,
    state: 'offline',
    zone: identity.zone,
    version: identity.version,
  };
  if (nowMs !== undefined) {
    status.at = Math.floor(nowMs / 1000);
    status.uptimeSeconds = Math.max(0, Math.floor((nowMs - identity.startedMs) / 1000));
  }
  return status;
}
