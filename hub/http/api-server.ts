import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.ts';
import { buildHttpServer, type HttpApp, type HttpServer, type RegisteredRoute } from '../../shared/http/mod.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { installFailedAuthLimit, type FailedAuthLimits } from './failed-auth-limit.ts';

/**
 * The hub's HTTPS API (docs/hub.md, docs/shopper-api.md) on the shared Fastify base: TLS (1.2 or
 * later), TypeBox schemas that validate every request and document it at GET /openapi.json,
 * Prometheus figures at GET /metrics, one error format — `{error: {code, message, field?,
 * details?}}`, a schema failure a 400 naming the failing value by JSON pointer — and
 * `cache-control: no-store` on every answer (shopper data must not sit in a cache).
 *
 * Features register their routes with `routes(app => app.get(path, {schema}, handler))`, which
 * loads them after the OpenAPI plugin so every route is in the document.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiServerOptions {
  /** TLS certificate and key files; without them the server speaks plain HTTP on 127.0.0.1 only. */
  tls?: { certFile: string; keyFile: string };
  host: string;
  port: number;
  maxBodyBytes: number;
  logger: Logger;
  version: string;
  /** Who may scrape GET /metrics (throws 401/403 otherwise). */
  metricsGuard?: (request: FastifyRequest) => void;
  /** Refused credentials per client address before it is made to wait (failed-auth-limit.ts). */
  failedAuth?: FailedAuthLimits;
  now?: () => number;
}

export interface ApiServer {
  /** Registers a feature's routes (in a plugin loaded after the OpenAPI plugin). */
  routes(register: (app: HttpApp) => void): void;
  /** Every route registered so far (for the OpenAPI coverage check). */
  readonly registered: readonly RegisteredRoute[];
  /** The underlying server (its Fastify app and metrics registry). */
  readonly http: HttpServer;
  listen(): Promise<number>;
  readonly port: number | null;
  readonly secure: boolean;
  close(): Promise<void>;
}

const DESCRIPTION = [
  'The in-store hub: shopper enrollment and the shopper API (consent, preferences, history and',
  'exclusions, offers, audit trail, export, erasure), the admin API (offer catalog, purchases,',
  'gateways) and the technician status. Bearer tokens: a shopper token (from enrollment), the',
  "admin token or the technician token (files named in hub.yaml's api section).",
].join(' ');

export function createApiServer(options: ApiServerOptions): ApiServer {
  const http = buildHttpServer({
    name: 'hub',
    host: options.tls === undefined ? '127.0.0.1' : options.host,
    port: options.port,
    tls: options.tls ?? null,
    bodyLimitBytes: options.maxBodyBytes,
    logger: options.logger,
    openapi: { title: 'hushpoint hub', version: options.version, description: DESCRIPTION },
    errorField: true,
    ...(options.metricsGuard !== undefined ? { metricsGuard: options.metricsGuard } : {}),
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description: 'A shopper token (from enrollment), the admin token or the technician token',
      },
      cookie: {
        type: 'apiKey',
        in: 'cookie',
        name: 'hp_technician',
        description: 'A technician session (sign in on /status)',
      },
    },
  });
  if (options.failedAuth !== undefined) installFailedAuthLimit(http.app, options.failedAuth, options.now);
  http.app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
  return {
    routes: (register) => http.addRoutes(register),
    get registered() {
      return http.routes;
    },
    http,
    listen: () => http.listen(),
    get port() {
      return http.port;
    },
    secure: http.secure,
    close: () => http.close(),
  };
}

/** The `Authorization: Bearer …` token of a request, or null. */
export function bearerOf(headers: IncomingHttpHeaders): string | null {
  const auth = headers.authorization;
  return typeof auth === 'string' && /^Bearer\s+\S+$/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : null;
}

/** Constant-time comparison of a presented token with the expected one (hashes equalise lengths). */
export function tokenMatches(presented: string | null, expected: string | null): boolean {
  if (presented === null || expected === null || expected.length === 0) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Throws 401/403 unless the request carries `expected` as its bearer token. */
export function requireToken(request: { headers: IncomingHttpHeaders }, expected: string | null, what: string): void {
  if (expected === null)
    throw new AppError('AUTH_FORBIDDEN', `The ${what} API is disabled: the hub config names no ${what} token file`);
  const bearer = bearerOf(request.headers);
  if (bearer === null)
    throw new AppError('AUTH_BAD_CREDENTIAL', `An "Authorization: Bearer <${what} token>" header is required`);
  if (!tokenMatches(bearer, expected))
    throw new AppError('AUTH_BAD_CREDENTIAL', `The bearer token is not the ${what} token`);
}

/** What a handler may answer with when it builds the response as data (status, headers, JSON or text). */
export type ApiResponse =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { status: number; text: string; contentType: string; headers?: Record<string, string> };

/** Sends an ApiResponse through Fastify (its response schema, if any, serialises the body). */
export function respond(reply: FastifyReply, response: ApiResponse): FastifyReply {
  reply.status(response.status);
  if (response.headers !== undefined) reply.headers(response.headers);
  if ('text' in response) return reply.type(response.contentType).send(response.text);
  return response.body === undefined ? reply.send() : reply.send(response.body);
}

/** Takes over the response for a long-lived stream (server-sent events): the head, then `stream` owns it. */
export function streamReply(
  reply: FastifyReply,
  status: number,
  headers: Record<string, string>,
  stream: (res: ServerResponse) => void,
): void {
  reply.hijack();
  reply.raw.writeHead(status, { 'cache-control': 'no-store', ...headers });
  stream(reply.raw);
}

export type { FastifyReply, FastifyRequest, HttpApp, IncomingMessage };
