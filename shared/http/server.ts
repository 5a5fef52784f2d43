import { readFileSync } from 'node:fs';
import { assertPrivateFile } from '../secrets/secret-file.ts';
import { createServer as createPlainServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  type RawServerBase,
} from 'fastify';
import { Ajv } from 'ajv';
import { AppError, isAppError } from '../errors.ts';
import type { Logger } from '../ports/logger.ts';
import { errorBody, httpStatusOf, validationErrorBody } from './error-mapping.ts';
import { createHttpMetrics, type HttpMetrics } from './metrics.ts';

/**
 * The HTTP stack shared by the hub and HQ: Fastify 5 with TypeBox schemas (the TypeScript types
 * of every route come from the same schema that validates it and documents it), TLS from PEM
 * files — plain HTTP only on a loopback address —, a body size limit, one error format
 * (error-mapping.ts), the OpenAPI document at GET /openapi.json (@fastify/swagger, built from the
 * routes' schemas) and Prometheus figures at GET /metrics (metrics.ts).
 *
 *   const server = await createHttpServer({ name: 'hq', host, port, tls, bodyLimitBytes, logger, openapi });
 *   server.app.get('/v1/things/:id', { schema: { params: …, response: { 200: … } } }, handler);
 *   await server.listen();
 *
 * A route answers a method it does not have with 405 and an Allow header; an unknown path with
 * 404. Both use the error format.
 */

export type HttpApp = FastifyInstance<
  RawServerBase,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface HttpServerOptions {
  /** Names the server in logs and prefixes its metrics ("hq" → hq_http_requests_total). */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** PEM files. Without them the server speaks plain HTTP, and only on a loopback address. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  readonly bodyLimitBytes: number;
  readonly logger: Logger;
  readonly openapi: { readonly title: string; readonly version: string; readonly description?: string };
  /**
   * Also name the failing field as `error.field` (the hub's established error format: a body
   * pointer such as "/token", or the name of a path or query parameter such as "purchaseId").
   */
  readonly errorField?: boolean;
  /** Runs before GET /metrics is answered; throws an AppError (401/403) to refuse the scrape. */
  readonly metricsGuard?: (request: FastifyRequest) => void;
  /** OpenAPI security schemes that routes name in `schema.security` (e.g. bearer tokens, a session cookie). */
  readonly securitySchemes?: Record<string, Record<string, unknown>>;
}

export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
}

export interface HttpServer {
  readonly app: HttpApp;
  /**
   * Registers routes in a plugin that loads after the OpenAPI plugin, so they appear in
   * /openapi.json; for servers built synchronously (buildHttpServer), where the plugins have not
   * loaded yet when the features register their routes.
   */
  addRoutes(register: (app: HttpApp) => void): void;
  readonly metrics: HttpMetrics;
  readonly secure: boolean;
  readonly port: number | null;
  /** Every route registered so far (method and URL pattern), for the OpenAPI coverage check. */
  readonly routes: readonly RegisteredRoute[];
  listen(): Promise<number>;
  close(): Promise<void>;
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new AppError(
      'CFG_UNREADABLE',
      `The TLS ${what} file "${file}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}), expected a PEM file`,
      { cause: error },
    );
  }
}

