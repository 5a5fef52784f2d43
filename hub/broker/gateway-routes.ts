import { requireToken, type ApiServer } from '../http/mod.ts';
import type { GatewayAdmin } from './gateway-admin.ts';

/**
 *   GET /v1/admin/gateways   the gateway registry (admin token)
 */
export function registerGatewayRoutes(deps: {
  api: ApiServer;
  gateways: GatewayAdmin;
  adminToken: () => string | null;
}): void {
  deps.api.route('GET', '/v1/admin/gateways', (req) => {
    requireToken(req, deps.adminToken(), 'admin');
    return { status: 200, body: { gateways: deps.gateways.list() } };
  });
}
