/**
 * The hub's HTTPS API (docs/hub.md) on the shared Fastify base: the server, bearer-token checks,
 * response helpers, and the token and certificate files. Features register their own routes.
 */
export {
  bearerOf,
  createApiServer,
  requireToken,
  respond,
  streamReply,
  tokenMatches,
  type ApiResponse,
  type ApiServer,
  type ApiServerOptions,
  type FastifyReply,
  type FastifyRequest,
  type HttpApp,
  type Method,
} from './api-server.ts';
export { badRequest } from './bad-request.ts';
export { readKeyFile, readPemFile, readTokenFile, type ResolvePath } from './secret-files.ts';
