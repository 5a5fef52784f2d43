import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { AdapterState } from '../core/status-report.ts';
import type { BleSink, BleSource } from '../ports.ts';
import { loadSystemNoble } from './noble-loader.ts';
import { NobleScanner } from './noble-scanner.ts';

/** `ble.source: noble` — the Pi's own adapter (hci{adapterIndex}), opened at start. */
export class NobleSource implements BleSource {
  readonly kind = 'noble' as const;
  readonly #adapterIndex: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #scanner: NobleScanner | undefined;

  constructor(options: { adapterIndex: number; clock: Clock; logger: Logger }) {
    this.#adapterIndex = options.adapterIndex;
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  async start(sink: BleSink): Promise<void> {
    const loaded = loadSystemNoble(this.#adapterIndex);
    this.#scanner = new NobleScanner({
      loaded,
      now: () => this.#clock.now(),
      logger: this.#logger,
      label: `hci${this.#adapterIndex}`,
    });
    await this.#scanner.start(sink);
  }

  async restartScan(): Promise<void> {
    await this.#scanner?.restartScan();
  }

  async resetAdapter(): Promise<void> {
    await this.#scanner?.resetAdapter();
  }

  async stop(): Promise<void> {
    await this.#scanner?.stop();
  }

  adapterState(): AdapterState {
    return this.#scanner?.adapterState() ?? 'unknown';
  }

  scanning(): boolean {
    return this.#scanner?.scanning() ?? false;
  }

  cacheEntries(): number {
    return this.#scanner?.cacheEntries() ?? 0;
  }
}
