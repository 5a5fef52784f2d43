import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { AppError } from '../../errors.ts';

/**
 * Signed model files (Ed25519, node:crypto): HQ signs with its private key, every hub verifies with
 * HQ's public key before it uses a model — a hub can check but never forge, unlike a shared HMAC key.
 *
 * The file is an envelope around the exact body bytes, so nothing needs canonicalising:
 *   {"format":"hushpoint-signed-model","v":1,"alg":"ed25519","keyId":"<16 hex>",
 *    "signature":"<base64 of Ed25519(body as UTF-8)>","body":"<the model JSON text>"}
 * keyId is the first 16 hex digits of SHA-256 of the public key (SPKI DER): it names the key, the
 * signature proves it.
 */

export const ENVELOPE_FORMAT = 'hushpoint-signed-model';

export interface SignedEnvelope {
  readonly format: typeof ENVELOPE_FORMAT;
  readonly v: 1;
  readonly alg: 'ed25519';
  readonly keyId: string;
  readonly signature: string;
  readonly body: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** A new Ed25519 key pair as PEM texts (PKCS#8 private, SPKI public). */
export function generateModelKeyPair(): { privatePem: string; publicPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

export function parsePrivateKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new AppError('RECO_MODEL_SIGNATURE', `${source} is not a private key in PEM: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new AppError(
      'RECO_MODEL_SIGNATURE',
      `${source} is a ${key.asymmetricKeyType} key, expected an Ed25519 private key`,
    );
  }
  return key;
}

export function parsePublicKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new AppError('RECO_MODEL_SIGNATURE', `${source} is not a public key in PEM: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new AppError(
      'RECO_MODEL_SIGNATURE',
      `${source} is a ${key.asymmetricKeyType} key, expected an Ed25519 public key`,
    );
  }
  return key;
}

export function signModelBody(body: string, privateKey: KeyObject): string {
  const publicKey = createPublicKey(privateKey);
  const envelope: SignedEnvelope = {
    format: ENVELOPE_FORMAT,
    v: 1,
    alg: 'ed25519',
    keyId: keyIdOf(publicKey),
    signature: sign(null, Buffer.from(body, 'utf8'), privateKey).toString('base64'),
    body,
  };
  return `${JSON.stringify(envelope)}\n`;
}

/** The verified body of a signed model, or an error naming what failed (a tampered file is refused). */
export function openSignedModel(text: string, publicKey: KeyObject, source: string): string {
  let envelope: Partial<SignedEnvelope>;
  try {
    envelope = JSON.parse(text) as Partial<SignedEnvelope>;
  } catch (error) {
    throw new AppError('RECO_MODEL_INVALID', `${source} is not a signed model (not JSON: ${(error as Error).message})`);
  }
  if (envelope === null || typeof envelope !== 'object' || envelope.format !== ENVELOPE_FORMAT || envelope.v !== 1) {
    throw new AppError(
      'RECO_MODEL_INVALID',
      `${source} is not a signed model, expected format "${ENVELOPE_FORMAT}" v1`,
    );
  }
  if (envelope.alg !== 'ed25519' || typeof envelope.signature !== 'string' || typeof envelope.body !== 'string') {
    throw new AppError('RECO_MODEL_INVALID', `${source} lacks alg "ed25519", a signature or a body`);
  }
  const expectedKey = keyIdOf(publicKey);
  if (envelope.keyId !== expectedKey) {
    throw new AppError(
      'RECO_MODEL_SIGNATURE',
      `${source} is signed by key ${JSON.stringify(envelope.keyId)}, expected the trusted key ${expectedKey}`,
    );
  }
  const ok = verify(null, Buffer.from(envelope.body, 'utf8'), publicKey, Buffer.from(envelope.signature, 'base64'));
  if (!ok) {
    throw new AppError(
      'RECO_MODEL_SIGNATURE',
      `${source} does not verify with key ${expectedKey}: its body or signature was changed after signing; refusing it`,
    );
  }
  return envelope.body;
}
