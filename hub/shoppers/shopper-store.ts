import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import { randomHex, type RandomSource } from '../../shared/ports/random.ts';

/**
 * Enrolled shoppers (SQLite). A shopper has a random 128-bit identity key (IK), a rotation
 * exponent, consent flags and the SHA-256 of a bearer token. Tokens are 256 random bits, so a
 * fast hash is enough (no guessing attack can exploit its speed; slow hashes are for
 * human-chosen passwords). Deleting a shopper deletes the IK and everything derived from it.
 */

export const SHOPPER_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const SHOPPER_ID_RE = new RegExp(SHOPPER_ID_PATTERN);

export interface Consent {
  presenceForOffers: boolean;
  analytics: boolean;
  /** Unix ms until which presence is paused (sightings discarded at ingest), or null. */
  pausedUntilMs: number | null;
}

export interface ShopperRecord {
  pk: number;
  id: string;
  exponent: number;
  consent: Consent;
  createdMs: number;
}

export interface EnrolledShopper extends ShopperRecord {
  identityKey: Buffer;
}

interface Row {
  pk: number;
  id: string;
  identity_key: Buffer;
  exponent: number;
  presence_for_offers: number;
  analytics: number;
  paused_until_ms: number | null;
  created_ms: number;
}

const COLUMNS = 'pk, id, identity_key, exponent, presence_for_offers, analytics, paused_until_ms, created_ms';

