import type { Clock } from '../shared/ports/clock.ts';
import type { AdapterState } from './core/status-report.ts';
import type { LedPattern } from './core/led-state.ts';

/** Ports of the gateway (docs/architecture.md#conventions): the app talks to BLE and LEDs only through these. */

/** Where a BLE source sends what it hears. Both are called synchronously from the BLE callback. */
export interface BleSink {
  /** Every advertising report heard, opt-in or not (adverts/s and the watchdog). */
  advert(tMs: number): void;
  /** An opt-in frame that passed the filter: only its EID and RSSI leave the callback. */
  sighting(eid: string, rssi: number, tMs: number): void;
}

export type BleSourceKind = 'noble' | 'replay' | 'injected';

export interface BleSource {
  readonly kind: BleSourceKind;
  /** Opens the adapter and starts scanning (duplicates allowed). */
  start(sink: BleSink): Promise<void>;
  restartScan(): Promise<void>;
  resetAdapter(): Promise<void>;
  stop(): Promise<void>;
  adapterState(): AdapterState;
  scanning(): boolean;
  /** The BLE timeline when it is not the gateway's clock (a replay runs on trace time). */
  readonly clock?: Clock;
  /** Settles when a finite source (a replay) has delivered its last advert. */
  readonly finished?: Promise<void>;
  /** Entries in noble's per-address caches (bounded; see docs/gateway.md). */
  cacheEntries(): number;
}

export interface StatusLeds {
  apply(pattern: LedPattern): void;
  /** The identify button. */
  onButton(handler: () => void): void;
  close(): Promise<void>;
}
