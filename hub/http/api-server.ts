import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';
import { AppError, isAppError, type ErrorCode } from '../../shared/errors.ts';
import type { Logger } from '../../shared/ports/logger.ts';

/**
 * The hub's HTTPS API: a small router on node:https. Features register routes:
 *
 *   api.route('GET', '/v1/shoppers/:id', async (req) => ({ status: 200, body: {...} }));
 *
 * A handler gets the method, path parameters, query, headers, the bearer token and a lazy JSON
 * body reader; it returns `{status, body}` (JSON) or `{status, text, contentType}` (HTML, CSV).
 * Throwing an AppError answers `{error: {code, message, field?}}` with the status of its code
 * (API_BAD_REQUEST 400, AUTH_BAD_CREDENTIAL 401, AUTH_FORBIDDEN 403, API_NOT_FOUND 404,
 * API_CONFLICT 409, DP_BUDGET_EXHAUSTED 429, anything else 500 without internals).
 * `details.field` (a JSON pointer) names the offending field.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRequest {
  method: Method;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The `Authorization: Bearer …` token, or null. */
  bearer: string | null;
  /** Reads and parses the JSON body (at most `maxBodyBytes`); a bad body is a 400 naming the problem. */
  json(): Promise<unknown>;
  raw: IncomingMessage;
}

export type ApiResponse =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { status: number; text: string; contentType: string; headers?: Record<string, string> }
  /** A long-lived response (server-sent events): the head is written, then `stream` owns `res`. */
  | { status: number; stream: (res: ServerResponse) => void; headers?: Record<string, string> };

export type Handler = (req: ApiRequest) => Promise<ApiResponse> | ApiResponse;

