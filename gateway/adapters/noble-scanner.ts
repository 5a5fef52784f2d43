import type { Logger } from '../../shared/ports/logger.ts';
import { AppError } from '../../shared/errors.ts';
import { optInEid } from '../core/opt-in-filter.ts';
import type { AdapterState } from '../core/status-report.ts';
import type { BleSink } from '../ports.ts';
import type { LoadedNoble, NoblePeripheral } from './noble-loader.ts';

/**
 * Scanning through noble (real adapter or virtual HCI socket): duplicates allowed, the opt-in
 * filter inside the discover callback, and noble's per-address caches kept bounded.
 *
 * noble remembers every address it hears (a Peripheral per address, plus the advertisement
 * gap.js keeps to merge scan responses). On a shop floor full of phones with rotating random
 * addresses — or under a flood — that grows without bound and keeps MAC addresses in memory.
 * So each discovered peripheral is forgotten as soon as the callback returns (a non-connectable
 * advertiser's gap.js entry too: noble reports those at once and never merges a scan response
 * into them), and the rest of gap.js's table is swept generationally: an entry not refreshed
 * since the previous sweep is deleted (every SWEEP_REPORTS reports or SWEEP_MS, whichever
 * comes first). The address is read only to delete these entries.
 */

const SWEEP_REPORTS = 2048;
const SWEEP_MS = 10_000;
const START_TIMEOUT_MS = 10_000;
const STEP_TIMEOUT_MS = 5_000;
const NOBLE_STATES: readonly string[] = [
  'poweredOn',
  'poweredOff',
  'resetting',
  'unauthorized',
  'unsupported',
  'unknown',
];

