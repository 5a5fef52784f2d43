import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors.ts';
import { createLogger } from '../../shared/ports/logger.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { createPurchaseService, type ImportReport } from '../../hub/purchases/mod.ts';
import { main } from '../../cli/main.ts';
import { startTestHub, type TestHub } from '../helpers/hub-fixtures.ts';

/**
 * The hub's POS import end to end (docs/purchases.md), on a real hub with its SQLite file: the
 * fixture cut from the UCI training file (test/fixtures/pos-import/README.md), imported through
 * the service, the admin route and the CLI; per-reason counts, idempotent re-import, a full disk
 * mid-file leaving nothing, erasure of links and purchases, and no customer id in the database
 * file, its WAL, the logs or any answer.
 *
 * The customer ids are rewritten from "17850" to "cust17850q" so that a byte scan of the database
 * can tell them from stock codes and digests that happen to hold the same five digits.
 */

const FIXTURE = readFileSync(new URL('../fixtures/pos-import/export.csv', import.meta.url), 'utf8');
const CUSTOMER_COLUMN = /,"(\d{5})","([^"]*)"$/;
const tagged = (id: string): string => `cust${id}q`;
const EXPORT = FIXTURE.split('\n')
  .map((line) => line.replace(CUSTOMER_COLUMN, (_m, id: string, country: string) => `,"${tagged(id)}","${country}"`))
  .join('\n');
