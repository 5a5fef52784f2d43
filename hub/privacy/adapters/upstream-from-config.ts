import { readFileSync } from 'node:fs';
import { AppError } from '../../../shared/errors.ts';
import { assertPrivateFile } from '../../../shared/secrets/secret-file.ts';
import type { Logger } from '../../../shared/ports/logger.ts';
import { parseSigningKey } from '../../../shared/upstream/signing.ts';
import type { UpstreamConfig } from '../config.schema.ts';
import type { UpstreamSender } from '../upstream-sender.ts';
import { createHttpsSender } from './https-sender.ts';
import { createMqttSender } from './mqtt-sender.ts';

/** The sender the `upstream` section asks for, or null when upstream sync is disabled. */
export function upstreamSenderFromConfig(
  config: UpstreamConfig,
  deps: { store: string; resolvePath: (path: string) => string; logger: Logger },
): UpstreamSender | null {
  if (!config.enabled) return null;
  if (config.url === undefined)
    throw new AppError('CFG_INVALID', 'upstream.url is required when upstream.enabled is true');
  const read = (path: string, what: string, secret = false): Buffer => {
    if (secret) assertPrivateFile(deps.resolvePath(path), what);
    try {
      return readFileSync(deps.resolvePath(path));
    } catch (error) {
      throw new AppError(
        'CFG_UNREADABLE',
        `The ${what} "${path}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
  };
  const ca = config.caFile === undefined ? undefined : read(config.caFile, 'upstream CA file');
  const timeoutMs = config.timeoutSeconds * 1000;
  if (config.transport === 'https') {
    if (config.signingKeyFile === undefined)
      throw new AppError('CFG_INVALID', 'upstream.signingKeyFile is required for the https transport');
    const key = parseSigningKey(
      read(config.signingKeyFile, 'upstream signing key file', true).toString('utf8'),
      config.signingKeyFile,
    );
    return createHttpsSender({
      url: config.url,
      store: deps.store,
      key,
      timeoutMs,
      ...(ca !== undefined ? { ca } : {}),
    });
  }
  const password =
    config.passwordFile === undefined
      ? undefined
      : read(config.passwordFile, 'upstream password file', true).toString('utf8').trim();
  return createMqttSender({
    url: config.url,
    store: deps.store,
    timeoutMs,
    logger: deps.logger,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(ca !== undefined ? { ca } : {}),
  });
}
