import { readFileSync } from 'node:fs';
import { assertPrivateFile } from '../../shared/secrets/secret-file.ts';
import { AppError } from '../../shared/errors.ts';
import type { GatewayConfig } from '../config.schema.ts';

/** The files the hub link needs, read at each start (a bad one stops the start with CFG_INVALID). */
export interface HubSecrets {
  /** The gateway's MQTT password (the credential file, trimmed). */
  credential: string;
  /** The store CA, for mqtts:// URLs. */
  ca?: Buffer;
}

function unreadable(pointer: string, path: string, error: unknown): AppError {
  return new AppError(
    'CFG_INVALID',
    `${pointer} "${path}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    { cause: error },
  );
}

function readSecret(path: string, pointer: string): string {
  let text: string;
  assertPrivateFile(path, `${pointer} file`);
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw unreadable(pointer, path, error);
  }
  const secret = text.trim();
  if (secret.length === 0)
    throw new AppError('CFG_INVALID', `${pointer} "${path}" is empty, expected the gateway's credential`);
  return secret;
}

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw unreadable('/hub/caFile', path, error);
  }
}

export function readHubSecrets(config: GatewayConfig, resolvePath: (path: string) => string): HubSecrets {
  const credential = readSecret(resolvePath(config.hub.credentialFile), '/hub/credentialFile');
  if (config.hub.caFile === undefined) return { credential };
  return { credential, ca: readCa(resolvePath(config.hub.caFile)) };
}
