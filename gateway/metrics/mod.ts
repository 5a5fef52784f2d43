/** The gateway's optional Prometheus endpoint (docs/field-guide.md#metrics). */
export { createMetricsServer, type MetricsServer, type MetricsServerDeps } from './metrics-server.ts';
