import { scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { RandomSource } from '../../shared/ports/random.ts';

/**
 * Gateway credentials are random (provisioning makes them); the hub keeps only scrypt hashes:
 * `scrypt$N$r$p$salt$hash` with a random 16-byte salt, compared in constant time. scrypt runs
 * on libuv's thread pool, so a burst of connections does not block the broker's event loop.
 *
 * Parameters N=2^14, r=2, p=1 (4 MiB, ~15 ms per check): a credential is 256 random bits, so no
 * dictionary or brute-force attack exists for a slow hash to slow down; the hash only keeps a
 * copied database from yielding usable credentials. r=8 (16 MiB per check, on up to four
 * thread-pool threads at once) cost the hub ~50 MB of resident memory after a reconnect burst.
 * Verification reads the parameters from the stored hash, so they can be raised later.
 */

const PARAMS = { N: 16_384, r: 2, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function scryptAsync(password: Buffer, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_BYTES, { ...options, maxmem: 64 * 1024 ** 2 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashCredential(credential: string | Buffer, rng: RandomSource): Promise<string> {
  const salt = Buffer.alloc(SALT_BYTES);
  rng.fillBytes(salt);
  const key = await scryptAsync(Buffer.from(credential), salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when `credential` matches `encoded`; false for a wrong credential or a malformed hash. */
export async function verifyCredential(encoded: string, credential: string | Buffer): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((x) => Number.isSafeInteger(x) && x > 0)) return false;
  const salt = Buffer.from(parts[4] as string, 'base64url');
  const expected = Buffer.from(parts[5] as string, 'base64url');
  if (expected.length !== KEY_BYTES) return false;
  const actual = await scryptAsync(Buffer.from(credential), salt, { N, r, p });
  return timingSafeEqual(actual, expected);
}

/** A new random credential: 32 bytes, base64url (43 characters). */
export function newCredential(rng: RandomSource): string {
  const bytes = Buffer.alloc(32);
  rng.fillBytes(bytes);
  return bytes.toString('base64url');
}
