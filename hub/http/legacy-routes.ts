import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../../shared/errors.ts';
import { bearerOf, respond, streamReply, type ApiResponse, type ApiServer, type Method } from './api-server.ts';

/**
 * Routes written for the hub's earlier hand-made router — (req) => response, the body read with
 * req.json() and checked by the handler — served by Fastify. Only the offers feature's routes
 * still use it while they move to schema routes; the OpenAPI document lists them without schemas.
 */

export interface LegacyRequest {
  method: Method;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  bearer: string | null;
  json(): Promise<unknown>;
  raw: IncomingMessage;
}

export type LegacyResponse =
  ApiResponse | { status: number; stream: (res: ServerResponse) => void; headers?: Record<string, string> };

export interface LegacyApi {
  route(
    method: Method,
    pattern: string,
    handler: (req: LegacyRequest) => Promise<LegacyResponse> | LegacyResponse,
  ): void;
  readonly secure: boolean;
}

export function legacyRoutes(api: ApiServer): LegacyApi {
  return {
    secure: api.secure,
    route(method, pattern, handler) {
      api.routes((app) => {
        app.route({
          method,
          url: pattern,
          schema: { summary: `${method} ${pattern}`, tags: ['offers', 'legacy'] },
          handler: async (request, reply) => {
            const url = new URL(request.url, 'https://hub.invalid');
            const body = request.body;
            const req: LegacyRequest = {
              method,
              path: url.pathname,
              params: request.params as Record<string, string>,
              query: url.searchParams,
              headers: request.headers,
              bearer: bearerOf(request.headers),
              raw: request.raw,
              async json() {
                if (body === undefined || body === null)
                  throw new AppError('API_BAD_REQUEST', 'Request body is empty, expected a JSON object', {
                    details: { field: '' },
                  });
                return body;
              },
            };
            const response = await handler(req);
            if ('stream' in response) {
              streamReply(reply, response.status, response.headers ?? {}, response.stream);
              return reply;
            }
            return respond(reply, response);
          },
        });
      });
    },
  };
}
