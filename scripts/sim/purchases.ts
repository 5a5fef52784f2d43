import { createWriteStream, existsSync, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { createGzip, type Gzip } from 'node:zlib';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { buildCatalog, type ItemCatalog, type ShopperHistory } from '../../shared/recommend/mod.ts';
import { formatLocalMinute, parseLocalMinute, POS_COLUMNS } from '../../shared/recommend/mod.ts';
import {
  customerId,
  DEFAULT_TASTE_MODEL,
  drawShopper,
  makeTasteModel,
  simulateVisits,
  stockCode,
  type SimLine,
  type TasteModel,
  type TasteModelOptions,
} from './core/purchases-model.ts';

/**
 * `hushpoint sim purchases`: a chain's POS exports from the latent-taste model (core/purchases-model.ts),
 * one file per store in the columns of a real export, plus the truth (the model's parameters) and a
 * summary. The same generator feeds the recommender benchmark in memory (chainHistories), so the
 * benchmark and the files describe the same chain for the same seed.
 */

export interface ChainOptions {
  readonly stores: number;
  readonly shoppers: number;
  readonly days: number;
  readonly seed: string;
  /** Local date of day 0, "YYYY-MM-DD". */
  readonly start: string;
  readonly model?: TasteModelOptions;
}

export const DEFAULT_START = '2025-01-01';

function startMinute(start: string): number {
  const minute = parseLocalMinute(`${start} 00:00`);
  if (minute === null) throw new RangeError(`start is ${JSON.stringify(start)}, expected a date YYYY-MM-DD`);
  return minute;
}

export interface SimulatedShopper {
  readonly store: number;
  readonly shopper: number;
  readonly lines: readonly SimLine[];
}

/** Every shopper's lines, store by store, shopper by shopper; each shopper has its own seeded stream. */
export function* chainShoppers(options: ChainOptions, model: TasteModel): Generator<SimulatedShopper> {
  const root = new SeededRandomSource(`purchases:${options.seed}`);
  for (let store = 0; store < options.stores; store++) {
    const storeRng = root.fork(`store-${store}`);
    for (let shopper = 0; shopper < options.shoppers; shopper++) {
      const rng = storeRng.fork(`shopper-${shopper}`);
      const who = drawShopper(model, rng);
      yield { store, shopper, lines: simulateVisits(model, who, options.days, rng) };
    }
  }
}

export function simCatalog(model: TasteModel): ItemCatalog {
  return buildCatalog(Array.from({ length: model.options.items }, (_, i) => stockCode(i)));
}

function historyOf(id: string, lines: readonly SimLine[], fromDay: number, untilDay: number): ShopperHistory | null {
  const visits = new Map<number, Set<number>>();
  for (const line of lines) {
    if (line.day < fromDay || line.day >= untilDay) continue;
    let v = visits.get(line.item);
    if (v === undefined) {
      v = new Set();
      visits.set(line.item, v);
    }
    v.add(line.visit);
  }
  if (visits.size === 0) return null;
  const items = Int32Array.from(visits.keys()).sort();
  return { shopperId: id, items, invoices: Int32Array.from(items, (i) => (visits.get(i) as Set<number>).size) };
}

export interface ChainHistories {
  readonly catalog: ItemCatalog;
  readonly model: TasteModel;
  /** Per store: the histories before `splitDay` (fit) and from it on (test). */
  readonly stores: readonly { readonly fit: ShopperHistory[]; readonly test: ShopperHistory[] }[];
}

/** The chain's histories in memory, split at `splitDay` (what the files give after import, without the files). */
export function chainHistories(options: ChainOptions, splitDay: number): ChainHistories {
  const stores = Array.from({ length: options.stores }, () => ({
    fit: [] as ShopperHistory[],
    test: [] as ShopperHistory[],
  }));
  const model = makeTasteModel(options.model ?? DEFAULT_TASTE_MODEL);
  for (const { store, shopper, lines } of chainShoppers(options, model)) {
    const id = customerId(store, shopper);
    const group = stores[store] as { fit: ShopperHistory[]; test: ShopperHistory[] };
    const fit = historyOf(id, lines, 0, splitDay);
    const test = historyOf(id, lines, splitDay, options.days);
    if (fit !== null) group.fit.push(fit);
    if (test !== null) group.test.push(test);
  }
  for (const s of stores) {
    s.fit.sort((a, b) => (a.shopperId < b.shopperId ? -1 : 1));
    s.test.sort((a, b) => (a.shopperId < b.shopperId ? -1 : 1));
  }
  return { catalog: simCatalog(model), model, stores };
}

export interface ChainSummary {
  readonly stores: number;
  readonly shoppersPerStore: number;
  readonly days: number;
  readonly seed: string;
  readonly start: string;
  readonly lines: number;
  readonly invoices: number;
  readonly files: readonly string[];
}

function csvLine(store: number, shopper: number, line: SimLine, model: TasteModel, origin: number): string {
  const customer = customerId(store, shopper);
  const invoice = `${customer}${String(line.visit).padStart(4, '0')}`;
  const when = formatLocalMinute(origin + line.day * 1440 + line.minuteOfDay);
  const price = (model.unitPrice[line.item] as number).toFixed(2);
  return `${invoice},${stockCode(line.item)},SIM ITEM ${line.item},${line.quantity},${when},${price},${customer},United Kingdom\n`;
}

/** Writes DIR/store-NNN.csv.gz per store, DIR/truth.json and DIR/summary.json (streamed, with backpressure). */
export async function writeChainFiles(options: ChainOptions, outDir: string): Promise<ChainSummary> {
  mkdirSync(outDir, { recursive: true });
  const origin = startMinute(options.start);
  const model = makeTasteModel(options.model ?? DEFAULT_TASTE_MODEL);
  const files: string[] = [];
  let lines = 0;
  let invoices = 0;
  let current: { store: number; gzip: Gzip; file: WriteStream } | null = null;
  const close = async (): Promise<void> => {
    if (current === null) return;
    const { gzip, file } = current;
    gzip.end();
    await once(file, 'finish');
  };
  for (const { store, shopper, lines: visitLines } of chainShoppers(options, model)) {
    if (current === null || current.store !== store) {
      await close();
      const name = `store-${String(store + 1).padStart(3, '0')}.csv.gz`;
      files.push(name);
      const gzip = createGzip();
      const file = createWriteStream(join(outDir, name));
      gzip.pipe(file);
      gzip.write(`${POS_COLUMNS.join(',')}\n`);
      current = { store, gzip, file };
    }
    let text = '';
    let lastVisit = -1;
    for (const line of visitLines) {
      text += csvLine(store, shopper, line, model, origin);
      if (line.visit !== lastVisit) invoices++;
      lastVisit = line.visit;
    }
    lines += visitLines.length;
    if (!current.gzip.write(text)) await once(current.gzip, 'drain');
  }
  await close();
  writeFileSync(
    join(outDir, 'truth.json'),
    `${JSON.stringify(
      {
        generator: 'hushpoint sim purchases (latent-taste model, docs/simulator.md)',
        seed: options.seed,
        model: model.options,
        itemCodes: 'item i has stock_code 20000 + i; the primary taste of item i is i mod tastes',
        popularity: Array.from(model.popularity, (p) => Number(p.toPrecision(6))),
      },
      null,
      1,
    )}\n`,
  );
  const summary: ChainSummary = {
    stores: options.stores,
    shoppersPerStore: options.shoppers,
    days: options.days,
    seed: options.seed,
    start: options.start,
    lines,
    invoices,
    files,
  };
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/** Simulator output already in DIR (so a run does not silently overwrite it). */
export function existingPurchaseOutputs(outDir: string): string[] {
  return ['summary.json', 'truth.json', 'store-001.csv.gz'].filter((name) => existsSync(join(outDir, name)));
}
