import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../shared/errors.ts';
import { randomHex, type RandomSource } from '../../shared/ports/random.ts';
import {
  CONSUMER_USER,
  mosquittoAcl,
  mosquittoConf,
  passwordLines,
  type MosquittoPlan,
} from './core/mosquitto-config.ts';

/**
 * Writes a chain broker's files into a directory (`hushpoint hq broker-files`, and the tests'
 * brokers): mosquitto.conf, acl, the password file hashed by Debian's `mosquitto_passwd -U`,
 * and one credential file per store (stores/<id>.password, for the store's hub) plus
 * hq-consumer.password (for hq.yaml's mqtt.passwordFile). Passwords are 32 random bytes (hex)
 * from the given RandomSource. Refuses to overwrite an existing directory's files.
 */

const run = promisify(execFile);
export const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';

export interface BrokerFiles {
  readonly dir: string;
  readonly confFile: string;
  readonly consumer: { readonly username: string; readonly password: string; readonly passwordFile: string };
  /** Store id → password. */
  readonly stores: ReadonlyMap<string, string>;
}

export async function writeBrokerFiles(
  dir: string,
  options: {
    readonly stores: readonly string[];
    readonly rng: RandomSource;
    readonly host: string;
    readonly port: number;
    readonly tls: MosquittoPlan['tls'];
    readonly force?: boolean;
    readonly user?: string;
  },
): Promise<BrokerFiles> {
  const confFile = join(dir, 'mosquitto.conf');
  if (existsSync(confFile) && options.force !== true)
    throw new AppError('PROV_EXISTS', `${confFile} already exists, expected an empty directory (or --force)`);
  if (!existsSync(MOSQUITTO_PASSWD))
    throw new AppError(
      'INTERNAL',
      `${MOSQUITTO_PASSWD} is missing, expected Debian's mosquitto package (apt-get install mosquitto)`,
    );
  mkdirSync(join(dir, 'stores'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'data'), { recursive: true, mode: 0o700 });
  const credentials = new Map<string, string>([[CONSUMER_USER, randomHex(options.rng, 32)]]);
  for (const store of options.stores) credentials.set(store, randomHex(options.rng, 32));
  const passwordFile = join(dir, 'passwords');
  writeFileSync(passwordFile, passwordLines(credentials), { mode: 0o600 });
  try {
    await run(MOSQUITTO_PASSWD, ['-U', passwordFile]);
  } catch (error) {
    throw new AppError('INTERNAL', `mosquitto_passwd -U ${passwordFile} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  chmodSync(passwordFile, 0o644); // mosquitto reads it after dropping privileges; it holds salted hashes only
  const aclFile = join(dir, 'acl');
  writeFileSync(aclFile, mosquittoAcl());
  writeFileSync(
    confFile,
    mosquittoConf({
      host: options.host,
      port: options.port,
      tls: options.tls,
      passwordFile,
      aclFile,
      persistenceDir: `${join(dir, 'data')}/`,
      ...(options.user !== undefined ? { user: options.user } : {}),
    }),
  );
  for (const store of options.stores)
    writeFileSync(join(dir, 'stores', `${store}.password`), `${credentials.get(store) as string}\n`, { mode: 0o600 });
  const consumerFile = join(dir, 'hq-consumer.password');
  writeFileSync(consumerFile, `${credentials.get(CONSUMER_USER) as string}\n`, { mode: 0o600 });
  return {
    dir,
    confFile,
    consumer: {
      username: CONSUMER_USER,
      password: credentials.get(CONSUMER_USER) as string,
      passwordFile: consumerFile,
    },
    stores: new Map(options.stores.map((s) => [s, credentials.get(s) as string])),
  };
}