interface Route {
  method: Method;
  pattern: string;
  segments: string[];
  handler: Handler;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  API_BAD_REQUEST: 400,
  CLI_USAGE: 400,
  AUTH_BAD_CREDENTIAL: 401,
  AUTH_FORBIDDEN: 403,
  API_NOT_FOUND: 404,
  PROV_NOT_FOUND: 404,
  API_CONFLICT: 409,
  DP_BUDGET_EXHAUSTED: 429,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

export interface ApiServerOptions {
  /** TLS certificate and key (PEM); without them the server speaks plain HTTP on 127.0.0.1 only. */
  tls?: { cert: Buffer | string; key: Buffer | string };
  host: string;
  port: number;
  maxBodyBytes: number;
  logger: Logger;
}

export interface ApiServer {
  route(method: Method, pattern: string, handler: Handler): void;
  listen(): Promise<number>;
  readonly port: number | null;
  readonly secure: boolean;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new AppError('API_BAD_REQUEST', `Request body is larger than ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function match(route: Route, segments: string[]): Record<string, string> | null {
  if (route.segments.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const want = route.segments[i] as string;
    const got = segments[i] as string;
    if (want.startsWith(':')) {
      try {
        params[want.slice(1)] = decodeURIComponent(got);
      } catch {
        return null;
      }
    } else if (want !== got) return null;
  }
  return params;
}

export function createApiServer(options: ApiServerOptions): ApiServer {
  const routes: Route[] = [];
  let server: HttpServer | null = null;
  let port: number | null = null;
  const log = options.logger;

  function send(res: ServerResponse, response: ApiResponse): void {
    const headers: Record<string, string> = { 'cache-control': 'no-store', ...(response.headers ?? {}) };
    if ('stream' in response) {
      res.writeHead(response.status, headers);
      response.stream(res);
      return;
    }
    if ('text' in response) {
      res.writeHead(response.status, { ...headers, 'content-type': response.contentType });
      res.end(response.text);
    } else if (response.body === undefined) {
      res.writeHead(response.status, headers);
      res.end();
    } else {
      res.writeHead(response.status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(response.body));
    }
  }

  function errorBody(error: AppError): { error: { code: string; message: string; field?: string } } {
    const field = error.details?.field;
    return { error: { code: error.code, message: error.message, ...(typeof field === 'string' ? { field } : {}) } };
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://hub.invalid');
    const segments = url.pathname.split('/').filter((s) => s.length > 0);
    const method = (req.method ?? 'GET').toUpperCase() as Method;
    const allowed: Method[] = [];
    for (const route of routes) {
      const params = match(route, segments);
      if (params === null) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const auth = req.headers.authorization;
      const bearer =
        typeof auth === 'string' && /^Bearer\s+\S+$/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : null;
      let bodyPromise: Promise<unknown> | null = null;
      const apiReq: ApiRequest = {
        method,
        path: url.pathname,
        params,
        query: url.searchParams,
        headers: req.headers,
        bearer,
        raw: req,
        json() {
          bodyPromise ??= readBody(req, options.maxBodyBytes).then((buf) => {
            if (buf.length === 0)
              throw new AppError('API_BAD_REQUEST', 'Request body is empty, expected a JSON object', {
                details: { field: '' },
              });
            try {
              return JSON.parse(buf.toString('utf8')) as unknown;
            } catch (error) {
              throw new AppError('API_BAD_REQUEST', `Request body is not valid JSON (${(error as Error).message})`, {
                details: { field: '' },
              });
            }
          });
          return bodyPromise;
        },
      };
      try {
        send(res, await route.handler(apiReq));
      } catch (error) {
        if (isAppError(error)) {
          const status = statusOf(error.code);
          if (status >= 500) log.error({ err: error, route: route.pattern }, 'api handler failed');
          send(res, { status, body: errorBody(error) });
        } else {
          log.error({ err: error, route: route.pattern }, 'api handler failed');
          send(res, { status: 500, body: { error: { code: 'INTERNAL', message: 'Internal error; see the hub log' } } });
        }
      }
      return;
    }
    if (allowed.length > 0) {
      send(res, {
        status: 405,
        headers: { allow: [...new Set(allowed)].join(', ') },
        body: {
          error: {
            code: 'API_NOT_FOUND',
            message: `${method} is not allowed on ${url.pathname}, expected ${[...new Set(allowed)].join(' or ')}`,
          },
        },
      });
      return;
    }
    send(res, {
      status: 404,
      body: { error: { code: 'API_NOT_FOUND', message: `No such endpoint: ${method} ${url.pathname}` } },
    });
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    dispatch(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'api request failed');
      if (!res.headersSent)
        send(res, { status: 500, body: { error: { code: 'INTERNAL', message: 'Internal error; see the hub log' } } });
      else res.destroy();
    });
  };

  return {
    route(method, pattern, routeHandler) {
      const segments = pattern.split('/').filter((s) => s.length > 0);
      if (routes.some((r) => r.method === method && r.segments.join('/') === segments.join('/'))) {
        throw new RangeError(`route ${method} ${pattern} is already registered`);
      }
      routes.push({ method, pattern, segments, handler: routeHandler });
    },
    async listen() {
      server =
        options.tls === undefined
          ? createHttpServer(handler)
          : createHttpsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, handler);
      const host = options.tls === undefined ? '127.0.0.1' : options.host;
      const s = server;
      port = await new Promise<number>((resolve, reject) => {
        s.once('error', reject);
        s.listen(options.port, host, () => {
          s.off('error', reject);
          resolve((s.address() as AddressInfo).port);
        });
      });
      return port;
    },
    get port() {
      return port;
    },
    get secure() {
      return options.tls !== undefined;
    },
    async close() {
      const s = server;
      if (s === null) return;
      server = null;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
}

/** Constant-time comparison of a presented token with the expected one (hashes equalise lengths). */
export function tokenMatches(presented: string | null, expected: string | null): boolean {
  if (presented === null || expected === null || expected.length === 0) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Throws 401/403 unless the request carries `expected` as its bearer token. */
export function requireToken(req: ApiRequest, expected: string | null, what: string): void {
  if (expected === null)
    throw new AppError('AUTH_FORBIDDEN', `The ${what} API is disabled: the hub config names no ${what} token file`);
  if (req.bearer === null)
    throw new AppError('AUTH_BAD_CREDENTIAL', `An "Authorization: Bearer <${what} token>" header is required`);
  if (!tokenMatches(req.bearer, expected))
    throw new AppError('AUTH_BAD_CREDENTIAL', `The bearer token is not the ${what} token`);
}
