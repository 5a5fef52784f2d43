import { Type } from '@sinclair/typebox';
import type { ErrorCode } from '../../shared/errors.ts';
import type { HttpApp } from '../../shared/http/mod.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { ReleasePayloadSchema } from '../../shared/upstream/release-payload.ts';
import { ReleasePayloadV2Schema } from '../../shared/upstream/release-payload-v2.ts';
import { UPSTREAM_HEADERS } from '../../shared/upstream/signing.ts';
import type { BatchWriter } from '../ingest/batch-writer.ts';
import { receiveRelease } from '../ingest/receive-release.ts';
import { ErrorSchema } from './schemas.ts';

/**
 * POST /v1/releases: the stores' signed HTTPS upstream (ingest/receive-release.ts). The body is
 * taken as raw bytes — the signature covers the exact bytes, and HQ stores them verbatim — so
 * Fastify neither parses nor validates it here; its schema is in the OpenAPI document for readers.
 */

export interface ReleaseRouteDeps {
  readonly writer: () => BatchWriter;
  readonly keys: ReadonlyMap<string, Buffer>;
  readonly knownStores: ReadonlySet<string>;
  readonly clock: Clock;
  readonly maxSkewSeconds: number;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  readonly onRefused: (code: ErrorCode) => void;
}

export function registerReleaseRoutes(app: HttpApp, deps: ReleaseRouteDeps): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_request, body, done) =>
      done(null, body),
    );
    scope.post(
      '/v1/releases',
      {
        bodyLimit: deps.maxBodyBytes,
        // Verified by signature and decoded by receive-release.ts, in that order.
        validatorCompiler: () => () => true,
        schema: {
          summary: "A store's DP release, signed with the store's key (HMAC-SHA256); idempotent by release id",
          tags: ['ingest'],
          headers: Type.Object({
            [UPSTREAM_HEADERS.store]: Type.String({ description: 'the store id' }),
            [UPSTREAM_HEADERS.timestamp]: Type.String({ description: 'Unix seconds of this attempt' }),
            [UPSTREAM_HEADERS.release]: Type.String({ description: 'the release id (idempotency key)' }),
            [UPSTREAM_HEADERS.signature]: Type.String({
              description: '"v1=" + hex HMAC-SHA256(key, timestamp \\n release id \\n body)',
            }),
          }),
          body: Type.Union([ReleasePayloadSchema, ReleasePayloadV2Schema]),
          response: {
            200: Type.Object({ ok: Type.Literal(true), release: Type.String(), duplicate: Type.Literal(true) }),
            201: Type.Object({ ok: Type.Literal(true), release: Type.String(), duplicate: Type.Literal(false) }),
            400: ErrorSchema,
            401: ErrorSchema,
            403: ErrorSchema,
            409: ErrorSchema,
            413: ErrorSchema,
            503: ErrorSchema,
          },
        },
      },
      async (request, reply) => {
        const result = await receiveRelease(
          { headers: request.headers, body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0) },
          {
            writer: deps.writer(),
            keyOf: (id) => deps.keys.get(id) ?? null,
            knownStores: deps.knownStores,
            nowMs: deps.clock.now(),
            maxSkewSeconds: deps.maxSkewSeconds,
            onRefused: deps.onRefused,
          },
        );
        if (!result.body.ok)
          deps.logger.warn(
            { store: request.headers[UPSTREAM_HEADERS.store], code: result.body.error.code, status: result.status },
            'release refused',
          );
        return reply
          .status(result.status as 201)
          .header('cache-control', 'no-store')
          .send(result.body);
      },
    );
  });
}
