import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInjectedHciSource, loadGatewayConfig, type GatewayConfig } from '../../gateway/mod.ts';
import { createGateway, type Gateway } from '../../gateway/app.ts';
import { ConfigError } from '../../shared/config/load-config.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { silentLogger, type Logger } from '../../shared/ports/logger.ts';
import type { ReportSink } from './sinks.ts';

/**
 * Real gateways fed live by the simulator (`hushpoint sim run --gateways DIR`, the demo): each
 * gateway gets an injected HCI source (noble's real parser behind a virtual HCI socket) and the
 * simulated clock, so its windows close on simulated time; `sink` routes every report to the
 * gateway it was heard by. Reports for gateways that are not running are counted and dropped.
 */

/** A clock that reads simulated time from whatever is driving it (a LiveRun's simulatedNow). */
export interface SimulatedClock extends Clock {
  follow(source: () => number): void;
}

export function simulatedClock(startMs: number): SimulatedClock {
  let source: () => number = () => startMs;
  return {
    now: () => source(),
    follow: (next) => {
      source = next;
    },
  };
}

export interface GatewaySetup {
  config: GatewayConfig;
  resolvePath: (path: string) => string;
}

export interface LiveGateway {
  id: string;
  gateway: Gateway;
  inject(tMs: number, hci: Uint8Array): boolean;
}

export interface LiveGatewaySet {
  readonly gateways: readonly LiveGateway[];
  readonly sink: ReportSink;
  start(): Promise<void>;
  /** Closes every window that has ended on the simulated clock and waits (bounded) until the hub has them all. */
  drain(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
  counts(): { injected: number; refused: number; unrouted: number };
}

export function createLiveGateways(
  setups: readonly GatewaySetup[],
  options: { clock: Clock; logger?: Logger },
): LiveGatewaySet {
  const logger = options.logger ?? silentLogger();
  const gateways: LiveGateway[] = setups.map(({ config, resolvePath }) => {
    const { source, inject } = createInjectedHciSource({
      logger: logger.child({ component: 'ble', gateway: config.gateway }),
      label: `sim:${config.gateway}`,
    });
    const gateway = createGateway({
      config,
      resolvePath,
      ble: source,
      clock: options.clock,
      logger: logger.child({ gateway: config.gateway }),
      leds: null,
    });
    return { id: config.gateway, gateway, inject };
  });
  const byId = new Map(gateways.map((g) => [g.id, g]));
  const counts = { injected: 0, refused: 0, unrouted: 0 };
  return {
    gateways,
    sink(gatewayId, tMs, hci) {
      const target = byId.get(gatewayId);
      if (target === undefined) counts.unrouted++;
      else if (target.inject(tMs, hci)) counts.injected++;
      else counts.refused++;
    },
    async start() {
      await Promise.all(gateways.map((g) => g.gateway.start()));
    },
    async drain(timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        for (const g of gateways) g.gateway.tick();
        if (gateways.every((g) => g.gateway.stats().outboxDepth === 0)) return true;
        if (Date.now() >= until) return false;
        await new Promise((done) => setTimeout(done, 50));
      }
    },
    async stop() {
      await Promise.all(gateways.map((g) => g.gateway.stop()));
    },
    counts: () => ({ ...counts }),
  };
}

/**
 * Finds a gateway config for each store gateway in `dir`: `{id}.yaml`, or a provisioning bundle
 * `{id}/gateway.yaml`. Each config must name that gateway. Outboxes are moved into `stateDir`
 * (a bundle's outbox path is the Pi's /var/lib/hushpoint); the BLE source is the simulator.
 */
export function findGatewayConfigs(
  dir: string,
  ids: readonly string[],
  stateDir: string,
): { setups: GatewaySetup[]; missing: string[] } {
  const setups: GatewaySetup[] = [];
  const missing: string[] = [];
  for (const id of ids) {
    const file = [join(dir, `${id}.yaml`), join(dir, id, 'gateway.yaml')].find((f) => existsSync(f));
    if (file === undefined) {
      missing.push(id);
      continue;
    }
    const loaded = loadGatewayConfig(file);
    if (loaded.config.gateway !== id) {
      throw new ConfigError(file, [
        {
          path: '/gateway',
          message: `is "${loaded.config.gateway}", expected "${id}" (the store gateway this file is named for)`,
        },
      ]);
    }
    const base = dirname(resolve(file));
    setups.push({
      config: { ...loaded.config, outbox: { ...loaded.config.outbox, path: join(stateDir, `${id}-outbox.db`) } },
      resolvePath: (path) => resolve(base, path),
    });
  }
  return { setups, missing };
}
