import { describe, expect, it } from 'vitest';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { hashCredential, newCredential, verifyCredential } from './credential-hash.ts';

describe('gateway credential hashes', () => {
  const rng = new CryptoRandomSource();

  it('verifies the right credential only, with a fresh salt per hash', async () => {
    const credential = newCredential(rng);
    expect(credential).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const a = await hashCredential(credential, rng);
    const b = await hashCredential(credential, rng);
    expect(a).toMatch(/^scrypt\$16384\$2\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(credential);
    expect(await verifyCredential(a, credential)).toBe(true);
    expect(await verifyCredential(b, credential)).toBe(true);
    expect(await verifyCredential(a, `${credential}x`)).toBe(false);
    expect(await verifyCredential(a, '')).toBe(false);
  });

  it('rejects malformed hashes instead of throwing', async () => {
    for (const bad of ['', 'bcrypt$1$2$3$4$5', 'scrypt$x$8$1$AAAA$AAAA', 'scrypt$16384$8$1$AAAA$AAAA']) {
      expect(await verifyCredential(bad, 'anything')).toBe(false);
    }
  });
});
