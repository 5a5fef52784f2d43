/**
 * The HTTP stack shared by the hub and HQ (Fastify 5 + TypeBox + OpenAPI + Prometheus). See server.ts.
 */
export {
  buildHttpServer,
  createHttpServer,
  isLoopback,
  type HttpApp,
  type HttpServer,
  type HttpServerOptions,
  type RegisteredRoute,
} from './server.ts';
export { errorBody, httpStatusOf, validationErrorBody, type ErrorBody } from './error-mapping.ts';
export { createHttpMetrics, type HttpMetrics } from './metrics.ts';
export { ErrorSchema, errors } from './schemas.ts';
