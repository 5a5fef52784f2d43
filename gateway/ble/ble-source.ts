import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { GatewayConfig } from '../config.schema.ts';
import { NobleSource } from '../adapters/noble-source.ts';
import { ReplaySource } from '../adapters/replay-source.ts';
import type { BleSource } from '../ports.ts';

/** The BLE source a config asks for: the real adapter (`noble`) or a trace (`replay:FILE`). */
export function bleSourceFromConfig(
  config: GatewayConfig,
  options: { resolvePath: (path: string) => string; clock: Clock; logger: Logger },
): BleSource {
  if (config.ble.source === 'noble')
    return new NobleSource({ adapterIndex: config.ble.adapterIndex, clock: options.clock, logger: options.logger });
  const file = options.resolvePath(config.ble.source.slice('replay:'.length));
  return new ReplaySource({ file, speed: config.ble.replaySpeed, clock: options.clock, logger: options.logger });
}