function toRecord(row: Row): EnrolledShopper {
  return {
    pk: row.pk,
    id: row.id,
    identityKey: row.identity_key,
    exponent: row.exponent,
    consent: {
      presenceForOffers: row.presence_for_offers === 1,
      analytics: row.analytics === 1,
      pausedUntilMs: row.paused_until_ms,
    },
    createdMs: row.created_ms,
  };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Bumped on every change to shoppers, so a running hub notices changes made by another process. */
function bumpGeneration(db: Database): void {
  db.prepare(
    "INSERT INTO meta (key, value) VALUES ('shoppers.generation', '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
  ).run();
}

export function shoppersGeneration(db: Database): number {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'shoppers.generation'").get() as
    { value: string } | undefined;
  return row === undefined ? 0 : Number(row.value);
}

export interface EnrollInput {
  exponent: number;
  consent: { presenceForOffers: boolean; analytics: boolean };
}

/** Enrolls a new shopper with a random IK and bearer token; both are returned once, here. */
export function enrollShopper(
  db: Database,
  input: EnrollInput,
  deps: { random: RandomSource; nowMs: number },
): { shopper: EnrolledShopper; token: string } {
  const identityKey = Buffer.alloc(16);
  deps.random.fillBytes(identityKey);
  const tokenBytes = Buffer.alloc(32);
  deps.random.fillBytes(tokenBytes);
  const token = tokenBytes.toString('base64url');
  const id = `shp-${randomHex(deps.random, 10)}`;
  const run = db.transaction(() => {
    const result = db
      .prepare(
        'INSERT INTO shoppers (id, identity_key, exponent, presence_for_offers, analytics, token_hash, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        id,
        identityKey,
        input.exponent,
        input.consent.presenceForOffers ? 1 : 0,
        input.consent.analytics ? 1 : 0,
        hashToken(token),
        deps.nowMs,
      );
    bumpGeneration(db);
    return Number(result.lastInsertRowid);
  });
  const pk = run();
  return {
    shopper: {
      pk,
      id,
      identityKey,
      exponent: input.exponent,
      consent: { ...input.consent, pausedUntilMs: null },
      createdMs: deps.nowMs,
    },
    token,
  };
}

export interface ImportedShopper {
  id: string;
  identityKey: Buffer;
  exponent: number;
  consent?: Partial<Omit<Consent, 'pausedUntilMs'>>;
}

/**
 * Enrolls shoppers whose identity keys already exist (the simulator's, or a migration from
 * another system). Idempotent by id: an existing shopper gets the given key, exponent and consent.
 * No bearer token is issued.
 */
export function importShoppers(db: Database, shoppers: ImportedShopper[], nowMs: number): { imported: number } {
  shoppers.forEach((s, i) => {
    if (!SHOPPER_ID_RE.test(s.id))
      throw new AppError(
        'API_BAD_REQUEST',
        `Shopper ${i} id "${s.id}" is invalid, expected 1-64 of [A-Za-z0-9._-] starting with a letter or digit`,
        { details: { field: `/shoppers/${i}/id` } },
      );
    if (s.identityKey.length !== 16)
      throw new AppError('API_BAD_REQUEST', `Shopper ${i} identity key is ${s.identityKey.length} bytes, expected 16`, {
        details: { field: `/shoppers/${i}/identityKey` },
      });
    if (!Number.isInteger(s.exponent) || s.exponent < 0 || s.exponent > 15)
      throw new AppError('API_BAD_REQUEST', `Shopper ${i} exponent is ${s.exponent}, expected an integer 0..15`, {
        details: { field: `/shoppers/${i}/exponent` },
      });
  });
  const upsert =
    db.prepare(`INSERT INTO shoppers (id, identity_key, exponent, presence_for_offers, analytics, created_ms) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT(id) DO UPDATE SET identity_key = excluded.identity_key, exponent = excluded.exponent, presence_for_offers = excluded.presence_for_offers, analytics = excluded.analytics`);
  db.transaction(() => {
    for (const s of shoppers)
      upsert.run(
        s.id,
        s.identityKey,
        s.exponent,
        s.consent?.presenceForOffers === false ? 0 : 1,
        s.consent?.analytics === false ? 0 : 1,
        nowMs,
      );
    bumpGeneration(db);
  })();
  return { imported: shoppers.length };
}

export function getShopper(db: Database, id: string): EnrolledShopper | null {
  const row = db.prepare(`SELECT ${COLUMNS} FROM shoppers WHERE id = ?`).get(id) as Row | undefined;
  return row === undefined ? null : toRecord(row);
}

export function getShopperByPk(db: Database, pk: number): EnrolledShopper | null {
  const row = db.prepare(`SELECT ${COLUMNS} FROM shoppers WHERE pk = ?`).get(pk) as Row | undefined;
  return row === undefined ? null : toRecord(row);
}

/** The shopper a bearer token belongs to, or null. */
export function shopperByToken(db: Database, token: string): EnrolledShopper | null {
  const row = db.prepare(`SELECT ${COLUMNS} FROM shoppers WHERE token_hash = ?`).get(hashToken(token)) as
    Row | undefined;
  return row === undefined ? null : toRecord(row);
}

export function listShoppers(db: Database): EnrolledShopper[] {
  return (db.prepare(`SELECT ${COLUMNS} FROM shoppers ORDER BY pk`).all() as Row[]).map(toRecord);
}

/** Changes consent flags; returns the updated record, or null for an unknown shopper. */
export function updateConsent(db: Database, id: string, patch: Partial<Consent>): EnrolledShopper | null {
  const current = getShopper(db, id);
  if (current === null) return null;
  const next = { ...current.consent, ...patch };
  db.transaction(() => {
    db.prepare('UPDATE shoppers SET presence_for_offers = ?, analytics = ?, paused_until_ms = ? WHERE pk = ?').run(
      next.presenceForOffers ? 1 : 0,
      next.analytics ? 1 : 0,
      next.pausedUntilMs,
      current.pk,
    );
    bumpGeneration(db);
  })();
  return { ...current, consent: next };
}

/**
 * Deletes a shopper: the IK (so no past or future EID resolves any more) and their sightings,
 * zone windows, visits and presence state. Returns false for an unknown shopper.
 * Tables added by later features that reference shopper_pk are listed in `extraTables`.
 */
export function deleteShopper(db: Database, id: string, extraTables: readonly string[] = []): boolean {
  const shopper = getShopper(db, id);
  if (shopper === null) return false;
  db.transaction(() => {
    db.prepare('DELETE FROM visit_zones WHERE visit_pk IN (SELECT pk FROM visits WHERE shopper_pk = ?)').run(
      shopper.pk,
    );
    for (const table of ['visits', 'zone_windows', 'presence_state', 'sightings', ...extraTables]) {
      db.prepare(`DELETE FROM ${table} WHERE shopper_pk = ?`).run(shopper.pk);
    }
    db.prepare('DELETE FROM shoppers WHERE pk = ?').run(shopper.pk);
    bumpGeneration(db);
  })();
  return true;
}
