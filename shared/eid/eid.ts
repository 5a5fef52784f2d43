import { createCipheriv, type Cipher } from 'node:crypto';
import { AppError } from '../errors.ts';

/**
 * Eddystone-EID, exactly as google/eddystone `eddystone-eid/eid-computation.md` specifies:
 *
 *   TK  = AES-128-ECB(IK, 0x00×11 ‖ 0xFF ‖ 0x00 0x00 ‖ counter[31:16])          (temporary key)
 *   EID = first 8 bytes of AES-128-ECB(TK, 0x00×11 ‖ K ‖ (counter with its low K bits cleared, BE32))
 *
 * IK is the shopper's 128-bit identity key, K the rotation exponent (0..15, the EID changes every
 * 2^K s) and the counter a 32-bit seconds counter; hushpoint uses Unix seconds (docs/architecture.md#identifiers).
 * The temporary key only changes every 65,536 s, so it is cached per (IK, counter >> 16).
 */

export const MAX_EXPONENT = 15;
export const EID_BYTES = 8;

export interface EidParams {
  identityKey: Uint8Array;
  exponent: number;
  counter: number;
}

export function parseIdentityKey(hex: string): Buffer {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) {
    throw new AppError(
      'EID_BAD_KEY',
      `Identity key "${hex.length > 40 ? `${hex.slice(0, 40)}…` : hex}" is ${hex.length} characters, expected 32 hex digits (16 bytes)`,
    );
  }
  return Buffer.from(hex, 'hex');
}

export function assertExponent(exponent: number): void {
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > MAX_EXPONENT) {
    throw new AppError('EID_BAD_EXPONENT', `Rotation exponent is ${exponent}, expected an integer 0..15`);
  }
}

export function assertCounter(counter: number): void {
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff) {
    throw new AppError('EID_BAD_COUNTER', `Seconds counter is ${counter}, expected an integer 0..4294967295`);
  }
}

function assertKey(key: Uint8Array): void {
  if (key.length !== 16) throw new AppError('EID_BAD_KEY', `Identity key is ${key.length} bytes, expected 16`);
}

function aesBlock(cipherKey: Uint8Array, block: Uint8Array): Buffer {
  const cipher: Cipher = createCipheriv('aes-128-ecb', cipherKey, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

/** The temporary key for the 65,536-second epoch that contains `counter`. */
export function temporaryKey(identityKey: Uint8Array, counter: number): Buffer {
  assertKey(identityKey);
  assertCounter(counter);
  const block = Buffer.alloc(16);
  block[11] = 0xff;
  block.writeUInt16BE(counter >>> 16, 14);
  return aesBlock(identityKey, block);
}

/** The start of the rotation period containing `counter` (its low K bits cleared). */
export function periodStart(counter: number, exponent: number): number {
  return Math.floor(counter / 2 ** exponent) * 2 ** exponent;
}

/** The EID from an already computed temporary key. */
export function eidFromTemporaryKey(tk: Uint8Array, exponent: number, counter: number): Buffer {
  assertExponent(exponent);
  assertCounter(counter);
  const block = Buffer.alloc(16);
  block[11] = exponent;
  block.writeUInt32BE(periodStart(counter, exponent), 12);
  return aesBlock(tk, block).subarray(0, EID_BYTES);
}

/** The 8-byte EID (uncached). */
export function computeEid(params: EidParams): Buffer {
  return eidFromTemporaryKey(temporaryKey(params.identityKey, params.counter), params.exponent, params.counter);
}

export function computeEidHex(params: EidParams): string {
  return computeEid(params).toString('hex');
}

/**
 * Computes EIDs for many keys, caching each key's temporary key for its 65,536 s epoch
 * (the spec's own suggestion) and an AES cipher per TK. Bounded: at most `maxKeys` cached
 * entries; the oldest is evicted first.
 */
export class EidCalculator {
  readonly #cache = new Map<string, { epoch: number; tk: Buffer }>();
  readonly #maxKeys: number;

  constructor(options: { maxKeys?: number } = {}) {
    this.#maxKeys = options.maxKeys ?? 1_000_000;
  }

  temporaryKey(identityKey: Uint8Array, counter: number): Buffer {
    assertCounter(counter);
    const cacheKey = Buffer.from(identityKey).toString('base64');
    const epoch = counter >>> 16;
    const hit = this.#cache.get(cacheKey);
    if (hit !== undefined && hit.epoch === epoch) return hit.tk;
    const tk = temporaryKey(identityKey, counter);
    if (hit === undefined && this.#cache.size >= this.#maxKeys) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(cacheKey, { epoch, tk });
    return tk;
  }

  eid(identityKey: Uint8Array, exponent: number, counter: number): Buffer {
    return eidFromTemporaryKey(this.temporaryKey(identityKey, counter), exponent, counter);
  }

  eidHex(identityKey: Uint8Array, exponent: number, counter: number): string {
    return this.eid(identityKey, exponent, counter).toString('hex');
  }

  forget(identityKey: Uint8Array): void {
    this.#cache.delete(Buffer.from(identityKey).toString('base64'));
  }

  get size(): number {
    return this.#cache.size;
  }
}
