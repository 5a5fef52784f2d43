import { loadConfig } from '../shared/config/load-config.ts';
import { EXIT } from '../shared/errors.ts';
import { createLogger, type Logger } from '../shared/ports/logger.ts';
import { systemClock } from '../shared/ports/clock.ts';
import type { CliIo } from '../shared/cli/command.ts';
import { hqRole } from './config.schema.ts';
import { createHq, type Hq } from './app.ts';

/**
 * `hushpoint hq --config hq.yaml` (HTTP API, dashboard and, with an mqtt section, a consumer) and
 * `hushpoint hq consume --config hq.yaml --consumer-id ID` (a consumer only): load and validate
 * the config (exit 78 on a bad file), start, stop cleanly on SIGINT/SIGTERM.
 */

interface RunOptions {
  io: CliIo;
  logLevel?: string;
  checkOnly?: boolean;
  logger?: Logger;
  consumerId?: string;
  /** Drain this consumer's sessions and remove it from the group, then exit. */
  leave?: boolean;
}

async function untilSignal(hq: Hq, logger: Logger): Promise<number> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  logger.info({ signal }, 'hq stopping');
  await hq.stop();
  logger.flush();
  return EXIT.OK;
}

export async function runHq(configFile: string, options: RunOptions): Promise<number> {
  const loaded = loadConfig(hqRole, configFile);
  if (options.checkOnly === true) {
    options.io.out(`${configFile}: valid hq config`);
    return EXIT.OK;
  }
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? loaded.config.log.level, name: 'hq' });
  const hq = createHq({
    config: loaded.config,
    resolvePath: loaded.resolvePath,
    clock: systemClock,
    logger,
    ...(options.consumerId !== undefined ? { consumerId: options.consumerId } : {}),
  });
  const port = await hq.start();
  const host = hq.secure ? loaded.config.listen.host : '127.0.0.1';
  options.io.err(`hq listening on ${hq.secure ? 'https' : 'http'}://${host}:${port}/v1/releases`);
  options.io.err(`hq dashboard on ${hq.secure ? 'https' : 'http'}://${host}:${port}/dashboard`);
  if (hq.consumer !== null) options.io.err(`hq consuming ${loaded.config.mqtt?.url ?? ''}`);
  return untilSignal(hq, logger);
}

export async function runConsumer(configFile: string, options: RunOptions): Promise<number> {
  const loaded = loadConfig(hqRole, configFile);
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? loaded.config.log.level, name: 'hq' });
  if (loaded.config.mqtt === undefined) {
    options.io.err(`${configFile}: /mqtt is required to consume, expected the broker's url, caFile and credentials`);
    return EXIT.CONFIG;
  }
  const hq = createHq({
    config: loaded.config,
    resolvePath: loaded.resolvePath,
    clock: systemClock,
    logger,
    serve: false,
    consumerMode: options.leave === true ? 'leave' : 'consume',
    ...(options.consumerId !== undefined ? { consumerId: options.consumerId } : {}),
  });
  await hq.start();
  const id = options.consumerId ?? loaded.config.mqtt.consumerId;
  if (options.leave === true) {
    const drained = await (hq.consumer as NonNullable<typeof hq.consumer>).leave();
    await hq.stop();
    options.io.out(`hq consumer ${id} left the group after storing ${drained} releases its sessions held`);
    logger.flush();
    return EXIT.OK;
  }
  options.io.err(`hq consumer ${id} consuming ${loaded.config.mqtt.url}`);
  return untilSignal(hq, logger);
}
