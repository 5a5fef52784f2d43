import { Type } from '@sinclair/typebox';
import type { HttpApp } from '../../shared/http/mod.ts';
import type { MqttConsumer } from '../ingest/mqtt-consumer.ts';
import type { BatchWriter } from '../ingest/batch-writer.ts';
import type { HqStore } from '../storage/hq-store.ts';
import type { AuthHook } from './auth.ts';
import { ErrorSchema, IngestSchema, QuarantineSchema, StoresSchema } from './schemas.ts';
import type { StoreDirectory } from './scope.ts';

/**
 * HQ's operational API: GET /v1/health (open, for load balancers), GET /v1/stores (the configured
 * stores, their groups and how many releases each sent), GET /v1/ingest (counts of releases,
 * duplicates and quarantined payloads, the writer's queue, the consumer's connections) and
 * GET /v1/quarantine (what was refused, with the reason).
 */

export interface AdminRouteDeps {
  readonly store: () => HqStore;
  readonly directory: StoreDirectory;
  readonly auth: AuthHook;
  readonly writer: () => BatchWriter;
  readonly consumer: () => { consumer: MqttConsumer; id: string } | null;
}

export function registerAdminRoutes(app: HttpApp, deps: AdminRouteDeps): void {
  app.get(
    '/v1/health',
    {
      schema: {
        summary: 'Liveness: HQ answers and its database is reachable',
        tags: ['operations'],
        response: { 200: Type.Object({ ok: Type.Literal(true), engine: Type.String() }), 503: ErrorSchema },
      },
    },
    async () => {
      await deps.store().counts();
      return { ok: true as const, engine: deps.store().engine };
    },
  );

  app.get(
    '/v1/stores',
    {
      preHandler: deps.auth,
      schema: {
        summary: 'The configured stores with their group and the releases each sent; the dates with data',
        tags: ['operations'],
        response: { 200: StoresSchema, 401: ErrorSchema },
      },
    },
    async () => {
      const summary = new Map((await deps.store().stores()).map((s) => [s.store, s]));
      const dates = await deps.store().dateRange();
      return {
        stores: deps.directory.ids.map((id) => ({
          id,
          group: deps.directory.groupOf.get(id) ?? null,
          releases: summary.get(id)?.releases ?? 0,
          lastReceivedMs: summary.get(id)?.lastReceivedMs ?? null,
        })),
        groups: [...deps.directory.groups].map(([id, stores]) => ({ id, stores: stores.length })),
        dates,
      };
    },
  );

  app.get(
    '/v1/ingest',
    {
      preHandler: deps.auth,
      schema: {
        summary: 'Releases stored, duplicates counted, payloads quarantined; the writer queue and the MQTT consumer',
        tags: ['operations'],
        response: { 200: IngestSchema, 401: ErrorSchema },
      },
    },
    async () => {
      const counts = await deps.store().counts();
      const consumer = deps.consumer();
      return {
        engine: deps.store().engine,
        ...counts,
        writerDepth: deps.writer().depth,
        writerFailing: deps.writer().failing,
        mqtt: consumer === null ? null : { consumerId: consumer.id, ...consumer.consumer.status() },
      };
    },
  );

  app.get(
    '/v1/quarantine',
    {
      preHandler: deps.auth,
      schema: {
        summary: 'Refused payloads, newest first, with the reason (bodies are kept in the database, not shown here)',
        tags: ['operations'],
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) },
          { additionalProperties: false },
        ),
        response: { 200: QuarantineSchema, 400: ErrorSchema, 401: ErrorSchema },
      },
    },
    async (request) => ({
      entries: (await deps.store().quarantined({ limit: request.query.limit ?? 100 })).map((q) => ({
        id: q.id,
        receivedMs: q.receivedMs,
        source: q.source,
        topic: q.topic,
        store: q.store,
        releaseId: q.releaseId,
        code: q.code,
        reason: q.reason,
        bodyBytes: q.body?.length ?? 0,
      })),
    }),
  );
}
