import { readFileSync } from 'node:fs';
import { loadConfig, type LoadedConfig } from '../../shared/config/load-config.ts';
import { requireString, usageError, type Command, type CliIo, type OptionValues } from '../../shared/cli/command.ts';
import { EXIT, isAppError } from '../../shared/errors.ts';
import { REJECT_REASONS } from '../../shared/recommend/mod.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { hubRole, openHubDatabase, type HubConfig } from '../../hub/mod.ts';
import { createPurchaseService, type ImportReport, type PurchaseService } from '../../hub/purchases/mod.ts';

/**
 * `hushpoint purchases` — the point of sale's exports into the hub's database (docs/purchases.md):
 * `import` one file (all of it or nothing; re-importing adds nothing), `link` and `unlink` a POS
 * customer id and a shopper. They open the hub's database directly, like `hushpoint hub
 * import-shoppers`; a running hub sees the rows at once. Usage errors exit 64, a file that is not
 * a usable export 65, a config problem 78.
 */

const CONFIG = {
  type: 'string',
  value: 'FILE',
  default: 'hub.yaml',
  description: 'the hub config file',
} as const;

function loadHub(values: OptionValues): LoadedConfig<HubConfig> {
  return loadConfig(hubRole, requireString(values, 'config', 'the hub config file (hub.yaml)'));
}

/** Runs `body` with the purchase service over the hub's database (closed afterwards). */
async function withService<T>(values: OptionValues, body: (service: PurchaseService) => T): Promise<T> {
  const loaded = loadHub(values);
  const db = openHubDatabase(loaded.resolvePath(loaded.config.database));
  try {
    const service = createPurchaseService({
      db,
      config: loaded.config.purchases,
      timeZone: loaded.config.privacy.timeZone,
      resolvePath: loaded.resolvePath,
      clock: systemClock,
      logger: silentLogger(),
    });
    return body(service);
  } finally {
    db.close();
  }
}

function lineList(lines: readonly number[], total: number): string {
  const shown = lines.join(', ');
  return total > lines.length ? `${shown}, …` : shown;
}

/** The report for people: what was imported, and each reason with its count and first lines. */
export function formatImportReport(report: ImportReport): string {
  const out = [
    `${report.source}: ${report.lines} lines, ${report.imported} purchases imported, ${report.duplicates} already imported, ${report.deletedByShoppers} deleted by their shoppers, ${report.rejected} rejected`,
  ];
  if (report.from !== null && report.to !== null)
    out.push(
      `  from ${report.from.local} to ${report.to.local} (store time), ${report.shoppers} shoppers, ${report.products} products`,
    );
  if (report.earlierImports > 0) out.push(`  this content was imported ${report.earlierImports} time(s) before`);
  const width = Math.max(...REJECT_REASONS.map((r) => r.length));
  for (const reason of REJECT_REASONS) {
    const count = report.byReason[reason];
    if (count === 0) continue;
    const samples = report.rejectedLines[reason] ?? [];
    out.push(
      `  ${reason.padEnd(width)}  ${String(count).padStart(7)}  line ${lineList(
        samples.map((s) => s.line),
        count,
      )}${samples[0] !== undefined ? `: ${samples[0].message}` : ''}`,
    );
  }
  return out.join('\n');
}

/** Bad data exits 65 with the importer's message (it names the file and what was wrong). */
async function dataErrors(io: CliIo, path: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (isAppError(error, 'RECO_BAD_INPUT')) {
      io.err(`${path}: ${error.code}: ${error.message}`);
      return EXIT.DATA;
    }
    throw error;
  }
}

const importCommand: Command = {
  name: 'import',
  summary: 'import a POS export (CSV or .csv.gz) into the hub: one transaction, rejected lines counted by reason',
  positionals: ['FILE'],
  options: {
    config: CONFIG,
    json: { type: 'boolean', description: 'print the report as one JSON object' },
  },
  async run({ values, positionals }, { io, path }) {
    const file = positionals[0];
    if (file === undefined) throw usageError('FILE is required: the POS export to import (CSV or .csv.gz)');
    return dataErrors(io, path, async () => {
      const report = await withService(values, (service) => service.importFile(file));
      io.out(values.json === true ? JSON.stringify(report) : formatImportReport(report));
      return EXIT.OK;
    });
  },
};

/** The customer id from --customer, or the first line of stdin for "-" (kept out of the shell history). */
function customerOption(values: OptionValues): string {
  const raw = requireString(values, 'customer', 'the POS customer id (or "-" to read it from stdin)');
  if (raw !== '-') return raw;
  const line = readFileSync(0, 'utf8').split('\n')[0]?.trim() ?? '';
  if (line === '') throw usageError('--customer is "-" but stdin holds no customer id on its first line');
  return line;
}

const linkCommand: Command = {
  name: 'link',
  summary: "link a POS customer id to an enrolled shopper ('linked' mode; kept as an HMAC only)",
  options: {
    config: CONFIG,
    customer: { type: 'string', value: 'ID', description: 'the POS customer id ("-": read it from stdin)' },
    shopper: { type: 'string', value: 'ID', description: 'the shopper id' },
  },
  async run({ values }, { io }) {
    const customer = customerOption(values);
    const shopper = requireString(values, 'shopper', 'the enrolled shopper id');
    const result = await withService(values, (service) => service.link(shopper, customer));
    io.out(`shopper ${result.shopper} linked${result.replaced ? ' (their earlier link replaced)' : ''}`);
    return EXIT.OK;
  },
};

const unlinkCommand: Command = {
  name: 'unlink',
  summary: "remove a shopper's POS customer link (their imported purchases stay)",
  options: { config: CONFIG, shopper: { type: 'string', value: 'ID', description: 'the shopper id' } },
  async run({ values }, { io }) {
    const shopper = requireString(values, 'shopper', 'the enrolled shopper id');
    const removed = await withService(values, (service) => service.unlink(shopper));
    io.out(removed ? `shopper ${shopper} unlinked` : `shopper ${shopper} had no customer link`);
    return removed ? EXIT.OK : EXIT.FAILURE;
  },
};

export const purchasesCommand: Command = {
  name: 'purchases',
  summary: "the point of sale's purchases: import an export, link customer ids to shoppers",
  subcommands: () => [importCommand, linkCommand, unlinkCommand],
};