/** ':id' segments match any one segment: the paths a route pattern answers. */
function patternRegExp(url: string): RegExp {
  const body = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}$`);
}

/** error.field from a validation failure: "/token" in the body, or "purchaseId" of the path or query. */
function withField(body: ReturnType<typeof validationErrorBody>, context: string) {
  const pointer = String((body.error.details as { pointer?: unknown }).pointer ?? `/${context}`);
  const inner = pointer.slice(context.length + 1);
  const field = context === 'body' ? inner : (inner.split('/')[1] ?? inner);
  return { error: { ...body.error, field } };
}

function installErrorHandling(app: HttpApp, options: HttpServerOptions, routes: readonly RegisteredRoute[]): void {
  app.setErrorHandler((error: FastifyError & { validationContext?: string }, request, reply) => {
    if (error.validation !== undefined) {
      const context = error.validationContext ?? 'body';
      const root =
        context === 'querystring'
          ? request.query
          : context === 'params'
            ? request.params
            : context === 'headers'
              ? request.headers
              : request.body;
      const body = validationErrorBody(context, error.validation, root);
      return reply.status(400).send(options.errorField === true ? withField(body, context) : body);
    }
    if (isAppError(error)) {
      const status = httpStatusOf(error.code);
      if (status >= 500) request.log.error({ err: error, code: error.code }, 'request failed');
      const details = error.details as Record<string, unknown> | undefined;
      const body = errorBody(error.code, error.message, details);
      const field = details?.field;
      return reply
        .status(status)
        .send(options.errorField === true && typeof field === 'string' ? { error: { ...body.error, field } } : body);
    }
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      const message =
        error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'Request body is empty, expected a JSON object'
          : `Request body is not valid JSON (${error.message}), expected a JSON object`;
      const body = errorBody('API_BAD_REQUEST', message, { pointer: '/body' });
      return reply.status(400).send(options.errorField === true ? { error: { ...body.error, field: '' } } : body);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .status(413)
        .send(errorBody('API_BAD_REQUEST', `Request body is larger than ${options.bodyLimitBytes} bytes`));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send(errorBody('API_BAD_REQUEST', error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send(errorBody('INTERNAL', `Internal error; see the ${options.name} log`));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = routes.filter((r) => patternRegExp(r.url).test(path)).map((r) => r.method);
    if (allowed.length > 0) {
      return reply
        .status(405)
        .header('allow', [...new Set(allowed)].join(', '))
        .send(
          errorBody('API_NOT_FOUND', `${request.method} is not allowed on ${path}, expected ${allowed.join(' or ')}`),
        );
    }
    return reply.status(404).send(errorBody('API_NOT_FOUND', `No such endpoint: ${request.method} ${path}`));
  });
}

/** The TLS material of a server, read when it starts listening (so a renewed certificate is picked up on restart). */
function loadTls(tls: NonNullable<HttpServerOptions['tls']>): { cert: Buffer; key: Buffer } {
  assertPrivateFile(tls.keyFile, 'TLS key file');
  return { cert: readPem(tls.certFile, 'certificate'), key: readPem(tls.keyFile, 'key') };
}

/**
 * Builds the server without waiting for its plugins, for a composition root that wires its
 * features synchronously: they register their routes with addRoutes. The TLS files are read at
 * listen(); the handshake refuses anything below TLS 1.2.
 */
export function buildHttpServer(options: HttpServerOptions): HttpServer {
  if (options.tls === null && !isLoopback(options.host)) {
    throw new AppError(
      'CFG_INVALID',
      `HTTP server "${options.name}" would listen on ${options.host} without TLS, expected certFile and keyFile (plain HTTP only on a loopback address)`,
    );
  }
  let tlsServer: TlsServer | null = null;
  const fastify = Fastify({
    serverFactory: (handler) => {
      if (options.tls === null) return createPlainServer(handler);
      tlsServer = createTlsServer({ minVersion: 'TLSv1.2' }, handler);
      return tlsServer;
    },
    loggerInstance: options.logger.child({ component: 'http' }),
    // Per-request lines would flood journald; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes,
    exposeHeadRoutes: false,
    // A URL the router refuses before any route (bad percent-encoding, a parameter over 100
    // characters) answers in the same error format as everything else (found by the HTTP fuzz target).
    frameworkErrors: (error, _request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const status = tooLong ? 414 : error.code === 'FST_ERR_BAD_URL' ? 400 : 500;
      const message = tooLong
        ? 'A path parameter is longer than 100 characters, expected a shorter id'
        : status === 400
          ? 'The path is not a valid URL (bad percent-encoding), expected an encoded path'
          : 'The request could not be routed';
      const body = errorBody(status === 500 ? 'INTERNAL' : 'API_BAD_REQUEST', message);
      const raw = reply as unknown as { status(code: number): { send(payload: unknown): unknown } };
      void raw
        .status(status)
        .send(options.errorField === true && status < 500 ? { error: { ...body.error, field: '' } } : body);
    },
  });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpApp;
  // Query strings and path parameters are text, so they are coerced to the schema's types; a JSON
  // body is not: {"analytics": "true"} is an error, not a boolean.
  const bodyAjv = new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: false });
  const textAjv = new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object),
  );
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.push({ method: String(method), url: route.url });
  });
  const metrics = createHttpMetrics({ prefix: options.name.replace(/[^a-zA-Z0-9_]/g, '_') });
  // Callback-style hooks here and in the hub's: no promise per request on the hot path.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
  installErrorHandling(app, options, routes);
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: options.openapi.title,
        version: options.openapi.version,
        ...(options.openapi.description !== undefined ? { description: options.openapi.description } : {}),
      },
      ...(options.securitySchemes !== undefined
        ? {
            components: {
              securitySchemes: options.securitySchemes as Record<string, { type: 'http'; scheme: string }>,
            },
          }
        : {}),
    },
  });
  const addRoutes = (register: (scope: HttpApp) => void): void => {
    void app.register(async (scope) => register(scope as unknown as HttpApp));
  };
  addRoutes((scope) => registerMetaRoutes(scope, app, metrics, options.metricsGuard));
  let port: number | null = null;
  return {
    app,
    addRoutes,
    metrics,
    secure: options.tls !== null,
    get port() {
      return port;
    },
    routes,
    async listen() {
      if (options.tls !== null && tlsServer !== null)
        (tlsServer as TlsServer).setSecureContext({ ...loadTls(options.tls), minVersion: 'TLSv1.2' });
      await app.listen({ host: options.host, port: options.port });
      port = (app.server.address() as AddressInfo).port;
      return port;
    },
    async close() {
      await app.close();
      port = null;
    },
  };
}

/** GET /openapi.json and GET /metrics. */
function registerMetaRoutes(
  scope: HttpApp,
  root: HttpApp,
  metrics: HttpMetrics,
  guard: ((request: FastifyRequest) => void) | undefined,
): void {
  scope.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This OpenAPI document',
        tags: ['meta'],
        response: { 200: { type: 'object', additionalProperties: true, description: 'OpenAPI 3.0 document' } },
      },
    },
    async () => root.swagger(),
  );
  scope.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus figures of the process and its HTTP traffic (system figures only)',
        tags: ['meta'],
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus text exposition format' } },
      },
    },
    async (request, reply) => {
      guard?.(request);
      reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
}

/**
 * The server with its plugins loaded: routes may then be added directly on `app` (HQ). The TLS
 * files are checked here, so a missing certificate fails at start-up.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const server = buildHttpServer(options);
  if (options.tls !== null) loadTls(options.tls);
  await server.app.after();
  return server;
}
