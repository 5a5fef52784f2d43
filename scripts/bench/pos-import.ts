import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { AppError } from '../../shared/errors.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { parsePosHeader, parsePosLine } from '../../shared/recommend/mod.ts';
import { enrollShopper, openHubDatabase, type Database } from '../../hub/mod.ts';
import { createPurchaseService } from '../../hub/purchases/mod.ts';
import { median } from './stats.ts';

/**
 * The hub's POS import of the whole Online Retail training file (370,931 lines) into a fresh hub
 * database (docs/purchases.md#performance), part of the hub suite:
 *
 *   posImportSeconds      `purchases.importFile` end to end: read, gunzip, check every line, find
 *                         the shopper through the HMAC link, commit 265,447 rows in one transaction
 *   posBareInsertSeconds  the baseline, measured in the same run: the same rows inserted with a bare
 *                         better-sqlite3 statement in one transaction into another fresh hub database
 *                         (same schema, indexes and pragmas), nothing else
 *   posImportLinesPerSec  lines per second of the import
 *
 * Every customer of the file is enrolled and linked first (not timed), as in a store where all
 * loyalty customers use the app.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TRAIN = join(ROOT, '..', 'shared', 'data', 'online-retail', 'train.csv.gz');
const LINK_KEY = 'a7'.repeat(32);

interface Workspace {
  dir: string;
  db: Database;
}

function workspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'hp-bench-pos-'));
  writeFileSync(join(dir, 'link.key'), `${LINK_KEY}\n`, { mode: 0o600 });
  return { dir, db: openHubDatabase(join(dir, 'hub.db')) };
}

function service(ws: Workspace) {
  return createPurchaseService({
    db: ws.db,
    config: { link: 'linked', linkKeyFile: 'link.key', maxBodyBytes: 64 << 20, maxFileBytes: 512 << 20 },
    timeZone: 'Europe/London',
    resolvePath: (p) => join(ws.dir, p),
    clock: systemClock,
    logger: silentLogger(),
  });
}

/** The file's accepted lines' customer ids, and the rows a bare insert writes (shopper pk by customer). */
function fileContent(text: string): { customers: string[]; lines: ReturnType<typeof acceptedLines> } {
  const lines = acceptedLines(text);
  return { customers: [...new Set(lines.map((l) => l.customerId))], lines };
}

function acceptedLines(text: string) {
  const all = text.split('\n');
  const header = parsePosHeader(all[0] as string);
  const out = [];
  for (let i = 1; i < all.length; i++) {
    const parsed = parsePosLine(header, all[i] as string);
    if (parsed.ok) out.push(parsed.value);
  }
  return out;
}

function enrollAndLink(ws: Workspace, customers: readonly string[]): Map<string, number> {
  const random = new CryptoRandomSource();
  const purchases = service(ws);
  const pks = new Map<string, number>();
  for (const customer of customers) {
    const { shopper } = enrollShopper(
      ws.db,
      { exponent: 9, consent: { presenceForOffers: true, analytics: true } },
      { random, nowMs: Date.now() },
    );
    purchases.link(shopper.id, customer);
    pks.set(customer, shopper.pk);
  }
  return pks;
}

/** The baseline: the same rows, one bare prepared INSERT each, one transaction. */
function bareInsert(ws: Workspace, lines: ReturnType<typeof acceptedLines>, pks: Map<string, number>): number {
  const insert = ws.db.prepare(
    `INSERT INTO offer_purchases (id, shopper_pk, at_ms, sku, category, source, invoice, quantity, unit_price, local_minute)
     VALUES (?, ?, ?, ?, 'uncategorised', 'pos', ?, ?, ?, ?)`,
  );
  const began = process.hrtime.bigint();
  ws.db.transaction(() => {
    for (const [i, l] of lines.entries())
      insert.run(
        `pos-${i.toString(16).padStart(24, '0')}`,
        pks.get(l.customerId),
        l.atMinute * 60_000,
        l.stockCode,
        l.invoice,
        l.quantity,
        l.unitPrice,
        l.atMinute,
      );
  })();
  return Number(process.hrtime.bigint() - began) / 1e9;
}

function close(ws: Workspace): void {
  ws.db.close();
  rmSync(ws.dir, { recursive: true, force: true });
}

export function benchPosImport(runs: number, progress: (line: string) => void): Record<string, number> {
  if (!existsSync(TRAIN))
    throw new AppError(
      'RECO_BAD_INPUT',
      `The POS import benchmark reads the Online Retail training file at ${TRAIN}, which is missing`,
    );
  const { customers, lines } = fileContent(gunzipSync(readFileSync(TRAIN)).toString('utf8'));
  const importTimes: number[] = [];
  const bareTimes: number[] = [];
  let total = 0;
  let rows = 0;
  for (let run = 0; run < runs; run++) {
    const ws = workspace();
    const bare = workspace();
    try {
      enrollAndLink(ws, customers);
      const barePks = enrollAndLink(bare, customers);
      const began = process.hrtime.bigint();
      const report = service(ws).importFile(TRAIN);
      importTimes.push(Number(process.hrtime.bigint() - began) / 1e9);
      if (report.imported !== lines.length)
        throw new Error(`the import stored ${report.imported} rows, expected ${lines.length}`);
      total = report.lines;
      rows = report.imported;
      bareTimes.push(bareInsert(bare, lines, barePks));
      progress(
        `run ${run + 1}/${runs}: POS import ${importTimes.at(-1)?.toFixed(2)} s for ${total} lines (${rows} rows), bare insert of the rows ${bareTimes.at(-1)?.toFixed(2)} s`,
      );
    } finally {
      close(ws);
      close(bare);
    }
  }
  const seconds = median(importTimes);
  return {
    posImportLines: total,
    posImportRows: rows,
    posImportSeconds: Number(seconds.toFixed(3)),
    posImportLinesPerSec: Math.round(total / seconds),
    posBareInsertSeconds: Number(median(bareTimes).toFixed(3)),
  };
}
