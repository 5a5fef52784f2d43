import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import type { RandomSource } from '../../shared/ports/random.ts';
import { isValidId } from '../../shared/protocol/topics.ts';
import type { GatewayStatus } from '../../shared/protocol/messages.ts';
import { hashCredential, newCredential } from './credential-hash.ts';

/**
 * The gateway registry (SQLite): id, zone, credential hash, revocation and the last status.
 * Provisioning and the technician tools call these functions (exported from hub/mod.ts).
 */

export type GatewayState = 'unknown' | 'online' | 'offline';

export interface GatewayRecord {
  id: string;
  zone: string;
  createdMs: number;
  rotatedMs: number | null;
  revokedMs: number | null;
  state: GatewayState;
  lastStatus: GatewayStatus | null;
  lastStatusMs: number | null;
  lastBatchMs: number | null;
  lastSeq: number | null;
}

interface GatewayRow {
  id: string;
  zone: string;
  created_ms: number;
  rotated_ms: number | null;
  revoked_ms: number | null;
  state: GatewayState;
  last_status: string | null;
  last_status_ms: number | null;
  last_batch_ms: number | null;
  last_seq: number | null;
}

function toRecord(row: GatewayRow): GatewayRecord {
  return {
    id: row.id,
    zone: row.zone,
    createdMs: row.created_ms,
    rotatedMs: row.rotated_ms,
    revokedMs: row.revoked_ms,
    state: row.state,
    lastStatus: row.last_status === null ? null : (JSON.parse(row.last_status) as GatewayStatus),
    lastStatusMs: row.last_status_ms,
    lastBatchMs: row.last_batch_ms,
    lastSeq: row.last_seq,
  };
}

const COLUMNS =
  'id, zone, created_ms, rotated_ms, revoked_ms, state, last_status, last_status_ms, last_batch_ms, last_seq';

function checkIds(id: string, zone?: string): void {
  if (!isValidId(id))
    throw new AppError(
      'API_BAD_REQUEST',
      `Gateway id "${id}" is invalid, expected 1-64 of [a-z0-9-], not starting or ending with "-"`,
      { details: { field: '/id' } },
    );
  if (zone !== undefined && !isValidId(zone))
    throw new AppError(
      'API_BAD_REQUEST',
      `Zone "${zone}" is invalid, expected 1-64 of [a-z0-9-], not starting or ending with "-"`,
      { details: { field: '/zone' } },
    );
}

export interface CredentialDeps {
  random: RandomSource;
  nowMs: number;
}

/**
 * Registers a gateway with a credential (a new random one unless given). Returns the credential:
 * the only time it exists in clear on the hub side.
 */
export async function addGateway(
  db: Database,
  gateway: { id: string; zone: string; credential?: string },
  deps: CredentialDeps,
): Promise<{ id: string; credential: string }> {
  checkIds(gateway.id, gateway.zone);
  if (getGateway(db, gateway.id) !== null)
    throw new AppError(
      'API_CONFLICT',
      `Gateway "${gateway.id}" already exists; rotate its credential or revoke it instead`,
    );
  const credential = gateway.credential ?? newCredential(deps.random);
  const hash = await hashCredential(credential, deps.random);
  try {
    db.prepare('INSERT INTO gateways (id, zone, credential_hash, created_ms) VALUES (?, ?, ?, ?)').run(
      gateway.id,
      gateway.zone,
      hash,
      deps.nowMs,
    );
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
      throw new AppError('API_CONFLICT', `Gateway "${gateway.id}" already exists`);
    throw error;
  }
  return { id: gateway.id, credential };
}

/** Issues a new credential (the old one stops working at once) and lifts a revocation. */
export async function rotateGatewayCredential(
  db: Database,
  id: string,
  deps: CredentialDeps & { credential?: string },
): Promise<{ id: string; credential: string }> {
  checkIds(id);
  if (getGateway(db, id) === null) throw new AppError('PROV_NOT_FOUND', `Gateway "${id}" is not registered`);
  const credential = deps.credential ?? newCredential(deps.random);
  const hash = await hashCredential(credential, deps.random);
  db.prepare('UPDATE gateways SET credential_hash = ?, rotated_ms = ?, revoked_ms = NULL WHERE id = ?').run(
    hash,
    deps.nowMs,
    id,
  );
  return { id, credential };
}

/** Revokes a gateway: its credential is refused from now on. Returns false if it was unknown. */
export function revokeGateway(db: Database, id: string, nowMs: number): boolean {
  const result = db.prepare('UPDATE gateways SET revoked_ms = COALESCE(revoked_ms, ?) WHERE id = ?').run(nowMs, id);
  return result.changes > 0;
}

export function setGatewayZone(db: Database, id: string, zone: string): boolean {
  checkIds(id, zone);
  return db.prepare('UPDATE gateways SET zone = ? WHERE id = ?').run(zone, id).changes > 0;
}

export function getGateway(db: Database, id: string): GatewayRecord | null {
  const row = db.prepare(`SELECT ${COLUMNS} FROM gateways WHERE id = ?`).get(id) as GatewayRow | undefined;
  return row === undefined ? null : toRecord(row);
}

export function listGateways(db: Database): GatewayRecord[] {
  return (db.prepare(`SELECT ${COLUMNS} FROM gateways ORDER BY id`).all() as GatewayRow[]).map(toRecord);
}

/** The stored hash and revocation of one gateway (for authentication), or null. */
export function credentialOf(db: Database, id: string): { hash: string; revoked: boolean } | null {
  const row = db.prepare('SELECT credential_hash AS hash, revoked_ms FROM gateways WHERE id = ?').get(id) as
    { hash: string; revoked_ms: number | null } | undefined;
  return row === undefined ? null : { hash: row.hash, revoked: row.revoked_ms !== null };
}

export function recordGatewayStatus(db: Database, id: string, status: GatewayStatus, nowMs: number): void {
  db.prepare('UPDATE gateways SET state = ?, last_status = ?, last_status_ms = ? WHERE id = ?').run(
    status.state,
    JSON.stringify(status),
    nowMs,
    id,
  );
}

export function gatewaysOnline(db: Database): number {
  return (
    db.prepare("SELECT COUNT(*) AS n FROM gateways WHERE state = 'online' AND revoked_ms IS NULL").get() as {
      n: number;
    }
  ).n;
}
