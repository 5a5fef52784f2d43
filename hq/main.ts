import { loadConfig } from '../shared/config/load-config.ts';
import { EXIT } from '../shared/errors.ts';
import { createLogger, type Logger } from '../shared/ports/logger.ts';
import { systemClock } from '../shared/ports/clock.ts';
import type { CliIo } from '../shared/cli/command.ts';
import { hqRole } from './config.schema.ts';
import { createHq } from './app.ts';

/**
 * `hushpoint collector --config collector.yaml`: load and validate the config (exit 78 on a bad
 * file), start the receiver, stop cleanly on SIGINT/SIGTERM.
 */
export async function runHq(
  configFile: string,
  options: { io: CliIo; logLevel?: string; checkOnly?: boolean; logger?: Logger },
): Promise<number> {
  const loaded = loadConfig(hqRole, configFile);
  if (options.checkOnly === true) {
    options.io.out(`${configFile}: valid hq config`);
    return EXIT.OK;
  }
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? loaded.config.log.level, name: 'hq' });
  const collector = createHq({
    config: loaded.config,
    resolvePath: loaded.resolvePath,
    clock: systemClock,
    logger,
  });
  const port = await collector.start();
  options.io.err(
    `hq listening on ${collector.secure ? 'https' : 'http'}://${collector.secure ? loaded.config.listen.host : '127.0.0.1'}:${port}/v1/releases`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  logger.info({ signal }, 'collector stopping');
  await collector.stop();
  logger.flush();
  return EXIT.OK;
}
