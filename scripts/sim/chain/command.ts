import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { intOption, requireString, usageError, type Command } from '../../../shared/cli/command.ts';
import { AppError, EXIT } from '../../../shared/errors.ts';
import { simulateChain, type ChainOptions } from './chain.ts';
import { writeChainFiles } from './adapters/chain-files.ts';
import { publishReleases } from './adapters/mqtt-publisher.ts';
import { formatDate, parseLocalDate, weekday } from './core/calendar.ts';

/**
 * `hushpoint sim chain`: a presence-level simulated chain (docs/simulator.md, "chain") and every
 * v2 release its stores send, with real DP noise — published through the chain's broker (each
 * store with its own credential, TLS, QoS 1) and/or written to files.
 */

const DEFAULT_START = '2026-11-02';

function timeZoneOption(value: unknown): string {
  const zone = typeof value === 'string' ? value : 'Europe/Berlin';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw usageError(`--time-zone is "${zone}", expected an IANA time zone such as Europe/Berlin`);
  }
  return zone;
}

function readPassword(dir: string, store: string): string {
  const file = join(dir, `${store}.password`);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new AppError(
      'CFG_UNREADABLE',
      `The MQTT password of store "${store}" cannot be read from ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}), expected the stores/ folder of \`hushpoint hq broker-files\``,
      { cause: error },
    );
  }
}

export const chainCommand: Command = {
  name: 'chain',
  summary: "simulate a chain's stores and send their DP releases through the broker to HQ (or to files)",
  description: `Each store has shoppers with their own visit rates, hours, zones in floor order, dwell,
buying and an offer arm; every day and week it releases footfall, visits, conversion, dwell,
repeat, transitions and offer-response in payload v2 with exact discrete Gaussian noise
(ρ per release stated in docs/simulator.md). The same seed gives the same chain.`,
  options: {
    stores: { type: 'string', value: 'N', description: 'stores in the chain (1..2000)' },
    days: { type: 'string', value: 'D', description: 'simulated days (1..400)' },
    seed: { type: 'string', value: 'S', description: 'random seed', default: 'chain' },
    start: { type: 'string', value: 'DATE', description: `first local day (YYYY-MM-DD)`, default: DEFAULT_START },
    'time-zone': { type: 'string', value: 'ZONE', description: "the stores' IANA time zone", default: 'Europe/Berlin' },
    broker: { type: 'string', value: 'URL', description: "the chain's broker, e.g. mqtts://broker:8883" },
    ca: { type: 'string', value: 'FILE', description: "the broker's CA certificate (PEM)" },
    credentials: {
      type: 'string',
      value: 'DIR',
      description: 'one <store>.password per store (the stores/ folder of `hushpoint hq broker-files`)',
    },
    'in-flight': { type: 'string', value: 'N', description: 'unacknowledged releases per store', default: '8' },
    out: { type: 'string', value: 'DIR', description: 'also write the releases (and the true counts) here' },
    json: { type: 'boolean', description: 'print the report as JSON' },
  },
  async run({ values }, { io }) {
    const stores = intOption(values, 'stores', { min: 1, max: 2000 });
    const days = intOption(values, 'days', { min: 1, max: 400 });
    const startText = typeof values.start === 'string' ? values.start : DEFAULT_START;
    const start = parseLocalDate(startText);
    if (start === null) throw usageError(`--start is "${startText}", expected a date YYYY-MM-DD`);
    const broker = typeof values.broker === 'string' ? values.broker : undefined;
    const out = typeof values.out === 'string' ? values.out : undefined;
    if (broker === undefined && out === undefined)
      throw usageError('--broker or --out is required: where the releases go');
    if (broker !== undefined && !/^mqtts?:\/\//.test(broker))
      throw usageError(`--broker is "${broker}", expected mqtt:// or mqtts://`);
    const credentials =
      broker !== undefined ? requireString(values, 'credentials', 'the folder of per-store passwords') : undefined;
    if (credentials !== undefined && !existsSync(credentials))
      throw usageError(`--credentials "${credentials}" does not exist`);
    const ca = typeof values.ca === 'string' ? readFileSync(values.ca) : undefined;
    if (broker?.startsWith('mqtts://') === true && ca === undefined)
      throw usageError("--ca is required with mqtts:// (the broker's CA)");
    const options: ChainOptions = {
      stores,
      days,
      seed: String(values.seed ?? 'chain'),
      start,
      timeZone: timeZoneOption(values['time-zone']),
    };
    const began = performance.now();
    const chain = simulateChain(options);
    const simulatedSeconds = (performance.now() - began) / 1000;
    const kinds: Record<string, number> = {};
    for (const r of chain.releases) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
    if (out !== undefined) writeChainFiles(out, chain, options);
    const publish =
      broker === undefined
        ? null
        : await publishReleases(chain.releases, {
            url: broker,
            ...(ca !== undefined ? { ca } : {}),
            passwordOf: (store) => readPassword(credentials as string, store),
            inFlight: intOption(values, 'in-flight', { min: 1, max: 1000 }, 8),
          });
    const report = {
      stores,
      days,
      start: formatDate(start),
      startWeekday: weekday(start),
      releases: chain.releases.length,
      kinds,
      simulatedSeconds,
      ...(out !== undefined ? { out } : {}),
      ...(publish !== null
        ? {
            sent: publish.sent,
            retries: publish.retries,
            refused: publish.refused.length,
            publishSeconds: publish.seconds,
          }
        : {}),
    };
    if (values.json) io.out(JSON.stringify(report));
    else {
      io.out(
        `${chain.releases.length} releases from ${stores} stores over ${days} days (${Object.entries(kinds)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')})`,
      );
      if (out !== undefined) io.out(`written to ${out}`);
      if (publish !== null)
        io.out(
          `sent ${publish.sent} to ${broker} in ${publish.seconds.toFixed(1)} s (${publish.retries} retries, ${publish.refused.length} refused)`,
        );
      for (const r of publish?.refused.slice(0, 5) ?? []) io.err(`refused: ${r.store} ${r.releaseId}: ${r.reason}`);
    }
    return publish !== null && publish.refused.length > 0 ? EXIT.FAILURE : EXIT.OK;
  },
};
