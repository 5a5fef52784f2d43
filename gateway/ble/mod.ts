/**
 * The gateway's BLE side (docs/gateway.md): the source a config asks for (the adapter through
 * noble, or a replayed trace), the sink its callback feeds (counts, then the opt-in sightings
 * to the window), the watchdog that restarts a silent scan, and the end of a replay.
 */
export { bleSourceFromConfig } from './ble-source.ts';
export { createBleIntake, type BleIntake, type BleIntakeDeps } from './ble-intake.ts';
export { createBleWatchdog, type BleWatchdog, type BleWatchdogDeps } from './ble-watchdog.ts';
export { createReplayEnd, type ReplayEnd, type ReplayEndHandlers } from './replay-end.ts';
