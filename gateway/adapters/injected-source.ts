import { silentLogger, type Logger } from '../../shared/ports/logger.ts';
import type { BleSource } from '../ports.ts';
import { VirtualHciBleSource } from './virtual-hci-source.ts';

/**
 * A live BLE source fed by the caller — the store simulator and the demo. `inject(tMs, hci)`
 * hands one raw HCI LE Advertising Report event (shared/ble/hci-report.ts) to noble's real
 * parser as if the adapter had just heard it at `tMs`. Adverts injected while the gateway is
 * not scanning (before start, during a watchdog rescan, after stop) are dropped and `inject`
 * returns false. The gateway closes windows on its own clock: give it the same clock whose
 * time the injected `tMs` values follow (a FakeClock for compressed simulated time).
 */
export interface InjectedHciSource {
  source: BleSource;
  inject(tMs: number, hciEvent: Uint8Array): boolean;
}

export function createInjectedHciSource(options: { logger?: Logger; label?: string } = {}): InjectedHciSource {
  const source = new VirtualHciBleSource({
    kind: 'injected',
    logger: options.logger ?? silentLogger(),
    label: options.label ?? 'injected',
  });
  return { source, inject: (tMs, hciEvent) => source.deliver(tMs, hciEvent) };
}
