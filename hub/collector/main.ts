import { loadConfig } from '../../shared/config/load-config.ts';
import { EXIT } from '../../shared/errors.ts';
import { createLogger, type Logger } from '../../shared/ports/logger.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import type { CliIo } from '../../shared/cli/command.ts';
import { collectorRole } from './config.schema.ts';
import { createCollector } from './app.ts';

/**
 * `hushpoint collector --config collector.yaml`: load and validate the config (exit 78 on a bad
 * file), start the receiver, stop cleanly on SIGINT/SIGTERM.
 */
export async function runCollector(
  configFile: string,
  options: { io: CliIo; logLevel?: string; checkOnly?: boolean; logger?: Logger },
): Promise<number> {
  const loaded = loadConfig(collectorRole, configFile);
  if (options.checkOnly === true) {
    options.io.out(`${configFile}: valid collector config`);
    return EXIT.OK;
  }
  const logger =
    options.logger ?? createLogger({ level: options.logLevel ?? loaded.config.log.level, name: 'collector' });
  const collector = createCollector({
    config: loaded.config,
    resolvePath: loaded.resolvePath,
    clock: systemClock,
    logger,
  });
  const port = await collector.start();
  options.io.err(
    `collector listening on ${collector.secure ? 'https' : 'http'}://${collector.secure ? loaded.config.listen.host : '127.0.0.1'}:${port}/v1/releases`,
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
