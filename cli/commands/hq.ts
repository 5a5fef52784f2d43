import { loadConfig } from '../../shared/config/load-config.ts';
import { requireString, usageError, type Command, type OptionValues } from '../../shared/cli/command.ts';
import { EXIT } from '../../shared/errors.ts';
import { hqRole, computeTotals, formatTotals, openHqStore, runHq } from '../../hq/mod.ts';

/** `hushpoint hq`: the chain's receiver of DP releases, and its totals report (`collector` is an alias). */

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

const totalsCommand: Command = {
  name: 'totals',
  summary: 'print store-level totals of the received releases: raw noisy sums and consistent non-negative views',
  description: `Raw totals are the sums of the noisy values as released (unbiased; noise sd bound shown).
Consistent views are post-processing for display: per release, the cells are projected onto
non-negative integers that add up to the release's rounded non-negative total (least squares).`,
  options: {
    config: { type: 'string', value: 'FILE', description: 'the HQ config file (hq.yaml)' },
    store: { type: 'string', value: 'ID', description: 'only this store' },
    kind: {
      type: 'string',
      value: 'KIND',
      description: 'only this release kind (footfall, visits, dwell, transitions, ...)',
    },
    from: { type: 'string', value: 'TIME', description: 'periods starting at or after (date, ISO 8601 or Unix s)' },
    to: { type: 'string', value: 'TIME', description: 'periods starting before (date, ISO 8601 or Unix s)' },
    periods: { type: 'boolean', description: 'also print one line per release' },
    json: { type: 'boolean', description: 'print the totals as JSON' },
  },
  run({ values }, { io }) {
    const loaded = loadConfig(hqRole, requireString(values, 'config', 'the HQ config file (hq.yaml)'));
    const store = openHqStore(loaded.resolvePath(loaded.config.database), { readonly: true });
    try {
      const fromUnix = timeOption(values, 'from');
      const toUnix = timeOption(values, 'to');
      const releases = store.list({
        ...(typeof values.store === 'string' ? { store: values.store } : {}),
        ...(typeof values.kind === 'string' ? { kind: values.kind } : {}),
        ...(fromUnix !== undefined ? { fromUnix } : {}),
        ...(toUnix !== undefined ? { toUnix } : {}),
      });
      const totals = computeTotals(releases);
      if (values.json) io.out(JSON.stringify(totals));
      else for (const line of formatTotals(totals, { periods: values.periods === true })) io.out(line);
    } finally {
      store.close();
    }
    return EXIT.OK;
  },
};

const HQ_SUMMARY = "run HQ, the chain's receiver of stores' DP releases (HTTPS, signed, idempotent)";

function hqCommandNamed(name: 'hq' | 'collector'): Command {
  return {
    name,
    summary: name === 'hq' ? HQ_SUMMARY : 'an alias of "hushpoint hq" (its older name)',
    usage: `hushpoint ${name} --config FILE [--check-config] [--log-level LEVEL] | hushpoint ${name} totals --config FILE ...`,
    ...(name === 'collector'
      ? { description: '"hushpoint collector" is an alias of "hushpoint hq": the same command.' }
      : {}),
    options: {
      config: { type: 'string', value: 'FILE', description: 'the HQ config file (hq.yaml)' },
      'check-config': { type: 'boolean', description: 'validate the config file and exit (78 when invalid)' },
      'log-level': { type: 'string', value: 'LEVEL', description: 'fatal, error, warn, info, debug, trace or silent' },
    },
    subcommands: () => [totalsCommand],
    run({ values }, { io }) {
      if (name === 'collector') io.err('note: "hushpoint collector" is an alias of "hushpoint hq"');
      const configFile = requireString(values, 'config', 'the HQ config file (hq.yaml)');
      const logLevel = typeof values['log-level'] === 'string' ? values['log-level'] : undefined;
      if (
        logLevel !== undefined &&
        !['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)
      ) {
        throw usageError(
          `--log-level is "${logLevel}", expected one of fatal, error, warn, info, debug, trace, silent`,
        );
      }
      return runHq(configFile, {
        io,
        checkOnly: values['check-config'] === true,
        ...(logLevel !== undefined ? { logLevel } : {}),
      });
    },
  };
}

export const hqCommand: Command = hqCommandNamed('hq');
/** `hushpoint collector`: the older name of `hushpoint hq`, kept as an alias. */
export const collectorCommand: Command = hqCommandNamed('collector');