const CUSTOMERS = [...new Set([...FIXTURE.matchAll(/,"(\d{5})","[^"]*"$/gm)].map((m) => tagged(m[1] as string)))];
const UNLINKED = tagged('12583');
/** A second export: the same lines under other invoice numbers (new purchases). */
const SECOND = EXPORT.replace(/^"536(\d{3})"/gm, '"546$1"');

const REASONS_WITH_12583_UNLINKED = {
  'malformed-line': 1,
  cancellation: 9,
  'bad-quantity': 1,
  'non-positive-quantity': 2,
  'non-product-code': 3,
  'bad-date': 1,
  'bad-price': 1,
  'missing-customer': 2,
  'unknown-customer': 19,
};

function posCount(t: TestHub): number {
  return t.hub.db.prepare("SELECT COUNT(*) FROM offer_purchases WHERE source = 'pos'").pluck().get() as number;
}

function importsCount(t: TestHub): number {
  return t.hub.db.prepare('SELECT COUNT(*) FROM purchase_imports').pluck().get() as number;
}

/** One HTTPS request with a raw body and content type (the helper's httpsJson sends JSON only). */
function post(
  t: TestHub,
  path: string,
  body: Buffer,
  contentType: string,
  token: string | null,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      t.apiUrl(path),
      {
        method: 'POST',
        ca: t.caPem,
        headers: {
          'content-type': contentType,
          'content-length': body.length,
          ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('hub POS import', () => {
  let t: TestHub;
  const logLines: string[] = [];
  const shopperOf = new Map<string, string>();
  const tokenOf = new Map<string, string>();
  const reports: unknown[] = [];

  beforeAll(async () => {
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
    t = await startTestHub({
      config: {
        purchases: { link: 'linked', linkKeyFile: 'link.key', productsFile: 'products.csv', maxBodyBytes: 4096 * 16 },
        privacy: { timeZone: 'Europe/London' },
      },
      logger,
      start: false,
    });
    writeFileSync(join(t.dir, 'link.key'), `${'5a'.repeat(32)}\n`, { mode: 0o600 });
    writeFileSync(join(t.dir, 'products.csv'), 'stock_code,category\n85123A,home-decor\n22752,home-decor\n');
    await t.hub.start();
    writeFileSync(join(t.dir, 'export.csv'), EXPORT);
    writeFileSync(join(t.dir, 'second.csv.gz'), gzipSync(SECOND));
    for (const customer of CUSTOMERS) {
      const { shopper, token } = t.hub.shoppers.enroll({
        consent: { presenceForOffers: true, analytics: true },
        exponent: 9,
      });
      shopperOf.set(customer, shopper.id);
      tokenOf.set(customer, token);
      if (customer !== UNLINKED) t.hub.purchases.link(shopper.id, customer);
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('imports the export in one go: counts by reason, first lines, categories and store time', () => {
    const report = t.hub.purchases.importFile(join(t.dir, 'export.csv'));
    reports.push(report);
    expect(report).toMatchObject({
      link: 'linked',
      lines: 261,
      imported: 241 - 19,
      duplicates: 0,
      rejected: 20 + 19,
      byReason: REASONS_WITH_12583_UNLINKED,
      shoppers: 16,
      earlierImports: 0,
      from: { local: '2010-12-01 08:26', at: '2010-12-01T08:26:00.000Z' },
    });
    expect(report.rejectedLines['missing-customer']).toEqual([
      { line: 256, message: 'customer_id is empty (an anonymous sale)' },
      { line: 257, message: 'customer_id is empty (an anonymous sale)' },
    ]);
    expect(report.rejectedLines['unknown-customer']?.map((s) => s.line)).toEqual([28, 29, 30, 31, 32]);
    expect(posCount(t)).toBe(222);
    const row = t.hub.db
      .prepare(
        "SELECT shopper_pk, at_ms, sku, category, invoice, quantity, unit_price, local_minute FROM offer_purchases WHERE sku = '85123A' ORDER BY at_ms LIMIT 1",
      )
      .get() as Record<string, unknown>;
    const alice = t.hub.shoppers.get(shopperOf.get(tagged('17850')) as string);
    expect(row).toEqual({
      shopper_pk: alice?.pk,
      at_ms: Date.UTC(2010, 11, 1, 8, 26),
      sku: '85123A',
      category: 'home-decor',
      invoice: '536365',
      quantity: 6,
      unit_price: 2.55,
      local_minute: Date.UTC(2010, 11, 1, 8, 26) / 60_000,
    });
    expect(
      t.hub.db.prepare("SELECT COUNT(*) FROM offer_purchases WHERE category = 'uncategorised'").pluck().get(),
    ).toBeGreaterThan(200);
    expect(t.hub.db.prepare('SELECT lines, imported, duplicates, rejected FROM purchase_imports').all()).toEqual([
      { lines: 261, imported: 222, duplicates: 0, rejected: 39 },
    ]);
  });

  it('re-importing the same export adds nothing and says so', () => {
    const again = t.hub.purchases.importFile(join(t.dir, 'export.csv'));
    reports.push(again);
    expect(again).toMatchObject({ imported: 0, duplicates: 222, rejected: 39, earlierImports: 1 });
    expect(posCount(t)).toBe(222);
  });

  it('a purchase the shopper deleted from their history stays deleted on re-import', async () => {
    const dave = tagged('15311');
    const token = tokenOf.get(dave) as string;
    const history = (await t.request('GET', '/v1/me/history', { token })).body as {
      purchases: Array<{ id: string; sku: string | null }>;
    };
    expect(history.purchases).toHaveLength(35);
    const gone = history.purchases[0]?.id as string;
    expect(gone).toMatch(/^pos-[0-9a-f]{24}$/);
    expect((await t.request('DELETE', `/v1/me/history/${gone}`, { token })).status).toBe(204);
    expect(posCount(t)).toBe(221);
    const again = t.hub.purchases.importFile(join(t.dir, 'export.csv'));
    reports.push(again);
    expect(again).toMatchObject({ imported: 0, duplicates: 221, deletedByShoppers: 1, rejected: 39 });
    expect(posCount(t)).toBe(221);
    const after = (await t.request('GET', '/v1/me/history', { token })).body as { purchases: Array<{ id: string }> };
    expect(after.purchases.map((p) => p.id)).not.toContain(gone);
  });

  it('a disk that fills up mid-file leaves nothing of that file, and the same file imports once there is room', () => {
    const before = { rows: posCount(t), imports: importsCount(t) };
    const pages = t.hub.db.pragma('page_count', { simple: true }) as number;
    t.hub.db.pragma(`max_page_count = ${pages}`);
    let error: unknown = null;
    try {
      t.hub.purchases.importFile(join(t.dir, 'second.csv.gz'));
    } catch (e) {
      error = e;
    } finally {
      t.hub.db.pragma('max_page_count = 1073741823');
    }
    expect(isAppError(error, 'STORE_FAILED'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /could not be written, so none were imported \(database or disk is full\)/,
    );
    expect({ rows: posCount(t), imports: importsCount(t) }).toEqual(before);
    const report = t.hub.purchases.importFile(join(t.dir, 'second.csv.gz'));
    reports.push(report);
    expect(report).toMatchObject({ imported: 222, duplicates: 0, earlierImports: 0 });
    expect(posCount(t)).toBe(221 + 222);
  });

  it('a row that fails mid-transaction rolls the whole file back', () => {
    const before = { rows: posCount(t), imports: importsCount(t) };
    // A third export whose 100th accepted row hits a CHECK the test adds for the purpose.
    const third = SECOND.replace(/^"546(\d{3})"/gm, '"556$1"');
    t.hub.db.exec(
      "CREATE TRIGGER test_refuse_row BEFORE INSERT ON offer_purchases WHEN NEW.invoice = '556385' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
    );
    try {
      expect(() => t.hub.purchases.importBytes(Buffer.from(third), 'third.csv')).toThrow(
        /The purchases of third\.csv could not be written, so none were imported \(refused by the test\)/,
      );
    } finally {
      t.hub.db.exec('DROP TRIGGER test_refuse_row');
    }
    expect({ rows: posCount(t), imports: importsCount(t) }).toEqual(before);
  });

  it('the admin route takes CSV or gzip, answers the same report, and refuses what is not an export', async () => {
    const third = Buffer.from(SECOND.replace(/^"546(\d{3})"/gm, '"566$1"'));
    const csv = await post(t, '/v1/admin/purchases/import', third, 'text/csv; charset=utf-8', t.adminToken);
    expect(csv.status).toBe(200);
    expect(csv.body).toMatchObject({ source: 'request body', imported: 222, byReason: REASONS_WITH_12583_UNLINKED });
    reports.push(csv.body);
    const gz = await post(t, '/v1/admin/purchases/import', gzipSync(third), 'application/gzip', t.adminToken);
    expect(gz.status).toBe(200);
    expect(gz.body).toMatchObject({ imported: 0, duplicates: 222, earlierImports: 1, digest: csv.body.digest });
    expect(posCount(t)).toBe(221 + 222 + 222);

    const refusals = await Promise.all([
      post(t, '/v1/admin/purchases/import', third, 'text/csv', null),
      post(t, '/v1/admin/purchases/import', third, 'application/json', t.adminToken),
      post(t, '/v1/admin/purchases/import', Buffer.from([0x1f, 0x8b, 1, 2, 3]), 'application/gzip', t.adminToken),
      post(t, '/v1/admin/purchases/import', Buffer.from('InvoiceNo,StockCode\n1,2\n'), 'text/csv', t.adminToken),
      post(t, '/v1/admin/purchases/import', Buffer.alloc(4096 * 16 + 1, 65), 'text/csv', t.adminToken),
    ]);
    expect(refusals.map((r) => r.status)).toEqual([401, 400, 400, 400, 413]);
    const messages = refusals.map((r) => (r.body.error as { code: string; message: string }).message);
    expect(messages[1]).toBe(
      'Content-Type is "application/json", expected text/csv or application/gzip or application/x-gzip',
    );
    expect(messages[2]).toMatch(/^request body starts like gzip but cannot be decompressed/);
    expect(messages[3]).toMatch(/^The header of request body has no columns description, quantity/);
    expect(posCount(t)).toBe(221 + 222 + 222);
    // The route is in the API document, with both media types.
    const doc = (await t.request('GET', '/openapi.json')).body as {
      paths: Record<string, { post?: { requestBody?: { content: Record<string, unknown> } } }>;
    };
    expect(Object.keys(doc.paths['/v1/admin/purchases/import']?.post?.requestBody?.content ?? {})).toEqual([
      'text/csv',
      'application/gzip',
      'application/x-gzip',
    ]);
  });

  it('customer links through the admin routes: set, read, conflict, remove — never echoing the customer id', async () => {
    const bob = shopperOf.get(UNLINKED) as string;
    const path = `/v1/admin/shoppers/${bob}/customer-link`;
    expect((await t.request('GET', path, { token: t.adminToken })).status).toBe(404);
    const taken = await t.request('PUT', path, { token: t.adminToken, body: { customerId: tagged('17850') } });
    expect(taken.status).toBe(409);
    const put = await t.request('PUT', path, { token: t.adminToken, body: { customerId: UNLINKED } });
    expect(put).toMatchObject({ status: 200, body: { shopper: bob, replaced: false } });
    expect((await t.request('GET', path, { token: t.adminToken })).body).toMatchObject({ shopper: bob });
    expect((await t.request('PUT', path, { token: null, body: { customerId: UNLINKED } })).status).toBe(401);
    const bad = await t.request('PUT', path, { token: t.adminToken, body: { customer: UNLINKED } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify([taken.body, put.body, bad.body])).not.toContain(UNLINKED.slice(0, -1));
    // The shopper's own export (right of access) shows the link as it is kept: a keyed hash.
    const exported = (await t.request('GET', '/v1/me/export', { token: tokenOf.get(UNLINKED) as string })).body as {
      tables: { customer_links?: Array<Record<string, unknown>> };
    };
    expect(exported.tables.customer_links).toEqual([
      {
        customer_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        shopper_pk: expect.any(Number),
        linked_ms: expect.any(Number),
      },
    ]);
    expect(JSON.stringify(exported)).not.toContain(UNLINKED);
    // Now 12583's lines are purchases too: only those are new.
    const report = t.hub.purchases.importFile(join(t.dir, 'export.csv'));
    reports.push(report);
    expect(report).toMatchObject({
      imported: 19,
      duplicates: 221,
      deletedByShoppers: 1,
      byReason: { 'unknown-customer': 0 },
    });
    expect((await t.request('DELETE', path, { token: t.adminToken })).status).toBe(204);
    expect((await t.request('DELETE', path, { token: t.adminToken })).status).toBe(404);
    expect((await t.request('GET', '/v1/admin/shoppers/nobody/customer-link', { token: t.adminToken })).status).toBe(
      404,
    );
  });

  it('the CLI imports the same way (--json), with usage errors 64 and bad data 65', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) };
    const code = await main(['purchases', 'import', join(t.dir, 'export.csv'), '--config', t.configFile, '--json'], io);
    expect(code, err.join('\n')).toBe(0);
    const report = JSON.parse(out.join('')) as ImportReport;
    reports.push(report);
    // 12583 is unlinked again (the test before removed the link).
    expect(report).toMatchObject({ imported: 0, duplicates: 221, deletedByShoppers: 1, lines: 261, rejected: 39 });
    expect(await main(['purchases', 'import', '--config', t.configFile], io)).toBe(64);
    writeFileSync(join(t.dir, 'not-an-export.csv'), 'hello\nworld\n');
    expect(await main(['purchases', 'import', join(t.dir, 'not-an-export.csv'), '--config', t.configFile], io)).toBe(
      65,
    );
    expect(err.at(-1)).toMatch(/RECO_BAD_INPUT: The header of .*not-an-export\.csv has no columns invoice/);
    expect(await main(['purchases', 'import', join(t.dir, 'missing.csv'), '--config', t.configFile], io)).toBe(65);
    expect(err.at(-1)).toMatch(/Purchase file ".*missing\.csv" does not exist/);
    out.length = 0;
    expect(await main(['purchases', 'import', join(t.dir, 'export.csv'), '--config', t.configFile], io)).toBe(0);
    expect(out.join('\n')).toMatch(
      /cancellation +9 +line 143, 156, 237, 238, 239, …: invoice "C536379" starts with "C"/,
    );
  });

  it('erasing a shopper erases their link and their purchases, and nobody else’s', () => {
    const carol = shopperOf.get(tagged('17850')) as string;
    const pk = t.hub.shoppers.get(carol)?.pk as number;
    const count = (sql: string, ...args: unknown[]): number =>
      t.hub.db
        .prepare(sql)
        .pluck()
        .get(...args) as number;
    expect(count('SELECT COUNT(*) FROM offer_purchases WHERE shopper_pk = ?', pk)).toBeGreaterThan(0);
    expect(count('SELECT COUNT(*) FROM customer_links WHERE shopper_pk = ?', pk)).toBe(1);
    const others = { rows: posCount(t) - count('SELECT COUNT(*) FROM offer_purchases WHERE shopper_pk = ?', pk) };
    const links = count('SELECT COUNT(*) FROM customer_links');
    expect(t.hub.shoppers.delete(carol)).toBe(true);
    expect(count('SELECT COUNT(*) FROM offer_purchases WHERE shopper_pk = ?', pk)).toBe(0);
    expect(count('SELECT COUNT(*) FROM customer_links WHERE shopper_pk = ?', pk)).toBe(0);
    expect({ rows: posCount(t) }).toEqual(others);
    expect(count('SELECT COUNT(*) FROM customer_links')).toBe(links - 1);
    // Their 46 lines are unknown customers now, beside 12583's 19 (unlinked again).
    const report = t.hub.purchases.importFile(join(t.dir, 'export.csv'));
    expect(report.byReason['unknown-customer']).toBe(46 + 19);
    // Dave's record of the purchase he deleted goes with his erasure too.
    const dave = t.hub.shoppers.get(shopperOf.get(tagged('15311')) as string)?.pk as number;
    expect(count('SELECT COUNT(*) FROM purchase_deletions WHERE shopper_pk = ?', dave)).toBe(1);
    expect(t.hub.shoppers.delete(shopperOf.get(tagged('15311')) as string)).toBe(true);
    expect(count('SELECT COUNT(*) FROM purchase_deletions')).toBe(0);
    expect(count('SELECT COUNT(*) FROM offer_purchases WHERE shopper_pk = ?', dave)).toBe(0);
  });

  it('no customer id is in the database file, its WAL, the logs or any report', () => {
    const raw = Buffer.concat(
      [t.hub.config.database, `${t.hub.config.database}-wal`]
        .map((f) => (f.startsWith('/') ? f : join(t.dir, f)))
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f)),
    );
    // The scan works: the export's invoices and stock codes are in the file (those of 12583's
    // invoice 536370; 17850's 536365 went with their erasure).
    expect(raw.indexOf('536370')).toBeGreaterThan(-1);
    expect(raw.indexOf('22728')).toBeGreaterThan(-1);
    expect(raw.indexOf('536365')).toBe(-1);
    expect(logLines.some((l) => l.includes('purchases imported'))).toBe(true);
    const logs = logLines.join('\n');
    const answers = JSON.stringify(reports);
    expect(reports.length).toBeGreaterThanOrEqual(6);
    expect(CUSTOMERS.filter((id) => raw.indexOf(id) >= 0 || logs.includes(id) || answers.includes(id))).toEqual([]);
  });

  it('a hub whose link key file is missing or open does not start, and says why', async () => {
    for (const [mode, message] of [
      [null, /The purchases link key file "link\.key" cannot be read \(ENOENT\)/],
      [0o640, /The purchases link key file "link\.key" is readable by other users \(mode 0640\)/],
    ] as const) {
      const other = await startTestHub({
        config: { purchases: { link: 'linked', linkKeyFile: 'link.key' } },
        start: false,
      });
      try {
        if (mode !== null) {
          writeFileSync(join(other.dir, 'link.key'), `${'5a'.repeat(32)}\n`);
          chmodSync(join(other.dir, 'link.key'), mode);
        }
        await expect(other.hub.start()).rejects.toThrow(message);
      } finally {
        await other.stop();
      }
    }
  });

  it('refuses a link key that other users can read, or that is not a key', () => {
    const file = join(t.dir, 'open.key');
    writeFileSync(file, `${'5a'.repeat(32)}\n`, { mode: 0o644 });
    chmodSync(file, 0o644);
    const service = (keyFile: string) =>
      createPurchaseService({
        db: t.hub.db,
        config: { ...t.hub.config.purchases, linkKeyFile: keyFile },
        timeZone: 'UTC',
        resolvePath: (p) => join(t.dir, p),
        clock: systemClock,
        logger: silentLogger(),
      });
    const bob = shopperOf.get(UNLINKED) as string;
    expect(() => service('open.key').link(bob, UNLINKED)).toThrow(
      'The purchases link key file "open.key" is readable by other users (mode 0644), expected mode 0600 (chmod 600 open.key)',
    );
    writeFileSync(join(t.dir, 'short.key'), 'abc\n', { mode: 0o600 });
    expect(() => service('short.key').link(bob, UNLINKED)).toThrow(
      'The purchases link key file "short.key" holds 3 characters that are not a key, expected 64 hex digits (32 random bytes)',
    );
    expect(() => service('absent.key').importFile(join(t.dir, 'export.csv'))).toThrow(
      /The purchases link key file "absent\.key" cannot be read \(ENOENT\)/,
    );
  });
});
