import type { BleSource } from './ports.ts';
import type { AdapterState } from './core/status-report.ts';

/** What `gateway.stats()` returns (the simulator, the demo, the benchmark and the tests read it). */
export interface GatewayStats {
  running: boolean;
  /** Every advertising report heard (opt-in or not). */
  adverts: number;
  /** Opt-in frames that passed the filter. */
  optInAdverts: number;
  /** Opt-in adverts not counted because a window held maxEids EIDs. */
  overflowAdverts: number;
  /** Opt-in adverts older than the open window. */
  lateAdverts: number;
  windowsClosed: number;
  windowsLost: number;
  lastWindow: { windowStart: number; sightings: number; dropped: number } | null;
  openWindowEids: number;
  nextSeq: number;
  outboxDepth: number;
  outboxBytes: number;
  outboxDropped: number;
  acked: number;
  inFlight: number;
  hubConnected: boolean;
  reconnects: number;
  adapterState: AdapterState;
  scanning: boolean;
  scanRestarts: number;
  resets: number;
  clockOffsetMs: number | null;
  bleCacheEntries: number;
  commands: number;
  rejectedMessages: number;
}

/**
 * The gateway's event counters since it was created: one plain object that each feature
 * increments (its own fields only: the BLE intake the adverts, the window store the windows,
 * the watchdog and the rescan command the restarts, the hub messages and the commands theirs)
 * and that the heartbeat and stats() read.
 */
export interface GatewayCounters {
  adverts: number;
  optInAdverts: number;
  overflowAdverts: number;
  windowsClosed: number;
  windowsLost: number;
  sightingsTotal: number;
  scanRestarts: number;
  resets: number;
  commands: number;
  rejectedMessages: number;
}

export function newCounters(): GatewayCounters {
  return {
    adverts: 0,
    optInAdverts: 0,
    overflowAdverts: 0,
    windowsClosed: 0,
    windowsLost: 0,
    sightingsTotal: 0,
    scanRestarts: 0,
    resets: 0,
    commands: 0,
    rejectedMessages: 0,
  };
}

/** Where stats() reads each figure. */
export interface StatsSources {
  running: boolean;
  counters: Readonly<GatewayCounters>;
  windows: { lastWindow: GatewayStats['lastWindow']; lateAdverts: number; openWindowEids: number };
  outbox: { nextSeq: number; depth: number; bytes: number; droppedTotal: number } | undefined;
  hub: { acked: number; inFlight: number; connected: boolean; reconnects: number };
  ble: BleSource;
  clockOffsetMs: number | null;
}

export function collectStats(sources: StatsSources): GatewayStats {
  const { counters, windows, outbox, hub, ble } = sources;
  return {
    running: sources.running,
    adverts: counters.adverts,
    optInAdverts: counters.optInAdverts,
    overflowAdverts: counters.overflowAdverts,
    lateAdverts: windows.lateAdverts,
    windowsClosed: counters.windowsClosed,
    windowsLost: counters.windowsLost,
    lastWindow: windows.lastWindow,
    openWindowEids: windows.openWindowEids,
    nextSeq: outbox?.nextSeq ?? 0,
    outboxDepth: outbox?.depth ?? 0,
    outboxBytes: outbox?.bytes ?? 0,
    outboxDropped: outbox?.droppedTotal ?? 0,
    acked: hub.acked,
    inFlight: hub.inFlight,
    hubConnected: hub.connected,
    reconnects: hub.reconnects,
    adapterState: ble.adapterState(),
    scanning: ble.scanning(),
    scanRestarts: counters.scanRestarts,
    resets: counters.resets,
    clockOffsetMs: sources.clockOffsetMs,
    bleCacheEntries: ble.cacheEntries(),
    commands: counters.commands,
    rejectedMessages: counters.rejectedMessages,
  };
}
