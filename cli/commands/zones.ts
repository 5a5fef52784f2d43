import { readFileSync } from 'node:fs';
import {
  intOption,
  numberOption,
  requireString,
  usageError,
  type Command,
  type OptionValues,
} from '../../shared/cli/command.ts';
import { AppError, EXIT, isAppError } from '../../shared/errors.ts';
import { GatewayConfigSchema } from '../../gateway/config.schema.ts';
import { HubConfigSchema } from '../../hub/config.schema.ts';
import { parseRssiCsv, parseZoneMap, type RssiRow } from '../../scripts/zones/core/rssi-csv.ts';
import {
  evaluateZones,
  type BandThresholds,
  type Confusion,
  type ZoneEvaluation,
} from '../../scripts/zones/core/evaluate.ts';

/**
 * `hushpoint zones evaluate` — the zone model on a labelled RSSI recording (docs/zones.md): the
 * gateway's window coarsener per receiver and the hub's presence model, scored against the
 * labels next to a majority vote.
 */

const GATEWAY_WINDOW = GatewayConfigSchema.properties.window.properties;
const HUB_PRESENCE = HubConfigSchema.properties.presence.properties;
const MAX_PROBLEMS_SHOWN = 20;

/** `one=-70/-85,two=-72/-88` → receiver → thresholds. */
function parseBands(text: string): Map<string, BandThresholds> {
  const bands = new Map<string, BandThresholds>();
  for (const entry of text.split(',')) {
    const m = /^([A-Za-z0-9_.:-]{1,64})=(-?\d{1,3})\/(-?\d{1,3})$/.exec(entry.trim());
    const near = Number(m?.[2]);
    const mid = Number(m?.[3]);
    if (m === null || near < -127 || near > 20 || mid < -127 || mid > near)
      throw usageError(
        `--bands entry "${entry}" is not RECEIVER=NEAR/MID, expected dBm integers with -127 <= MID <= NEAR <= 20`,
      );
    bands.set(m[1] as string, { nearDbm: near, midDbm: mid });
  }
  return bands;
}

function dbmOption(values: OptionValues, name: string, fallback: number): number {
  return intOption(values, name, { min: -127, max: 20 }, fallback);
}

