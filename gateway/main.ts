import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { CliIo } from '../shared/cli/command.ts';
import { ConfigError, type LoadedConfig } from '../shared/config/load-config.ts';
import { AppError, EXIT, isAppError } from '../shared/errors.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { announceHealthy } from '../shared/health-file.ts';
import { createLogger } from '../shared/ports/logger.ts';
import type { Problem } from '../shared/validation.ts';
import { captureTrace } from './adapters/trace-recorder.ts';
import { loadSystemNoble } from './adapters/noble-loader.ts';
import { ReplaySource } from './adapters/replay-source.ts';
import { bleSourceFromConfig } from './ble/mod.ts';
import { createGateway } from './app.ts';
import type { GatewayConfig } from './config.schema.ts';
import { loadGatewayConfig } from './mod.ts';

/**
 * The gateway's process entry (`hushpoint gateway`): load and check the config, build the
 * real dependencies, start, and stop cleanly on SIGTERM/SIGINT. Arguments are parsed by
 * cli/commands/gateway.ts.
 */

/** Files the config points at must exist and be readable: checked by --check-config and at start. */
export function fileProblems(loaded: LoadedConfig<GatewayConfig>): Problem[] {
  const { config } = loaded;
  const problems: Problem[] = [];
  const readable = (pointer: string, path: string): void => {
    const absolute = loaded.resolvePath(path);
    try {
      accessSync(absolute, constants.R_OK);
    } catch (error) {
      problems.push({
        path: pointer,
        message: `"${absolute}" cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      });
    }
  };
  readable('/hub/credentialFile', config.hub.credentialFile);
  if (config.hub.caFile !== undefined) readable('/hub/caFile', config.hub.caFile);
  if (config.ble.source.startsWith('replay:')) readable('/ble/source', config.ble.source.slice('replay:'.length));
  const outboxDir = dirname(loaded.resolvePath(config.outbox.path));
  if (existsSync(outboxDir)) {
    try {
      accessSync(outboxDir, constants.W_OK);
    } catch {
      problems.push({ path: '/outbox/path', message: `folder "${outboxDir}" is not writable` });
    }
  }
  return problems;
}

/**
 * `--replay FILE` replaces the config's BLE source with `replay:FILE` (FILE from the working
 * directory, a JSONL trace or a btsnoop capture), everything else as configured.
 */
function withReplay(loaded: LoadedConfig<GatewayConfig>, replay: string | undefined): LoadedConfig<GatewayConfig> {
  if (replay === undefined) return loaded;
  const config = { ...loaded.config, ble: { ...loaded.config.ble, source: `replay:${resolve(replay)}` } };
  return { ...loaded, config: Object.freeze(config) };
}

export function loadCheckedConfig(file: string, replay?: string): LoadedConfig<GatewayConfig> {
  const loaded = withReplay(loadGatewayConfig(file), replay);
  const problems = fileProblems(loaded);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return loaded;
}

/**
 * noble's debug output (DEBUG=hci,gap,...) prints every advert with its address; the gateway
 * process turns it off so that no MAC address can reach the journal that way.
 */
function silenceNobleDebug(): void {
  try {
    const require = createRequire(createRequire(import.meta.url).resolve('@abandonware/noble/package.json'));
    (require('debug') as { disable(): string }).disable();
  } catch {
    // no debug module: nothing can print
  }
}

const EXIT_FOR: Partial<Record<string, number>> = {
  BLE_ADAPTER_UNAVAILABLE: EXIT.UNAVAILABLE,
  BLE_TRACE_INVALID: EXIT.DATA,
  CFG_INVALID: EXIT.CONFIG,
  CFG_UNREADABLE: EXIT.CONFIG,
  STORE_FAILED: EXIT.FAILURE,
};

export async function runGateway(options: {
  configFile: string;
  logLevel?: string;
  /** A JSONL trace or btsnoop capture to replay instead of the configured BLE source. */
  replay?: string;
  io: CliIo;
  path: string;
}): Promise<number> {
  const loaded = loadCheckedConfig(options.configFile, options.replay);
  const { config } = loaded;
  silenceNobleDebug();
  const logger = createLogger({ level: options.logLevel ?? config.log.level, name: 'hushpoint-gateway' });
  const ble = bleSourceFromConfig(config, {
    resolvePath: loaded.resolvePath,
    clock: systemClock,
    logger: logger.child({ component: 'ble' }),
  });
  const gateway = createGateway({
    config,
    resolvePath: loaded.resolvePath,
    ble,
    clock: systemClock,
    logger,
    reloadConfig: () => loadCheckedConfig(options.configFile, options.replay).config,
  });
  let signalled: (signal: string) => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => {
    signalled = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => signalled(signal);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await gateway.start();
  } catch (error) {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
    if (isAppError(error)) {
      logger.error({ code: error.code, detail: error.message }, 'gateway failed to start');
      logger.flush();
      options.io.err(`${options.path}: ${error.code}: ${error.message}`);
      return EXIT_FOR[error.code] ?? EXIT.FAILURE;
    }
    throw error;
  }
  announceHealthy('gateway', logger);
  // A damaged capture replays what comes before the damage; the exit code still says the data was bad.
  const damaged = ble instanceof ReplaySource ? ble.problem : null;
  if (damaged !== null) options.io.err(`${options.path}: ${damaged.code}: ${damaged.message}; replaying those`);
  const signal = await stopSignal;
  logger.info({ signal }, 'stopping');
  await gateway.stop();
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGINT', onSignal);
  await new Promise<void>((done) => logger.flush(() => done()));
  return damaged === null ? EXIT.OK : EXIT.DATA;
}

export function checkGatewayConfigFile(file: string, io: CliIo, replay?: string): number {
  const loaded = loadCheckedConfig(file, replay);
  io.out(
    `${file}: valid gateway config (store ${loaded.config.store}, gateway ${loaded.config.gateway}, BLE ${loaded.config.ble.source})`,
  );
  return EXIT.OK;
}

export async function runCapture(options: {
  seconds: number;
  out: string;
  configFile?: string;
  adapterIndex?: number;
  io: CliIo;
  path: string;
}): Promise<number> {
  const loaded = options.configFile === undefined ? undefined : loadGatewayConfig(options.configFile);
  const adapterIndex = options.adapterIndex ?? loaded?.config.ble.adapterIndex ?? 0;
  if (existsSync(options.out))
    throw new AppError(
      'CLI_USAGE',
      `--out "${options.out}" already exists, expected a new file (the capture never overwrites)`,
    );
  silenceNobleDebug();
  let noble;
  try {
    noble = loadSystemNoble(adapterIndex);
  } catch (error) {
    if (isAppError(error, 'BLE_ADAPTER_UNAVAILABLE')) {
      options.io.err(`${options.path}: ${error.code}: ${error.message}`);
      return EXIT.UNAVAILABLE;
    }
    throw error;
  }
  options.io.err(
    `capturing opt-in frames on hci${adapterIndex} for ${options.seconds} s to ${options.out} (addresses zeroed)...`,
  );
  const result = await captureTrace(noble, {
    seconds: options.seconds,
    out: options.out,
    clock: systemClock,
    ...(loaded !== undefined ? { gateway: loaded.config.gateway } : {}),
  });
  options.io.out(`${options.out}: ${result.recorded} opt-in reports recorded of ${result.heard} heard`);
  return EXIT.OK;
}
