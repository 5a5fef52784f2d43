import type { Clock } from '../../shared/ports/clock.ts';
import type { GatewayCounters } from '../gateway-stats.ts';
import type { BleSink } from '../ports.ts';

/**
 * Where the BLE source's callback lands. Every report heard is counted (adverts/s in the
 * heartbeat) and restarts the watchdog's silence clock; an opt-in sighting — only its EID and
 * RSSI: the source's opt-in filter has already dropped everything else — goes to the open
 * window. Both run synchronously in the BLE callback.
 */
export interface BleIntake {
  readonly sink: BleSink;
  /** Wall time of the last report heard, or of the last scan start. */
  lastAdvertMs(): number;
  /** The scan has just (re)started: the silence clock starts again now. */
  restartSilenceClock(): void;
}

export interface BleIntakeDeps {
  clock: Clock;
  counters: GatewayCounters;
  /** An opt-in sighting at `tMs` on the window clock. */
  sighting(eid: string, rssi: number, tMs: number): void;
}

export function createBleIntake(deps: BleIntakeDeps): BleIntake {
  const { clock, counters } = deps;
  let lastAdvertWallMs = clock.now();
  return {
    sink: {
      advert() {
        counters.adverts++;
        lastAdvertWallMs = clock.now();
      },
      sighting(eid, rssi, tMs) {
        counters.optInAdverts++;
        deps.sighting(eid, rssi, tMs);
      },
    },
    lastAdvertMs: () => lastAdvertWallMs,
    restartSilenceClock() {
      lastAdvertWallMs = clock.now();
    },
  };
}
