import { loadConfig } from '../shared/config/load-config.ts';
import { EXIT } from '../shared/errors.ts';
import { createLogger, type Logger } from '../shared/ports/logger.ts';
import { CryptoRandomSource } from '../shared/ports/random.ts';
import { systemClock } from '../shared/ports/clock.ts';
import type { CliIo } from '../shared/cli/command.ts';
import { announceHealthy } from '../shared/health-file.ts';
import { hubRole } from './config.schema.ts';
import { createHub } from './app.ts';

/**
 * `hushpoint hub --config hub.yaml`: load and validate the config (exit 78 on a bad file), build
 * the real dependencies, start, and stop cleanly on SIGINT/SIGTERM.
 */
export async function runHub(
  configFile: string,
  options: { io: CliIo; logLevel?: string; checkOnly?: boolean; logger?: Logger },
): Promise<number> {
  const loaded = loadConfig(hubRole, configFile);
  if (options.checkOnly === true) {
    options.io.out(`${configFile}: valid hub config`);
    return EXIT.OK;
  }
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? loaded.config.log.level, name: 'hub' });
  const hub = createHub({
    config: loaded.config,
    resolvePath: loaded.resolvePath,
    logger,
    clock: systemClock,
    random: new CryptoRandomSource(),
  });
  await hub.start();
  announceHealthy('hub', logger);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  logger.info({ signal }, 'hub stopping');
  await hub.stop();
  logger.flush();
  return EXIT.OK;
}
