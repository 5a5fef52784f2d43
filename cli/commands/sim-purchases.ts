import { intOption, requireString, usageError, type Command } from '../../shared/cli/command.ts';
import { EXIT } from '../../shared/errors.ts';
import { DEFAULT_START, existingPurchaseOutputs, writeChainFiles } from '../../scripts/sim/purchases.ts';

/**
 * `hushpoint sim purchases`: a chain's POS exports from a known latent-taste model
 * (scripts/sim/purchases.ts, docs/simulator.md "Purchases"), for pooling experiments at 10–100
 * stores: `hushpoint recommend fit --purchases DIR/store-001.csv.gz --purchases …` pools them.
 */
export const simPurchasesCommand: Command = {
  name: 'purchases',
  summary: "write a chain's POS exports (one CSV per store) from a known latent-taste model",
  usage:
    'hushpoint sim purchases --stores N --shoppers S --days D --out DIR [--seed S] [--start YYYY-MM-DD] [--force] [--json]',
  description: `Writes DIR/store-001.csv.gz … (columns invoice, stock_code, description, quantity,
invoice_date, unit_price, customer_id, country), DIR/truth.json (the model's parameters) and
DIR/summary.json. The same seed gives the same chain. Every shopper belongs to one store.`,
  options: {
    stores: { type: 'string', value: 'N', description: 'stores in the chain (1..200)' },
    shoppers: { type: 'string', value: 'S', description: 'shoppers per store (1..100000)' },
    days: { type: 'string', value: 'D', description: 'simulated days (1..3650)' },
    seed: { type: 'string', value: 'S', description: 'random seed', default: '1' },
    start: { type: 'string', value: 'DATE', description: 'local date of day 0', default: DEFAULT_START },
    out: { type: 'string', value: 'DIR', description: 'output folder (created)' },
    force: { type: 'boolean', description: 'replace earlier output in DIR' },
    json: { type: 'boolean', description: 'print summary.json on stdout' },
  },
  async run({ values }, { io }) {
    const stores = intOption(values, 'stores', { min: 1, max: 200 });
    const shoppers = intOption(values, 'shoppers', { min: 1, max: 100_000 });
    const days = intOption(values, 'days', { min: 1, max: 3650 });
    const outDir = requireString(values, 'out', 'an output folder');
    const seed = String(values.seed);
    const start = String(values.start);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(start)) throw usageError(`--start is "${start}", expected a date YYYY-MM-DD`);
    const previous = existingPurchaseOutputs(outDir);
    if (previous.length > 0 && !values.force)
      throw usageError(
        `--out ${outDir} already holds simulator output (${previous.join(', ')}); add --force to replace it`,
      );
    const summary = await writeChainFiles({ stores, shoppers, days, seed, start }, outDir);
    if (values.json) io.out(JSON.stringify(summary));
    else
      io.out(
        `wrote ${summary.files.length} store files (${summary.lines} lines, ${summary.invoices} invoices), truth.json and summary.json in ${outDir}`,
      );
    return EXIT.OK;
  },
};