export function readRssiRecording(file: string, zoneMap: ReadonlyMap<string, string>): RssiRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError(
      'RSSI_BAD_INPUT',
      `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const { rows, problems } = parseRssiCsv(text);
  for (const row of rows)
    if (!zoneMap.has(row.receiver))
      problems.push({
        line: row.line,
        message: `receiver "${row.receiver}" is not in --map, expected one of: ${[...zoneMap.keys()].join(', ')}`,
      });
  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line);
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => `${file}:${p.line}: ${p.message}`);
    const more = problems.length > MAX_PROBLEMS_SHOWN ? `\n… and ${problems.length - MAX_PROBLEMS_SHOWN} more` : '';
    throw new AppError(
      'RSSI_BAD_INPUT',
      `${problems.length} bad row${problems.length === 1 ? '' : 's'}, nothing evaluated:\n${shown.join('\n')}${more}`,
      { details: { file, problems: problems.length } },
    );
  }
  return rows;
}

function fmt(x: number | null, digits = 3): string {
  return x === null ? 'n/a' : x.toFixed(digits);
}

function confusionLines(confusion: Confusion, zones: readonly string[]): string[] {
  const predicted = [...new Set(Object.values(confusion).flatMap((r) => Object.keys(r)))].sort();
  const width = Math.max(9, ...zones.map((z) => z.length), ...predicted.map((z) => z.length)) + 2;
  const lines = [`  ${'truth \\ model'.padEnd(width + 4)}${predicted.map((p) => p.padStart(width)).join('')}`];
  for (const z of zones)
    lines.push(
      `  ${z.padEnd(width + 4)}${predicted.map((p) => String(confusion[z]?.[p] ?? 0).padStart(width)).join('')}`,
    );
  return lines;
}

export function formatEvaluation(file: string, zoneMap: ReadonlyMap<string, string>, e: ZoneEvaluation): string[] {
  return [
    `${file}: ${e.rows} rows, ${e.devices} devices, receivers ${[...zoneMap].map(([r, z]) => `${r}→${z}`).join(', ')}`,
    `${e.windows} device-windows of ${e.windowSeconds} s (${fmt(e.minutes, 1)} device-minutes)`,
    '',
    `                  accuracy  reachable  flapping/min`,
    `  zone model      ${fmt(e.accuracy).padEnd(10)}${fmt(e.reachableAccuracy).padEnd(11)}${fmt(e.flappingPerMinute)}`,
    `  majority vote   ${fmt(e.baselineAccuracy).padEnd(10)}${fmt(e.baselineReachableAccuracy).padEnd(11)}${fmt(e.baselineFlappingPerMinute)}`,
    `  majority class  ${fmt(e.majorityClassAccuracy)}`,
    `  true moves/min  ${fmt(e.truthChangesPerMinute)}`,
    ...(e.unreachableZones.length > 0
      ? [`  unreachable zones (no receiver stands for them): ${e.unreachableZones.join(', ')}`]
      : []),
    '',
    'zone model confusion (device-windows):',
    ...confusionLines(e.confusion, e.zones),
    'majority vote confusion:',
    ...confusionLines(e.baselineConfusion, e.zones),
  ];
}

const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'score the zone model on a labelled RSSI recording against a majority vote',
  usage: 'hushpoint zones evaluate --rssi FILE.csv --map RECEIVER=ZONE,... [--json] [options]',
  description: `FILE.csv has the header time,device,receiver,rssi,zone (time: Unix ms or ISO 8601; one
row per advert heard by one receiver; zone is the truth). Each receiver's rows go through the
gateway's window coarsener (its band thresholds from --bands, else --near-dbm/--mid-dbm), the
windows through the hub's presence model (bands, hits, hysteresis). Prints accuracy, per-zone
confusion and room flapping (zone changes per device-minute the truth does not have) next to a
majority vote of the adverts per window. See docs/zones.md.
Exit codes: 0 done, 64 usage, 65 bad recording (every bad row named by its line).`,
  options: {
    rssi: { type: 'string', value: 'FILE.csv', description: 'the labelled recording' },
    map: { type: 'string', value: 'RECEIVER=ZONE,...', description: 'the zone each receiver stands for' },
    json: { type: 'boolean', description: 'print the figures as JSON' },
    'window-seconds': {
      type: 'string',
      value: 'N',
      description: `the gateways' window (default ${GATEWAY_WINDOW.seconds.default})`,
    },
    'min-hits': {
      type: 'string',
      value: 'N',
      description: `adverts a device needs in a window (default ${GATEWAY_WINDOW.minHits.default})`,
    },
    'near-dbm': { type: 'string', value: 'DBM', description: `near band (default ${GATEWAY_WINDOW.nearDbm.default})` },
    'mid-dbm': { type: 'string', value: 'DBM', description: `mid band (default ${GATEWAY_WINDOW.midDbm.default})` },
    bands: {
      type: 'string',
      value: 'RECEIVER=NEAR/MID,...',
      description: 'calibrated thresholds per receiver (hushpoint calibrate)',
    },
    'switch-penalty': {
      type: 'string',
      value: 'X',
      description: `hysteresis (default the hub's ${HUB_PRESENCE.switchPenalty.default})`,
    },
    'smoothing-windows': {
      type: 'string',
      value: 'N',
      description: `windows the model may relabel (default the hub's ${HUB_PRESENCE.smoothingWindows.default})`,
    },
  },
  run({ values }, { io, path }) {
    const file = requireString(values, 'rssi', 'the labelled RSSI recording (CSV)');
    const mapText = requireString(values, 'map', 'RECEIVER=ZONE for every receiver, comma-separated');
    let zoneMap: Map<string, string>;
    try {
      zoneMap = parseZoneMap(mapText);
    } catch (error) {
      throw usageError(`--map ${(error as Error).message}`);
    }
    const nearDbm = dbmOption(values, 'near-dbm', GATEWAY_WINDOW.nearDbm.default);
    const midDbm = dbmOption(values, 'mid-dbm', GATEWAY_WINDOW.midDbm.default);
    if (midDbm > nearDbm) throw usageError(`--mid-dbm is ${midDbm}, expected at most --near-dbm (${nearDbm})`);
    const options = {
      zoneMap,
      windowSeconds: intOption(values, 'window-seconds', { min: 1, max: 3600 }, GATEWAY_WINDOW.seconds.default),
      minHits: intOption(values, 'min-hits', { min: 1, max: 1000 }, GATEWAY_WINDOW.minHits.default),
      maxHits: GATEWAY_WINDOW.maxHits.default,
      defaultBands: { nearDbm, midDbm },
      ...(typeof values.bands === 'string' ? { bands: parseBands(values.bands) } : {}),
      presence: {
        visitGapSeconds: HUB_PRESENCE.visitGapSeconds.default,
        switchPenalty: numberOption(
          values,
          'switch-penalty',
          { min: 0, max: 1000 },
          HUB_PRESENCE.switchPenalty.default,
        ),
        smoothingWindows: intOption(
          values,
          'smoothing-windows',
          { min: 1, max: 720 },
          HUB_PRESENCE.smoothingWindows.default,
        ),
      },
    };
    let rows: RssiRow[];
    try {
      rows = readRssiRecording(file, zoneMap);
    } catch (error) {
      if (isAppError(error, 'RSSI_BAD_INPUT')) {
        io.err(`${path}: ${error.code}: ${error.message}`);
        return EXIT.DATA;
      }
      throw error;
    }
    const result = evaluateZones(rows, options);
    if (values.json)
      io.out(
        JSON.stringify({
          file,
          map: Object.fromEntries(zoneMap),
          switchPenalty: options.presence.switchPenalty,
          smoothingWindows: options.presence.smoothingWindows,
          ...result,
        }),
      );
    else for (const line of formatEvaluation(file, zoneMap, result)) io.out(line);
    return EXIT.OK;
  },
};

export const zonesCommand: Command = {
  name: 'zones',
  summary: 'the zone model on real radio data: evaluate it on a labelled RSSI recording',
  subcommands: () => [evaluateCommand],
};
