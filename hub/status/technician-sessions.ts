import { createHash } from 'node:crypto';
import type { RandomSource } from '../../shared/ports/random.ts';

/**
 * Browser sessions of the technician page, in memory: signing in with the technician token
 * gives a random 256-bit session id (the cookie value); the hub keeps only its SHA-256 and the
 * expiry. Sessions end at their expiry, on sign-out, and when the hub restarts. At most
 * `maxSessions` live at once (the oldest goes first), so repeated sign-ins cannot grow memory.
 */
export interface TechnicianSessions {
  /** A new session id (base64url) valid for `lifetimeMs` from `nowMs`. */
  create(nowMs: number): string;
  valid(id: string, nowMs: number): boolean;
  revoke(id: string): void;
  readonly size: number;
}

function keyOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

export function createTechnicianSessions(options: {
  random: RandomSource;
  lifetimeMs: number;
  maxSessions?: number;
}): TechnicianSessions {
  const expiries = new Map<string, number>();
  const max = options.maxSessions ?? 32;
  return {
    create(nowMs) {
      for (const [key, expiry] of expiries) if (expiry <= nowMs) expiries.delete(key);
      while (expiries.size >= max) {
        const oldest = expiries.keys().next().value as string;
        expiries.delete(oldest);
      }
      const bytes = new Uint8Array(32);
      options.random.fillBytes(bytes);
      const id = Buffer.from(bytes).toString('base64url');
      expiries.set(keyOf(id), nowMs + options.lifetimeMs);
      return id;
    },
    valid(id, nowMs) {
      if (id.length === 0) return false;
      const key = keyOf(id);
      const expiry = expiries.get(key);
      if (expiry === undefined) return false;
      if (expiry <= nowMs) {
        expiries.delete(key);
        return false;
      }
      return true;
    },
    revoke(id) {
      expiries.delete(keyOf(id));
    },
    get size() {
      return expiries.size;
    },
  };
}
