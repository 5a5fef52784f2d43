import { loadConfig } from '../../shared/config/load-config.ts';
import { requireString, usageError, type Command, type OptionValues } from '../../shared/cli/command.ts';
import { EXIT } from '../../shared/errors.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { ID_PATTERN } from '../../shared/protocol/topics.ts';
import { computeTotals, formatTotals, hqRole, openConfiguredStore, runConsumer, runHq } from '../../hq/mod.ts';

/** `hushpoint hq`: the chain's receiver of DP releases, its consumers and its totals report (`collector` is an alias). */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Unix seconds from a date "2026-11-28", an ISO date-time or Unix seconds. */
function timeOption(values: OptionValues, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && /^\d+$/.test(raw)) return Number(raw);
  const ms = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms))
    throw usageError(
      `--${name} is "${String(raw)}", expected Unix seconds, a date such as 2026-11-28 or an ISO 8601 date-time`,
    );
  return Math.floor(ms / 1000);
}

function logLevelOption(values: OptionValues): string | undefined {
  const logLevel = typeof values['log-level'] === 'string' ? values['log-level'] : undefined;
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel))
    throw usageError(`--log-level is "${logLevel}", expected one of ${LOG_LEVELS.join(', ')}`);
  return logLevel;
}

function consumerIdOption(values: OptionValues): string | undefined {
  const id = values['consumer-id'];
  if (id === undefined) return undefined;
  if (typeof id !== 'string' || !new RegExp(ID_PATTERN).test(id))
    throw usageError(`--consumer-id is "${String(id)}", expected 1-64 of [a-z0-9-] (stable across restarts)`);
  return id;
}

const CONFIG_OPTION = { type: 'string', value: 'FILE', description: 'the HQ config file (hq.yaml)' } as const;
const LOG_OPTION = {
  type: 'string',
  value: 'LEVEL',
  description: 'fatal, error, warn, info, debug, trace or silent',
} as const;
const CONSUMER_OPTION = {
  type: 'string',
  value: 'ID',
  description: "this consumer's id (overrides mqtt.consumerId; its broker sessions are named after it)",
} as const;

const totalsCommand: Command = {
  name: 'totals',
  summary: 'print store-level totals of the received releases: raw noisy sums and consistent non-negative views',
  description: `Raw totals are the sums of the noisy values as released (unbiased; noise sd bound shown).
Consistent views are post-processing for display: per release, the cells are projected onto
non-negative integers that add up to the release's rounded non-negative total (least squares).`,
  options: {
    config: CONFIG_OPTION,
    store: { type: 'string', value: 'ID', description: 'only this store' },
    kind: {
      type: 'string',
      value: 'KIND',
      description: 'only this release kind (footfall, visits, dwell, transitions, ...)',
    },
    from: { type: 'string', value: 'TIME', description: 'windows starting at or after (date, ISO 8601 or Unix s)' },
    to: { type: 'string', value: 'TIME', description: 'windows starting before (date, ISO 8601 or Unix s)' },
    periods: { type: 'boolean', description: 'also print one line per release' },
    json: { type: 'boolean', description: 'print the totals as JSON' },
  },
  async run({ values }, { io }) {
    const loaded = loadConfig(hqRole, requireString(values, 'config', 'the HQ config file (hq.yaml)'));
    const fromUnix = timeOption(values, 'from');
    const toUnix = timeOption(values, 'to');
    const store = await openConfiguredStore(loaded.config, loaded.resolvePath, {
      logger: silentLogger(),
      readonly: true,
    });
    try {
      const releases = await store.listReleases({
        ...(typeof values.store === 'string' ? { store: values.store } : {}),
        ...(typeof values.kind === 'string' ? { kind: values.kind } : {}),
        ...(fromUnix !== undefined ? { fromUnix } : {}),
        ...(toUnix !== undefined ? { toUnix } : {}),
      });
      const totals = computeTotals(releases);
      if (values.json) io.out(JSON.stringify(totals));
      else for (const line of formatTotals(totals, { periods: values.periods === true })) io.out(line);
    } finally {
      await store.close();
    }
    return EXIT.OK;
  },
};

const consumeCommand: Command = {
  name: 'consume',
  summary: "run one more HQ consumer of the chain's broker (no HTTP): add or remove them under load",
  description: `Joins the MQTT 5 shared subscription of hq.yaml's mqtt section and writes releases into HQ's
database. Run as many as the load needs, each with its own stable --consumer-id (its broker
sessions keep what it had not acknowledged while it is down; restart it with the same id).`,
  options: { config: CONFIG_OPTION, 'consumer-id': CONSUMER_OPTION, 'log-level': LOG_OPTION },
  run({ values }, { io }) {
    const configFile = requireString(values, 'config', 'the HQ config file (hq.yaml)');
    const logLevel = logLevelOption(values);
    const consumerId = consumerIdOption(values);
    return runConsumer(configFile, {
      io,
      ...(logLevel !== undefined ? { logLevel } : {}),
      ...(consumerId !== undefined ? { consumerId } : {}),
    });
  },
};

const HQ_SUMMARY = "run HQ, the chain's receiver of stores' DP releases (HTTPS, MQTT, dashboard, API)";

function hqCommandNamed(name: 'hq' | 'collector'): Command {
  return {
    name,
    summary: name === 'hq' ? HQ_SUMMARY : 'an alias of "hushpoint hq" (its older name)',
    usage: `hushpoint ${name} --config FILE [--check-config] [--log-level LEVEL] [--consumer-id ID] | hushpoint ${name} <command> ...`,
    ...(name === 'collector'
      ? { description: '"hushpoint collector" is an alias of "hushpoint hq": the same command.' }
      : {}),
    options: {
      config: CONFIG_OPTION,
      'check-config': { type: 'boolean', description: 'validate the config file and exit (78 when invalid)' },
      'log-level': LOG_OPTION,
      'consumer-id': CONSUMER_OPTION,
    },
    subcommands: () => [consumeCommand, totalsCommand],
    run({ values }, { io }) {
      if (name === 'collector') io.err('note: "hushpoint collector" is an alias of "hushpoint hq"');
      const configFile = requireString(values, 'config', 'the HQ config file (hq.yaml)');
      const logLevel = logLevelOption(values);
      const consumerId = consumerIdOption(values);
      return runHq(configFile, {
        io,
        checkOnly: values['check-config'] === true,
        ...(logLevel !== undefined ? { logLevel } : {}),
        ...(consumerId !== undefined ? { consumerId } : {}),
      });
    },
  };
}

export const hqCommand: Command = hqCommandNamed('hq');
/** `hushpoint collector`: the older name of `hushpoint hq`, kept as an alias. */
export const collectorCommand: Command = hqCommandNamed('collector');