/** Removes anything shaped like a Bluetooth address from free text from noble before it is logged. */
export function scrubAddresses(text: string): string {
  return text.replace(/\b[0-9a-f]{2}([:-]?)(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}\b/gi, '[address]');
}

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError('BLE_ADAPTER_UNAVAILABLE', `${what} did not complete within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

export interface NobleScannerOptions {
  loaded: LoadedNoble;
  /** The time of the advert being parsed: the clock for a live adapter, the feeder's time for a virtual socket. */
  now: () => number;
  logger: Logger;
  label: string;
}

export class NobleScanner {
  readonly #loaded: LoadedNoble;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #label: string;
  #sink: BleSink | undefined;
  #reportsSinceSweep = 0;
  #lastSweepMs = 0;
  #stale = new WeakSet<object>();
  #cacheEntries = 0;
  #stopped = false;

  constructor(options: NobleScannerOptions) {
    this.#loaded = options.loaded;
    this.#now = options.now;
    this.#log = options.logger;
    this.#label = options.label;
  }

  async start(sink: BleSink): Promise<void> {
    this.#sink = sink;
    const { noble, hci } = this.#loaded;
    noble.on('warning', this.#onWarning);
    hci.on('leAdvertisingReport', this.#onReport);
    // Bluetooth 5 controllers (and Android captures of them) report adverts as extended reports.
    hci.on('leExtendedAdvertisingReport', this.#onReport);
    noble.on('discover', this.#onDiscover);
    await timeout(this.#poweredOn(), START_TIMEOUT_MS, `${this.#label}: waiting for the adapter to power on`);
    await this.#startScanning();
  }

  async restartScan(): Promise<void> {
    if (this.#stopped) return;
    await this.#stopScanning();
    await this.#startScanning();
  }

  async resetAdapter(): Promise<void> {
    if (this.#stopped) return;
    const { noble, hci } = this.#loaded;
    const done = new Promise<void>((resolve) => hci.once('readLocalVersion', () => resolve()));
    noble.reset();
    await timeout(done, STEP_TIMEOUT_MS, `${this.#label}: adapter reset`);
    await this.restartScan();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const { noble, hci, virtualSocket } = this.#loaded;
    hci.removeListener('leAdvertisingReport', this.#onReport);
    hci.removeListener('leExtendedAdvertisingReport', this.#onReport);
    noble.removeListener('discover', this.#onDiscover);
    await this.#stopScanning().catch(() => undefined);
    noble.removeListener('warning', this.#onWarning);
    hci.pollIsDevUp = () => undefined;
    if (virtualSocket !== undefined) {
      virtualSocket.close();
    } else {
      try {
        (hci._socket as { stop?: () => void }).stop?.();
      } catch {
        // the socket is going away with the process
      }
    }
    this.#loaded.bindings._gap._discoveries = {};
    this.#sink = undefined;
  }

  adapterState(): AdapterState {
    const state = this.#loaded.noble.state;
    return (NOBLE_STATES.includes(state) ? state : 'unknown') as AdapterState;
  }

  scanning(): boolean {
    const socket = this.#loaded.virtualSocket;
    if (socket !== undefined) return socket.scanning;
    return !this.#stopped && this.#loaded.noble.state === 'poweredOn';
  }

  cacheEntries(): number {
    return this.#cacheEntries;
  }

  #poweredOn(): Promise<void> {
    const { noble } = this.#loaded;
    if (noble.state === 'poweredOn') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onState = (state: string): void => {
        if (state === 'poweredOn') {
          noble.removeListener('stateChange', onState);
          resolve();
        } else if (state === 'unsupported' || state === 'unauthorized') {
          noble.removeListener('stateChange', onState);
          reject(
            new AppError(
              'BLE_ADAPTER_UNAVAILABLE',
              `${this.#label}: the adapter is ${state}; expected a BLE adapter that node may open (cap_net_raw,cap_net_admin)`,
            ),
          );
        }
      };
      noble.on('stateChange', onState);
    });
  }

  #startScanning(): Promise<void> {
    const { noble } = this.#loaded;
    const started = new Promise<void>((resolve, reject) => {
      noble.startScanning([], true, (error) =>
        error
          ? reject(new AppError('BLE_ADAPTER_UNAVAILABLE', `${this.#label}: ${error.message}`, { cause: error }))
          : resolve(),
      );
    });
    return timeout(started, STEP_TIMEOUT_MS, `${this.#label}: start scanning`);
  }

  #stopScanning(): Promise<void> {
    const { noble } = this.#loaded;
    const stopped = new Promise<void>((resolve) => noble.stopScanning(() => resolve()));
    return timeout(stopped, STEP_TIMEOUT_MS, `${this.#label}: stop scanning`);
  }

  readonly #onWarning = (message: unknown): void => {
    this.#log.warn({ source: this.#label, detail: scrubAddresses(String(message)) }, 'noble warning');
  };

  /** Every raw report, after noble has parsed it (gap.js listens first). */
  readonly #onReport = (): void => {
    const now = this.#now();
    this.#sink?.advert(now);
    if (++this.#reportsSinceSweep >= SWEEP_REPORTS || now - this.#lastSweepMs >= SWEEP_MS) this.#sweep(now);
  };

  /** The opt-in filter: only an EID and an RSSI leave this callback; the peripheral is forgotten. */
  readonly #onDiscover = (peripheral: NoblePeripheral): void => {
    const eid = optInEid(peripheral.advertisement);
    if (eid !== null) this.#sink?.sighting(eid, peripheral.rssi, this.#now());
    this.#forget(peripheral);
  };

  #forget(peripheral: NoblePeripheral): void {
    const { noble, bindings } = this.#loaded;
    const uuid = peripheral.uuid;
    if (!peripheral.connectable) delete bindings._gap._discoveries[peripheral.address];
    delete noble._peripherals[uuid];
    delete noble._services[uuid];
    delete noble._characteristics[uuid];
    delete noble._descriptors[uuid];
    delete noble._discoveredPeripheralUUids[uuid];
    delete bindings._addresses[uuid];
    delete bindings._addresseTypes[uuid];
    delete bindings._connectable[uuid];
    delete bindings.scannable[uuid];
  }

  #sweep(now: number): void {
    const discoveries = this.#loaded.bindings._gap._discoveries;
    let kept = 0;
    for (const address in discoveries) {
      const entry = discoveries[address] as object;
      if (this.#stale.has(entry)) {
        delete discoveries[address];
      } else {
        this.#stale.add(entry);
        kept++;
      }
    }
    this.#cacheEntries = kept;
    this.#reportsSinceSweep = 0;
    this.#lastSweepMs = now;
  }
}
