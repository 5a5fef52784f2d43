import { Type } from '@sinclair/typebox';
import { errors } from '../../shared/http/mod.ts';
import { requireToken, type ApiServer } from '../http/mod.ts';
import type { GatewayAdmin } from './gateway-admin.ts';

/**
 *   GET /v1/admin/gateways   the gateway registry (admin token)
 */
const Ms = Type.Union([Type.Number(), Type.Null()]);
const GatewayRow = Type.Object(
  {
    id: Type.String(),
    zone: Type.String(),
    createdMs: Type.Number(),
    rotatedMs: Ms,
    revokedMs: Ms,
    state: Type.String(),
    lastStatus: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
    lastStatusMs: Ms,
    lastBatchMs: Ms,
    lastSeq: Ms,
  },
  {
    additionalProperties: false,
    description: 'A registered gateway: its zone, state and last status (never its credential)',
  },
);

export function registerGatewayRoutes(deps: {
  api: ApiServer;
  gateways: GatewayAdmin;
  adminToken: () => string | null;
}): void {
  deps.api.routes((app) => {
    app.get(
      '/v1/admin/gateways',
      {
        schema: {
          summary: 'The gateway registry (admin token)',
          tags: ['admin'],
          response: { 200: Type.Object({ gateways: Type.Array(GatewayRow) }), ...errors(401, 403) },
          security: [{ bearer: [] }],
        },
      },
      async (request) => {
        requireToken(request, deps.adminToken(), 'admin');
        return { gateways: deps.gateways.list() };
      },
    );
  });
}
