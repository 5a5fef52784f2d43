/**
 * The hub's HTTPS API (docs/hub.md): the server, bearer-token checks, the 400 for a failed
 * schema, and the token and certificate files. Features register their own routes on the server.
 */
export {
  createApiServer,
  requireToken,
  statusOf,
  tokenMatches,
  type ApiRequest,
  type ApiResponse,
  type ApiServer,
  type ApiServerOptions,
  type Handler,
  type Method,
} from './api-server.ts';
export { badRequest } from './bad-request.ts';
export { readPemFile, readTokenFile, type ResolvePath } from './secret-files.ts';
