import { readFileSync, statSync } from 'node:fs';
import { AppError } from '../../shared/errors.ts';
import { assertPrivateFile } from '../../shared/secrets/secret-file.ts';

/** Resolves a path from the config (relative to the config file). */
export type ResolvePath = (path: string) => string;

function unreadable(what: string, path: string, error: unknown): AppError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new AppError('CFG_UNREADABLE', `The ${what} "${path}" cannot be read (${reason})`);
}

/** A bearer token from its file (trimmed, at least 16 characters), or null when no file is configured. */
export function readTokenFile(path: string | undefined, resolvePath: ResolvePath, what: string): string | null {
  if (path === undefined) return null;
  let token: string;
  assertPrivateFile(resolvePath(path), `${what} token file`);
  try {
    token = readFileSync(resolvePath(path), 'utf8').trim();
  } catch (error) {
    throw unreadable(`${what} token file`, path, error);
  }
  if (token.length < 16) {
    throw new AppError(
      'CFG_INVALID',
      `The ${what} token file "${path}" holds ${token.length} characters, expected at least 16`,
    );
  }
  return token;
}

/** A PEM certificate or key from its file (a private key must not be readable by others). */
export function readPemFile(path: string, resolvePath: ResolvePath, what: string, secret = false): Buffer {
  if (secret) assertPrivateFile(resolvePath(path), what);
  try {
    return readFileSync(resolvePath(path));
  } catch (error) {
    throw unreadable(what, path, error);
  }
}

const KEY_HEX_RE = /^[0-9a-fA-F]{64}$/;

/**
 * A 32-byte secret key from its file (64 hex digits, surrounding whitespace ignored). The file
 * must be readable by its owner only (mode 0600 or stricter, as provisioning writes secrets): a
 * key that other users can read is refused, not used, since whoever holds it can test a guessed
 * customer id against the hub's links (docs/purchases.md#the-link-key).
 */
export function readKeyFile(path: string, resolvePath: ResolvePath, what: string): Buffer {
  const file = resolvePath(path);
  let mode: number;
  let text: string;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw unreadable(what, path, error);
  }
  if ((mode & 0o077) !== 0) {
    throw new AppError(
      'CFG_INVALID',
      `The ${what} "${path}" is readable by other users (mode 0${(mode & 0o777).toString(8)}), expected mode 0600 (chmod 600 ${path})`,
    );
  }
  if (!KEY_HEX_RE.test(text)) {
    throw new AppError(
      'CFG_INVALID',
      `The ${what} "${path}" holds ${text.length} characters that are not a key, expected 64 hex digits (32 random bytes)`,
    );
  }
  return Buffer.from(text, 'hex');
}
