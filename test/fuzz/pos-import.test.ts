import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isAppError } from '../../shared/errors.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { REJECT_REASONS } from '../../shared/recommend/mod.ts';
import { enrollShopper, openHubDatabase, type Database } from '../../hub/mod.ts';
import { createPurchaseService, type PurchaseService } from '../../hub/purchases/mod.ts';
import { FuzzReport, fuzzParameters, fuzzSeed } from './fuzz-harness.ts';

/**
 * Fuzz target: whole POS exports through the hub's import (hub/purchases, docs/purchases.md) into a
 * real SQLite hub database. Files are built from the committed fixture's real lines, mutated
 * (fields replaced by odd values, quotes, separators and control characters inserted, truncated)
 * or random text, sometimes gzip-compressed. Invariants: the import either commits — its counts
 * add up, the database grew by exactly `imported`, importing the same bytes again adds nothing —
 * or it is refused with RECO_BAD_INPUT and the database is unchanged; no other error; a purchase
 * deleted by its shopper does not come back; a report never holds a customer id.
 */

const FIXTURE = readFileSync(new URL('../fixtures/pos-import/export.csv', import.meta.url), 'utf8');
const [HEADER, ...ROWS] = FIXTURE.split('\n')
  .filter((l) => l.length > 0)
  .map((l) => l.replace(/,"(\d{5})","([^"]*)"$/, ',"cust$1q","$2"')) as [string, ...string[]];
const CUSTOMERS = [...new Set([...FIXTURE.matchAll(/,"(\d{5})","[^"]*"$/gm)].map((m) => `cust${m[1]}q`))];

const oddField = fc.oneof(
  fc.constantFrom(
    '',
    '""',
    '"',
    'C536365',
    '-1',
    '0',
    '1e9',
    'NaN',
    '2011-02-30 10:00',
    '2011-13-01 10:00',
    '9'.repeat(30),
  ),
  fc.constantFrom('DOT', 'POST', '12345AB', '123456', ' 22556', ',', '"a,b"', '"a""b"', 'cust99999q', '\u0000'),
  fc.string({ maxLength: 40 }),
);

const line = fc.oneof(
  fc.constantFrom(...ROWS),
  fc.tuple(fc.constantFrom(...ROWS), fc.nat({ max: 7 }), oddField).map(([l, i, v]) => {
    const fields = l.split(',');
    fields[Math.min(i, fields.length - 1)] = v;
    return fields.join(',');
  }),
  fc.tuple(fc.constantFrom(...ROWS), fc.nat()).map(([l, n]) => l.slice(0, n % l.length)),
  fc
    .tuple(fc.constantFrom(...ROWS), fc.nat(), fc.constantFrom('"', ',', '\r', '\u0000', '\ufeff', '\\', '\u2028'))
    .map(([l, n, c]) => {
      const i = n % (l.length + 1);
      return l.slice(0, i) + c + l.slice(i);
    }),
  fc.string({ maxLength: 200 }),
);

const exportFile = fc.record({
  lines: fc.array(line, { minLength: 0, maxLength: 30 }),
  header: fc.oneof(fc.constant(HEADER), fc.constant(HEADER.toLowerCase()), fc.string({ maxLength: 60 })),
  crlf: fc.boolean(),
  gzip: fc.boolean(),
});

function posRows(db: Database): number {
  return db.prepare("SELECT COUNT(*) FROM offer_purchases WHERE source = 'pos'").pluck().get() as number;
}

describe('fuzz: POS exports through the hub import', () => {
  let dir: string;
  let db: Database;
  let service: PurchaseService;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hp-fuzz-pos-'));
    writeFileSync(join(dir, 'link.key'), `${'c3'.repeat(32)}\n`, { mode: 0o600 });
    db = openHubDatabase(join(dir, 'hub.db'));
    service = createPurchaseService({
      db,
      config: { link: 'linked', linkKeyFile: 'link.key', maxBodyBytes: 1 << 20, maxFileBytes: 1 << 20 },
      timeZone: 'Europe/London',
      resolvePath: (p) => join(dir, p),
      clock: systemClock,
      logger: silentLogger(),
    });
    const random = new CryptoRandomSource();
    // Every customer but the last is enrolled and linked.
    for (const customer of CUSTOMERS.slice(0, -1)) {
      const { shopper } = enrollShopper(
        db,
        { exponent: 9, consent: { presenceForOffers: true, analytics: true } },
        { random, nowMs: Date.now() },
      );
      service.link(shopper.id, customer);
    }
  });
  afterAll(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits with counts that add up, idempotently, or refuses with RECO_BAD_INPUT and changes nothing', () => {
    const seed = fuzzSeed();
    const report = new FuzzReport('pos-import', seed);
    fc.assert(
      fc.property(exportFile, (file) => {
        const text = [file.header, ...file.lines.map((l) => l.replace(/\n/g, ' '))].join(file.crlf ? '\r\n' : '\n');
        const bytes = file.gzip ? gzipSync(text) : Buffer.from(text, 'utf8');
        const before = posRows(db);
        let result;
        try {
          result = service.importBytes(bytes, 'fuzz.csv');
        } catch (error) {
          expect(isAppError(error, 'RECO_BAD_INPUT'), String(error)).toBe(true);
          expect(posRows(db)).toBe(before);
          report.count('refused');
          return;
        }
        expect(result.imported + result.duplicates + result.deletedByShoppers + result.rejected).toBe(result.lines);
        expect(REJECT_REASONS.reduce((sum, r) => sum + result.byReason[r], 0)).toBe(result.rejected);
        for (const [reason, samples] of Object.entries(result.rejectedLines)) {
          expect(REJECT_REASONS).toContain(reason);
          expect(samples.length).toBeLessThanOrEqual(Math.min(5, result.byReason[reason as never]));
        }
        expect(posRows(db)).toBe(before + result.imported);
        const json = JSON.stringify(result);
        for (const customer of CUSTOMERS) expect(json).not.toContain(customer);
        // The shopper deletes one of the new purchases from their history (as DELETE
        // /v1/me/history/:id does): importing the same bytes again adds nothing, not even it.
        const deleted =
          result.imported > 0
            ? db
                .prepare(
                  "DELETE FROM offer_purchases WHERE pk = (SELECT MAX(pk) FROM offer_purchases WHERE source = 'pos')",
                )
                .run().changes
            : 0;
        const again = service.importBytes(bytes, 'fuzz.csv');
        expect(again.imported).toBe(0);
        expect(again.duplicates + again.deletedByShoppers).toBe(
          result.imported + result.duplicates + result.deletedByShoppers,
        );
        expect(again.deletedByShoppers).toBeGreaterThanOrEqual(result.deletedByShoppers + deleted);
        expect(posRows(db)).toBe(before + result.imported - deleted);
        report.count(result.imported > 0 ? 'imported' : result.duplicates > 0 ? 'duplicates-only' : 'nothing-accepted');
      }),
      fuzzParameters(seed, 150),
    );
    report.write();
  });
});
