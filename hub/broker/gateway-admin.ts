import type { Database } from 'better-sqlite3';
import type { Clock } from '../../shared/ports/clock.ts';
import type { RandomSource } from '../../shared/ports/random.ts';
import {
  addGateway,
  getGateway,
  listGateways,
  revokeGateway,
  rotateGatewayCredential,
  type GatewayRecord,
} from './gateway-registry.ts';

/** The gateway registry as the hub's operators use it: a revoked or rotated gateway is disconnected at once. */
export interface GatewayAdmin {
  add(gateway: { id: string; zone: string; credential?: string }): Promise<{ id: string; credential: string }>;
  rotate(id: string, credential?: string): Promise<{ id: string; credential: string }>;
  /** Revokes and disconnects the gateway's sessions; false for an unknown gateway. */
  revoke(id: string): boolean;
  get(id: string): GatewayRecord | null;
  list(): GatewayRecord[];
}

export function createGatewayAdmin(deps: {
  db: Database;
  random: RandomSource;
  clock: Clock;
  /** Closes the gateway's live sessions (a no-op while the broker is down). */
  disconnect(id: string): void;
}): GatewayAdmin {
  const { db, random, clock } = deps;
  return {
    add: (gateway) => addGateway(db, gateway, { random, nowMs: clock.now() }),
    async rotate(id, credential) {
      const rotated = await rotateGatewayCredential(db, id, {
        random,
        nowMs: clock.now(),
        ...(credential !== undefined ? { credential } : {}),
      });
      deps.disconnect(id);
      return rotated;
    },
    revoke(id) {
      const known = revokeGateway(db, id, clock.now());
      if (known) deps.disconnect(id);
      return known;
    },
    get: (id) => getGateway(db, id),
    list: () => listGateways(db),
  };
}
