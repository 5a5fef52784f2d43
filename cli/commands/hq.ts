import { loadConfig } from '../../shared/config/load-config.ts';
import { intOption, requireString, usageError, type Command, type OptionValues } from '../../shared/cli/command.ts';
import { EXIT } from '../../shared/errors.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { ID_PATTERN } from '../../shared/protocol/topics.ts';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import {
  computeTotals,
  createHq,
  formatTotals,
  hqRole,
  importReleaseFiles,
  openConfiguredStore,
  runConsumer,
  runHq,
  writeBrokerFiles,
} from '../../hq/mod.ts';

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
sessions keep what it had not acknowledged while it is down; restart it with the same id).
To remove a consumer for good, stop it, then run it once with --leave: it unsubscribes, stores
what its sessions still hold and ends them, so the broker stops routing releases to it.`,
  options: {
    config: CONFIG_OPTION,
    'consumer-id': CONSUMER_OPTION,
    leave: { type: 'boolean', description: "drain this consumer's sessions, leave the group and exit" },
    'log-level': LOG_OPTION,
  },
  run({ values }, { io }) {
    const configFile = requireString(values, 'config', 'the HQ config file (hq.yaml)');
    const logLevel = logLevelOption(values);
    const consumerId = consumerIdOption(values);
    return runConsumer(configFile, {
      io,
      leave: values.leave === true,
      ...(logLevel !== undefined ? { logLevel } : {}),
      ...(consumerId !== undefined ? { consumerId } : {}),
    });
  },
};

const brokerFilesCommand: Command = {
  name: 'broker-files',
  summary: "write the chain broker's Mosquitto files: config, ACL, hashed passwords, one credential per store",
  description: `For every store of hq.yaml: a random password (stores/<id>.password, to give to that store's
hub) and an ACL that lets it publish only hushpoint/v1/<id>/releases/+; one password for HQ's
consumers (hq-consumer.password, for mqtt.passwordFile), who may read every store's releases.
mosquitto.conf has one TLS listener, persistence and the queue limits HQ's delivery needs
(docs/hq.md). The passwords are hashed with Debian's mosquitto_passwd.`,
  options: {
    config: CONFIG_OPTION,
    out: { type: 'string', value: 'DIR', description: 'where to write the files (a new directory)' },
    host: { type: 'string', value: 'ADDR', description: 'listener address', default: '0.0.0.0' },
    port: { type: 'string', value: 'PORT', description: 'listener port', default: '8883' },
    ca: { type: 'string', value: 'FILE', description: "the broker's CA certificate (PEM)" },
    cert: { type: 'string', value: 'FILE', description: "the broker's certificate (PEM)" },
    key: { type: 'string', value: 'FILE', description: "the broker's private key (PEM)" },
    force: { type: 'boolean', description: 'overwrite the files of an earlier run (new passwords)' },
    json: { type: 'boolean', description: 'print what was written as JSON' },
  },
  async run({ values }, { io }) {
    const loaded = loadConfig(hqRole, requireString(values, 'config', 'the HQ config file (hq.yaml)'));
    const out = requireString(values, 'out', 'a directory for the broker files');
    const tls = {
      caFile: requireString(values, 'ca', "the broker's CA certificate (PEM)"),
      certFile: requireString(values, 'cert', "the broker's certificate (PEM)"),
      keyFile: requireString(values, 'key', "the broker's private key (PEM)"),
    };
    const files = await writeBrokerFiles(out, {
      stores: loaded.config.stores.map((s) => s.id),
      rng: new CryptoRandomSource(),
      host: typeof values.host === 'string' ? values.host : '0.0.0.0',
      port: intOption(values, 'port', { min: 1, max: 65535 }, 8883),
      tls,
      force: values.force === true,
    });
    if (values.json) {
      io.out(
        JSON.stringify({
          dir: files.dir,
          conf: files.confFile,
          stores: files.stores.size,
          consumer: files.consumer.username,
        }),
      );
    } else {
      io.out(`wrote ${files.confFile}, acl, passwords, ${files.stores.size} store credentials in ${out}/stores/`);
      io.out(
        `hq.yaml: mqtt: { url: mqtts://<broker>:<port>, caFile: <ca>, username: ${files.consumer.username}, passwordFile: ${files.consumer.passwordFile} }`,
      );
    }
    return EXIT.OK;
  },
};

const importCommand: Command = {
  name: 'import',
  summary: 'store releases from files (DIR/releases/<store>.jsonl, e.g. from `hushpoint sim chain --out`)',
  options: { config: CONFIG_OPTION, json: { type: 'boolean', description: 'print the counts as JSON' } },
  positionals: ['DIR'],
  async run({ values, positionals }, { io }) {
    const loaded = loadConfig(hqRole, requireString(values, 'config', 'the HQ config file (hq.yaml)'));
    const dir = positionals[0];
    if (dir === undefined) throw usageError('DIR is required: a folder with releases/<store>.jsonl');
    const hq = createHq({ config: loaded.config, resolvePath: loaded.resolvePath, serve: false, consume: false });
    await hq.start();
    try {
      const report = await importReleaseFiles(dir, {
        writer: hq.writer,
        knownStores: new Set(loaded.config.stores.map((s) => s.id)),
      });
      if (values.json) io.out(JSON.stringify(report));
      else io.out(`stored ${report.stored}, duplicates ${report.duplicates}, quarantined ${report.quarantined}`);
      return report.quarantined > 0 ? EXIT.DATA : EXIT.OK;
    } finally {
      await hq.stop();
    }
  },
};

const poolModelsCommand: Command = {
  name: 'pool-models',
  summary: "pool the stores' item statistics of a budget period into a signed recommender model (models.dir)",
  description: `Reads every store's item-supports and item-covariance releases of the period (the newest
period with item-supports releases by default), pools and cleans them as \`recommend fit --stores\`
does, signs the model with models.signingKeyFile and writes it as the next version, served to the
hubs at GET /v1/models/latest. Publishes nothing when the newest model of the period already
pooled exactly these releases.`,
  options: {
    config: CONFIG_OPTION,
    period: { type: 'string', value: 'LABEL', description: 'the budget period, e.g. 2026-Q4' },
    json: { type: 'boolean', description: 'print the outcome as JSON' },
  },
  async run({ values }, { io }) {
    const loaded = loadConfig(hqRole, requireString(values, 'config', 'the HQ config file (hq.yaml)'));
    if (loaded.config.models === undefined)
      throw usageError('hq.yaml has no models section, expected models: { dir, signingKeyFile }');
    const period = typeof values.period === 'string' ? values.period : undefined;
    const hq = createHq({ config: loaded.config, resolvePath: loaded.resolvePath, serve: false, consume: false });
    await hq.start();
    try {
      const outcome = await (hq.models as NonNullable<typeof hq.models>).publish(
        period !== undefined ? { budgetPeriod: period } : {},
      );
      if (values.json) io.out(JSON.stringify(outcome));
      else if (outcome.status === 'published')
        io.out(
          `published model version ${outcome.version} of ${outcome.period}: ${outcome.stores} store(s), rank ${outcome.rank}, blend γ = ${outcome.blend.toFixed(3)}`,
        );
      else if (outcome.status === 'unchanged')
        io.out(`model version ${outcome.version} of ${outcome.period} already pools these releases; nothing published`);
      else io.out('no item-supports releases received yet; nothing published');
      return outcome.status === 'no-releases' ? EXIT.DATA : EXIT.OK;
    } finally {
      await hq.stop();
    }
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
    subcommands: () => [consumeCommand, totalsCommand, importCommand, brokerFilesCommand, poolModelsCommand],
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
