import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { PUBLIC_MODE, SECRET_MODE } from '../core/file-plan.ts';
import { writeFileAtomic } from '../adapters/fs-writer.ts';

/**
 * The store's update signing key (docs/updates.md#keys): an Ed25519 pair in the store folder. The
 * private half signs bundles on the technician's machine; devices hold only the public half, so
 * a device (or HQ, which knows the upstream HMAC key) can check a bundle but never make one.
 */

export const UPDATE_KEY_FILES = {
  privateKey: 'update-signing-key.pem',
  publicKey: 'update-signing.pub.pem',
} as const;

/** Where a device keeps the store's public update key. */
export const DEVICE_UPDATE_KEY = '/etc/hushpoint/update-signing.pub.pem';

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

function ed25519(key: KeyObject, source: string, kind: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519')
    throw new AppError(
      'UPDATE_BAD_SIGNATURE',
      `${source} is a ${String(key.asymmetricKeyType)} key, expected an Ed25519 ${kind} key`,
    );
  return key;
}

export function loadPrivateKey(file: string): KeyObject {
  try {
    return ed25519(createPrivateKey(readFileSync(file)), file, 'private');
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('UPDATE_BAD_SIGNATURE', `${file} is not a private key in PEM: ${(error as Error).message}`);
  }
}

export function loadPublicKey(file: string): KeyObject {
  if (!existsSync(file))
    throw new AppError(
      'PROV_NOT_FOUND',
      `the trusted update key ${file} does not exist; expected the store's ${UPDATE_KEY_FILES.publicKey} (give --key FILE)`,
    );
  try {
    return ed25519(createPublicKey(readFileSync(file)), file, 'public');
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('UPDATE_BAD_SIGNATURE', `${file} is not a public key in PEM: ${(error as Error).message}`);
  }
}

export interface StoreUpdateKey {
  privateKey: KeyObject;
  publicKeyFile: string;
  keyId: string;
  /** The pair was made now (the devices need its public half before they accept a bundle). */
  created: boolean;
}

/** The store folder's update key pair, made (0600 private, 0644 public) when the store has none yet. */
export function ensureStoreUpdateKey(storeDir: string): StoreUpdateKey {
  const privateFile = join(storeDir, UPDATE_KEY_FILES.privateKey);
  const publicKeyFile = join(storeDir, UPDATE_KEY_FILES.publicKey);
  let created = false;
  if (!existsSync(privateFile)) {
    const pair = generateKeyPairSync('ed25519');
    writeFileAtomic(privateFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), SECRET_MODE);
    created = true;
  }
  const privateKey = loadPrivateKey(privateFile);
  const publicKey = createPublicKey(privateKey);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  if (!existsSync(publicKeyFile) || readFileSync(publicKeyFile, 'utf8') !== publicPem)
    writeFileAtomic(publicKeyFile, publicPem, PUBLIC_MODE);
  return { privateKey, publicKeyFile, keyId: keyIdOf(publicKey), created };
}
