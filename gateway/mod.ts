/**
 * The gateway's public API (for `hushpoint gateway`, the store simulator and the demo).
 *
 *   (createGateway lives in ./app.ts, the composition root: only entry points import it)
 *   const { source, inject } = createInjectedHciSource();            // live BLE for the simulator
 *   const { config, resolvePath } = loadGatewayConfig('gateway.yaml');
 */
import { loadConfig, type LoadedConfig } from '../shared/config/load-config.ts';
import { gatewayRole, type GatewayConfig } from './config.schema.ts';

export type { GatewayStats } from './gateway-stats.ts';
export { bleSourceFromConfig } from './ble/mod.ts';
export { createInjectedHciSource, type InjectedHciSource } from './adapters/injected-source.ts';
export { ReplaySource, checkTrace, type TraceSummary } from './adapters/replay-source.ts';
export { NoHardwareGpioIo } from './adapters/no-hardware-gpio-io.ts';
export { JohnnyFiveLeds } from './adapters/johnny-five-leds.ts';
export type { BleSink, BleSource, BleSourceKind, StatusLeds } from './ports.ts';
export type { LedPattern, LedMode } from './core/led-state.ts';
export { gatewayRole, GatewayConfigSchema, type GatewayConfig } from './config.schema.ts';

/** Loads and validates a gateway.yaml (throws ConfigError listing every problem). */
export function loadGatewayConfig(file: string): LoadedConfig<GatewayConfig> {
  return loadConfig(gatewayRole, file);
}
