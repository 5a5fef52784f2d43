import type { Logger } from '../../shared/ports/logger.ts';
import type { AdapterState } from '../core/status-report.ts';
import type { BleSink, BleSource, BleSourceKind } from '../ports.ts';
import type { VirtualHciSocket } from './virtual-hci-socket.ts';
import { loadVirtualHciNoble } from './noble-loader.ts';
import { NobleScanner } from './noble-scanner.ts';

/**
 * A BLE source whose adverts are raw HCI LE Advertising Report events handed to noble's real
 * parser through a virtual HCI socket. The replay source and the injected (simulator) source are
 * built on it. Each instance has its own noble and socket.
 */
export class VirtualHciBleSource implements BleSource {
  readonly kind: BleSourceKind;
  readonly #scanner: NobleScanner;
  readonly #socket: VirtualHciSocket;
  #currentMs = 0;

  constructor(options: { kind: BleSourceKind; logger: Logger; label: string }) {
    this.kind = options.kind;
    const loaded = loadVirtualHciNoble();
    if (loaded.virtualSocket === undefined) throw new Error('loadVirtualHciNoble returned no virtual socket');
    this.#socket = loaded.virtualSocket;
    this.#scanner = new NobleScanner({
      loaded,
      now: () => this.#currentMs,
      logger: options.logger,
      label: options.label,
    });
  }

  /** Parses one HCI event heard at `tMs`; false when the adapter is not scanning (dropped, as on air). */
  deliver(tMs: number, hciEvent: Uint8Array): boolean {
    this.#currentMs = tMs;
    const bytes = Buffer.isBuffer(hciEvent)
      ? hciEvent
      : Buffer.from(hciEvent.buffer, hciEvent.byteOffset, hciEvent.length);
    return this.#socket.deliver(bytes);
  }

  start(sink: BleSink): Promise<void> {
    return this.#scanner.start(sink);
  }

  restartScan(): Promise<void> {
    return this.#scanner.restartScan();
  }

  resetAdapter(): Promise<void> {
    return this.#scanner.resetAdapter();
  }

  stop(): Promise<void> {
    return this.#scanner.stop();
  }

  adapterState(): AdapterState {
    return this.#scanner.adapterState();
  }

  scanning(): boolean {
    return this.#scanner.scanning();
  }

  cacheEntries(): number {
    return this.#scanner.cacheEntries();
  }
}
