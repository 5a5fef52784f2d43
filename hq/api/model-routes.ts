import { Type } from '@sinclair/typebox';
import { errorBody, type HttpApp } from '../../shared/http/mod.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { verifyUpstreamRequest, type UpstreamRejection } from '../../shared/upstream/signing.ts';
import type { ModelDirectory } from '../pooling/adapters/model-directory.ts';
import { ErrorSchema } from './schemas.ts';

/**
 * The published recommender models, for the hubs (docs/hq.md):
 *   GET /v1/models/latest[?after=N]   the newest signed model (204 when it is not above N)
 *   GET /v1/models/{version}          one version
 * Authenticated with the store's upstream credential: the same signed headers as a release
 * (shared/upstream/signing.ts) over an empty body, the release header naming what is fetched
 * ("model-latest", "model-<version>"). The body is the signed file itself: the hub verifies it
 * with HQ's public model key, so neither TLS nor this check is what makes a model trustworthy.
 */

export interface ModelRouteDeps {
  readonly directory: ModelDirectory;
  readonly keys: ReadonlyMap<string, Buffer>;
  readonly clock: Clock;
  readonly maxSkewSeconds: number;
  readonly logger: Logger;
}

const EMPTY = Buffer.alloc(0);

export function registerModelRoutes(app: HttpApp, deps: ModelRouteDeps): void {
  const authorised = (
    headers: Readonly<Record<string, string | string[] | undefined>>,
  ):
    | { ok: true; store: string }
    | { ok: false; status: 400 | 401 | 403; code: UpstreamRejection['code']; message: string } => {
    const verified = verifyUpstreamRequest(
      { headers, body: EMPTY },
      {
        keyOf: (id) => deps.keys.get(id) ?? null,
        nowSeconds: Math.floor(deps.clock.now() / 1000),
        maxSkewSeconds: deps.maxSkewSeconds,
      },
    );
    if (verified.ok) return { ok: true, store: verified.store };
    deps.logger.warn({ code: verified.code, status: verified.status }, 'model request refused');
    return { ok: false, status: verified.status as 400 | 401 | 403, code: verified.code, message: verified.message };
  };
  const responses = {
    200: { content: { 'application/json': { schema: Type.Object({}, { additionalProperties: true }) } } },
    204: Type.Null(),
    400: ErrorSchema,
    401: ErrorSchema,
    403: ErrorSchema,
    404: ErrorSchema,
  };
  app.get(
    '/v1/models/latest',
    {
      schema: {
        summary: "The newest signed item model (a store's signed request; 204 when not above `after`)",
        tags: ['models'],
        querystring: Type.Object(
          { after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })) },
          { additionalProperties: false },
        ),
        response: responses,
      },
    },
    async (request, reply) => {
      const auth = authorised(request.headers);
      if (!auth.ok) return reply.status(auth.status).send(errorBody(auth.code, auth.message));
      const latest = deps.directory.latest();
      if (latest === null)
        return reply
          .status(404)
          .send(errorBody('API_NOT_FOUND', 'No model is published yet: run hushpoint hq pool-models'));
      if (request.query.after !== undefined && latest.version <= request.query.after)
        return reply.status(204).header('x-hushpoint-model-version', String(latest.version)).send(null);
      return reply
        .status(200)
        .header('x-hushpoint-model-version', String(latest.version))
        .header('cache-control', 'no-store')
        .type('application/json; charset=utf-8')
        .send(latest.text);
    },
  );
  app.get(
    '/v1/models/:version',
    {
      schema: {
        summary: "One version of the signed item model (a store's signed request)",
        tags: ['models'],
        params: Type.Object({ version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
        response: responses,
      },
    },
    async (request, reply) => {
      const auth = authorised(request.headers);
      if (!auth.ok) return reply.status(auth.status).send(errorBody(auth.code, auth.message));
      const text = deps.directory.read(request.params.version);
      if (text === null)
        return reply
          .status(404)
          .send(
            errorBody(
              'API_NOT_FOUND',
              `No model version ${request.params.version}, expected one of ${deps.directory.versions().join(', ') || 'none yet'}`,
            ),
          );
      return reply
        .status(200)
        .header('x-hushpoint-model-version', String(request.params.version))
        .type('application/json; charset=utf-8')
        .send(text);
    },
  );
}
