import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { loadConfig, type LoadedConfig } from '../../shared/config/load-config.ts';
import { requireString, usageError, type Command, type OptionValues } from '../../shared/cli/command.ts';
import { AppError, EXIT } from '../../shared/errors.ts';
import { hubRole, type HubConfig } from '../../hub/config.schema.ts';
import { runHub } from '../../hub/main.ts';
import { exportZones, importShoppers, openHubDatabase, parseShopperImport, readStats } from '../../hub/mod.ts';

/** `hushpoint hub`: run the in-store hub, and the tools that read or prepare its database. */

function configOption(values: OptionValues): LoadedConfig<HubConfig> {
  return loadConfig(hubRole, requireString(values, 'config', 'the hub config file (hub.yaml)'));
}

/** Unix seconds from "1790000000" or an ISO 8601 date-time. */
function timeOption(values: OptionValues, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && /^\d+$/.test(raw)) return Number(raw);
  const ms = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms))
    throw usageError(
      `--${name} is "${String(raw)}", expected Unix seconds or an ISO 8601 date-time such as 2026-11-28T10:00:00Z`,
    );
  return Math.floor(ms / 1000);
}

const statsCommand: Command = {
  name: 'stats',
  summary: 'print the hub counters (batches, sightings, resolved, quarantined, refused, gateways online)',
  options: {
    config: { type: 'string', value: 'FILE', description: 'the hub config file' },
    json: { type: 'boolean', description: 'print one JSON object' },
  },
  run({ values }, { io }) {
    const loaded = configOption(values);
    const db = openHubDatabase(loaded.resolvePath(loaded.config.database), { readonly: true });
    try {
      const stats = readStats(db);
      if (values.json) io.out(JSON.stringify(stats));
      else {
        const width = Math.max(...Object.keys(stats).map((k) => k.length));
        for (const [key, value] of Object.entries(stats)) io.out(`${key.padEnd(width)}  ${value}`);
      }
    } finally {
      db.close();
    }
    return EXIT.OK;
  },
};

const exportZonesCommand: Command = {
  name: 'export-zones',
  summary: 'write the zone of every shopper-window as JSONL (for `hushpoint sim score`)',
  options: {
    config: { type: 'string', value: 'FILE', description: 'the hub config file' },
    out: { type: 'string', value: 'FILE', description: 'output file ("-" for stdout)' },
    from: { type: 'string', value: 'TIME', description: 'first window start (Unix s or ISO 8601), inclusive' },
    to: { type: 'string', value: 'TIME', description: 'last window start (Unix s or ISO 8601), exclusive' },
  },
  async run({ values }, { io }) {
    const loaded = configOption(values);
    const out = requireString(values, 'out', 'the JSONL file to write, or "-" for stdout');
    const from = timeOption(values, 'from');
    const to = timeOption(values, 'to');
    const db = openHubDatabase(loaded.resolvePath(loaded.config.database), { readonly: true });
    let rows = 0;
    try {
      const stream = out === '-' ? null : createWriteStream(out);
      for (const row of exportZones(db, {
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      })) {
        const line = `${JSON.stringify(row)}\n`;
        if (stream === null) io.out(line);
        else if (!stream.write(line)) await once(stream, 'drain');
        rows++;
      }
      if (stream !== null) {
        stream.end();
        await once(stream, 'finish');
        io.err(`${rows} shopper-windows written to ${out}`);
      }
    } finally {
      db.close();
    }
    return EXIT.OK;
  },
};

const importShoppersCommand: Command = {
  name: 'import-shoppers',
  summary: "enroll shoppers with given identity keys (e.g. the simulator's shoppers.json)",
  description:
    'The file is a JSON array (or {"shoppers": [...]}) of {id, identityKey (32 hex), exponent?, consent?}.\nA running hub picks the change up within a few seconds.',
  options: {
    config: { type: 'string', value: 'FILE', description: 'the hub config file' },
    file: { type: 'string', value: 'FILE', description: 'the shoppers JSON file' },
  },
  run({ values }, { io }) {
    const loaded = configOption(values);
    const file = requireString(values, 'file', 'the shoppers JSON file');
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    } catch (error) {
      throw new AppError('API_BAD_REQUEST', `${file} cannot be read as JSON (${(error as Error).message})`);
    }
    const shoppers = parseShopperImport(document, loaded.config.eid.defaultExponent);
    const db = openHubDatabase(loaded.resolvePath(loaded.config.database));
    try {
      const result = importShoppers(db, shoppers, Date.now());
      io.out(`${result.imported} shoppers imported into ${loaded.config.database}`);
    } finally {
      db.close();
    }
    return EXIT.OK;
  },
};

export const hubCommand: Command = {
  name: 'hub',
  summary: 'run the in-store hub (MQTT broker, ingest, EID resolution, presence, API)',
  usage: 'hushpoint hub --config FILE [--check-config] [--log-level LEVEL] | hushpoint hub <command> ...',
  options: {
    config: { type: 'string', value: 'FILE', description: 'the hub config file (hub.yaml)' },
    'check-config': {
      type: 'boolean',
      description: 'validate the config, print every problem and exit (78 when invalid)',
    },
    'log-level': {
      type: 'string',
      value: 'LEVEL',
      description: 'override log.level (fatal, error, warn, info, debug, trace, silent)',
    },
  },
  subcommands: () => [statsCommand, exportZonesCommand, importShoppersCommand],
  async run({ values }, { io }) {
    const file = requireString(values, 'config', 'the hub config file (hub.yaml)');
    const level = values['log-level'];
    if (
      level !== undefined &&
      !['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(String(level))
    ) {
      throw usageError(
        `--log-level is "${String(level)}", expected one of fatal, error, warn, info, debug, trace, silent`,
      );
    }
    return runHub(file, {
      io,
      checkOnly: values['check-config'] === true,
      ...(typeof level === 'string' ? { logLevel: level } : {}),
    });
  },
};
