import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * Prometheus figures of one server: the process (CPU, memory, event loop, GC — prom-client's
 * defaults) and its HTTP traffic by route pattern and status. System figures only: a feature adds
 * its own counters (releases received, outbox depth, gateways online) to the same registry, never
 * a figure about a shopper — those leave a store only inside DP releases (docs/privacy.md).
 * One registry per server, not prom-client's global one, so that several servers can live in
 * one process (tests, the demo) without clashing.
 */

export interface HttpMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
}

export function createHttpMetrics(options: { prefix: string }): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: `${options.prefix}_` });
  const requests = new Counter({
    name: `${options.prefix}_http_requests_total`,
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${options.prefix}_http_request_duration_seconds`,
    help: 'Time to answer an HTTP request, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  return { registry, requests, duration };
}
