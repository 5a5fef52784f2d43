import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../shared/ports/logger.ts';
import type { GatewayStatus } from '../../shared/protocol/messages.ts';
import type { GatewayStats } from '../gateway-stats.ts';

/**
 * The gateway's Prometheus figures (docs/field-guide.md#metrics), off by default: GET /metrics
 * on a local port (`metrics.host`, default 127.0.0.1; a technician or a node exporter on the Pi
 * scrapes it). prom-client is loaded only when the endpoint is enabled, so a Pi that does not
 * use it pays nothing in memory. Figures: adverts heard (all devices), opt-in adverts, windows,
 * sightings, the outbox (depth, dropped), the hub link (connected, reconnects), the adapter,
 * scan restarts and resets, the clock offset, and the rates of the last heartbeat; the process
 * figures (event-loop lag, memory, CPU, GC) with the gateway_ prefix. System figures only: no
 * EID, no address, nothing per device.
 */

export interface MetricsServerDeps {
  host: string;
  port: number;
  stats: () => GatewayStats;
  status: () => GatewayStatus;
  logger: Logger;
}

export interface MetricsServer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Where it listens, once started. */
  address(): { host: string; port: number } | null;
}

async function buildRegistry(deps: MetricsServerDeps) {
  const { Counter, Gauge, Registry, collectDefaultMetrics } = await import('prom-client');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gateway_' });
  const counter = (name: string, help: string, read: (s: GatewayStats) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(deps.stats()));
      },
    });
  const gauge = (name: string, help: string, read: () => number | null | undefined) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        const v = read();
        if (v !== null && v !== undefined && Number.isFinite(v)) this.set(v);
      },
    });
  counter('gateway_adverts_total', 'BLE advertising reports heard (every device)', (s) => s.adverts);
  counter('gateway_opt_in_adverts_total', 'Opt-in frames that passed the filter', (s) => s.optInAdverts);
  counter('gateway_windows_closed_total', 'Windows closed and stored in the outbox', (s) => s.windowsClosed);
  counter('gateway_outbox_dropped_total', 'Batches dropped from the outbox at its bounds', (s) => s.outboxDropped);
  counter('gateway_acked_total', 'Batches the hub acknowledged', (s) => s.acked);
  counter('gateway_reconnects_total', 'Reconnections to the hub', (s) => s.reconnects);
  counter('gateway_scan_restarts_total', 'BLE scans restarted by the watchdog or a command', (s) => s.scanRestarts);
  counter('gateway_adapter_resets_total', 'Bluetooth adapter resets', (s) => s.resets);
  gauge('gateway_outbox_depth', 'Batches waiting in the outbox', () => deps.stats().outboxDepth);
  gauge('gateway_outbox_bytes', 'Bytes of the outbox', () => deps.stats().outboxBytes);
  gauge('gateway_in_flight', 'Batches sent and not yet acknowledged', () => deps.stats().inFlight);
  gauge('gateway_hub_connected', '1 while connected to the hub', () => (deps.stats().hubConnected ? 1 : 0));
  gauge('gateway_scanning', '1 while the BLE source scans', () => (deps.stats().scanning ? 1 : 0));
  gauge('gateway_adapter_powered_on', '1 while the adapter is powered on (or a replay runs)', () =>
    ['poweredOn', 'replay'].includes(deps.stats().adapterState) ? 1 : 0,
  );
  gauge('gateway_clock_offset_seconds', "This gateway's clock minus the hub's", () => {
    const ms = deps.stats().clockOffsetMs;
    return ms === null ? null : ms / 1000;
  });
  gauge(
    'gateway_adverts_per_second',
    'Adverts per second over the last heartbeat interval',
    () => deps.status().advertsPerSecond,
  );
  gauge(
    'gateway_opt_in_sightings_per_window',
    'Opt-in EIDs per closed window over the last heartbeat interval',
    () => deps.status().optInSightingsPerWindow,
  );
  return registry;
}

export function createMetricsServer(deps: MetricsServerDeps): MetricsServer {
  let server: Server | null = null;
  let address: { host: string; port: number } | null = null;
  return {
    async start() {
      if (server !== null) return;
      const registry = await buildRegistry(deps);
      const s = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (req.method !== 'GET' || path !== '/metrics') {
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('Only GET /metrics is served here\n');
          return;
        }
        registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
            res.end(text);
          },
          (error: unknown) => {
            deps.logger.warn({ detail: (error as Error).message }, 'metrics failed');
            res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
            res.end('metrics failed; see the gateway log\n');
          },
        );
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(deps.port, deps.host, () => {
          s.off('error', reject);
          resolve();
        });
      });
      server = s;
      address = { host: deps.host, port: (s.address() as AddressInfo).port };
      deps.logger.info(address, 'metrics listening');
    },
    async stop() {
      const s = server;
      server = null;
      address = null;
      if (s === null) return;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
    address: () => address,
  };
}
