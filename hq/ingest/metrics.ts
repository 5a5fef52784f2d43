import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * HQ's ingest figures for /metrics: system figures about releases and their transport, never a
 * figure about a shopper (HQ holds none). No per-store label: 10,000 stores would be 10,000 series.
 */
export interface IngestMetrics {
  readonly releases: Counter<'outcome'>;
  readonly quarantined: Counter;
  readonly refusedRequests: Counter<'code'>;
  readonly writeRetries: Counter;
  readonly batchSeconds: Histogram;
  readonly batchReleases: Histogram;
  readonly mqttConnections: Gauge;
}

export function createIngestMetrics(registry: Registry): IngestMetrics {
  const registers = [registry];
  return {
    releases: new Counter({
      name: 'hq_releases_total',
      help: 'Releases received, by outcome (stored, duplicate, mismatch)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    quarantined: new Counter({ name: 'hq_quarantined_total', help: 'Payloads quarantined with a reason', registers }),
    refusedRequests: new Counter({
      name: 'hq_refused_requests_total',
      help: 'HTTPS release requests refused before storage, by error code',
      labelNames: ['code'] as const,
      registers,
    }),
    writeRetries: new Counter({
      name: 'hq_write_retries_total',
      help: 'Batch writes retried after a database error',
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'hq_batch_write_seconds',
      help: 'Time to write one batch of releases',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2],
      registers,
    }),
    batchReleases: new Histogram({
      name: 'hq_batch_releases',
      help: 'Releases per batch written',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    }),
    mqttConnections: new Gauge({
      name: 'hq_mqtt_connections',
      help: 'Consumer connections to the broker that are up',
      registers,
    }),
  };
}
