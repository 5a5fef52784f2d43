import { AppError } from '../../../shared/errors.ts';
import type { BundleLimits } from './manifest.ts';

/**
 * The bundle file's framing (docs/updates.md#the-bundle):
 *
 *   bytes 0..7     the magic "HPUPD\x00\x01\n" (format 1)
 *   bytes 8..11    E, the envelope's length in bytes, unsigned 32-bit big-endian
 *   next E bytes   the envelope: UTF-8 JSON {format, v, alg, keyId, signature, manifest}
 *   the rest       one gzip stream: the files' bytes, concatenated in manifest order
 *
 * The envelope carries the manifest as a string, so the signed bytes are exactly the bytes in the
 * file and nothing needs canonicalising. Pure: no I/O, no crypto, no compression.
 */

export const MAGIC = Uint8Array.from([0x48, 0x50, 0x55, 0x50, 0x44, 0x00, 0x01, 0x0a]);
export const ENVELOPE_FORMAT = 'hushpoint-update';
/** Signed bytes = this prefix + the manifest text, so a signature made for another purpose never verifies. */
export const SIGNATURE_CONTEXT = 'hushpoint-update v1\n';

export interface Envelope {
  readonly format: typeof ENVELOPE_FORMAT;
  readonly v: 1;
  readonly alg: 'ed25519';
  /** First 16 hex digits of SHA-256 of the signer's public key (SPKI DER). */
  readonly keyId: string;
  /** Base64 of the 64-byte Ed25519 signature of SIGNATURE_CONTEXT + manifest. */
  readonly signature: string;
  readonly manifest: string;
}

export interface Framed {
  readonly envelope: Envelope;
  /** The gzip stream of the files. */
  readonly payload: Uint8Array;
}

const ENVELOPE_KEYS = ['format', 'v', 'alg', 'keyId', 'signature', 'manifest'] as const;

function bad(message: string): AppError {
  return new AppError('UPDATE_BAD_BUNDLE', message);
}

export function encodeFrame(envelope: Envelope, payload: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(envelope));
  const out = new Uint8Array(MAGIC.length + 4 + text.length + payload.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, text.length, false);
  out.set(text, MAGIC.length + 4);
  out.set(payload, MAGIC.length + 4 + text.length);
  return out;
}

function parseEnvelope(text: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw bad(`envelope is not JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('envelope is not a JSON object');
  const e = value as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (!(ENVELOPE_KEYS as readonly string[]).includes(key))
      throw bad(`envelope has the unknown field ${JSON.stringify(key)}, expected only: ${ENVELOPE_KEYS.join(', ')}`);
  }
  if (e.format !== ENVELOPE_FORMAT || e.v !== 1)
    throw bad(`envelope is format ${JSON.stringify(e.format)} v${String(e.v)}, expected "${ENVELOPE_FORMAT}" v1`);
  if (e.alg !== 'ed25519') throw bad(`envelope alg is ${JSON.stringify(e.alg)}, expected "ed25519"`);
  if (typeof e.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(e.keyId))
    throw bad('envelope keyId is not 16 lowercase hex digits');
  if (typeof e.signature !== 'string' || !/^[A-Za-z0-9+/]{86}==$/.test(e.signature))
    throw bad('envelope signature is not the base64 of 64 bytes');
  if (typeof e.manifest !== 'string') throw bad('envelope manifest is not a string');
  return {
    format: ENVELOPE_FORMAT,
    v: 1,
    alg: 'ed25519',
    keyId: e.keyId,
    signature: e.signature,
    manifest: e.manifest,
  };
}

/** Splits a bundle's bytes into its envelope and payload; refuses a bad magic, length or envelope. */
export function decodeFrame(bytes: Uint8Array, limits: BundleLimits): Framed {
  if (bytes.length > limits.maxBundleBytes)
    throw new AppError(
      'UPDATE_TOO_LARGE',
      `bundle is ${bytes.length} bytes, expected at most ${limits.maxBundleBytes}`,
    );
  const head = MAGIC.length + 4;
  if (bytes.length < head || !MAGIC.every((b, i) => bytes[i] === b))
    throw bad('not a hushpoint update bundle: the file does not start with the bundle magic "HPUPD\\0\\1\\n"');
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, false);
  if (length > limits.maxEnvelopeBytes)
    throw new AppError(
      'UPDATE_TOO_LARGE',
      `bundle envelope is ${length} bytes, expected at most ${limits.maxEnvelopeBytes}`,
    );
  if (head + length > bytes.length)
    throw bad(`bundle is truncated: its envelope is ${length} bytes but only ${bytes.length - head} follow the header`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(head, head + length));
  } catch {
    throw bad('bundle envelope is not valid UTF-8');
  }
  return { envelope: parseEnvelope(text), payload: bytes.subarray(head + length) };
}
