import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isAppError } from '../../shared/errors.ts';
import { PosImporter, REJECT_REASONS, type CustomerLink } from '../../shared/recommend/mod.ts';
import { FuzzReport, fuzzParameters, fuzzSeed } from './fuzz-harness.ts';

/**
 * Fuzz target: point-of-sale export lines (docs/recommender.md §1). Lines are real ones from the
 * committed UCI fixture, mutated (fields replaced by odd values, quotes and separators inserted,
 * truncated, bytes flipped) or random text. Invariant: each line is either accepted with a
 * well-formed purchase or rejected with exactly one of the documented reasons and a message;
 * the counts add up; nothing throws but the documented "no purchase lines" error.
 */

const text = gunzipSync(readFileSync(new URL('../fixtures/online-retail/purchases.csv.gz', import.meta.url))).toString(
  'utf8',
);
const [header, ...rows] = text.split('\n').filter((l) => l.length > 0) as [string, ...string[]];
const link: CustomerLink = (id) => (/^1[2-5]\d{3}$/.test(id) ? `s-${id}` : null);

const oddField = fc.oneof(
  fc.constantFrom('', '""', '"', 'C', '-1', '0', '1e9', 'NaN', '2011-02-30 10:00', '2011-13-01 10:00', '9'.repeat(30)),
  fc.constantFrom('DOT', 'POST', '12345AB', '123456', '12345abc', ' 22556', '22556 ', ',', '"a,b"', '"a""b"'),
  fc.string({ maxLength: 40 }),
);

const line = fc.oneof(
  fc.constantFrom(...rows).map((l) => ({ kind: 'real', line: l })),
  fc.tuple(fc.constantFrom(...rows), fc.nat({ max: 7 }), oddField).map(([l, i, v]) => {
    const fields = l.split(',');
    fields[Math.min(i, fields.length - 1)] = v;
    return { kind: 'field', line: fields.join(',') };
  }),
  fc.tuple(fc.constantFrom(...rows), fc.nat()).map(([l, n]) => ({ kind: 'truncated', line: l.slice(0, n % l.length) })),
  fc
    .tuple(fc.constantFrom(...rows), fc.nat(), fc.constantFrom('"', ',', '\r', '\u0000', '\ufeff', '\\'))
    .map(([l, n, c]) => {
      const i = n % (l.length + 1);
      return { kind: 'inserted', line: l.slice(0, i) + c + l.slice(i) };
    }),
  fc.string({ maxLength: 300 }).map((l) => ({ kind: 'random', line: l })),
);

describe('fuzz: POS export lines', () => {
  it('accepted with a purchase or rejected with one documented reason', () => {
    const seed = fuzzSeed();
    const report = new FuzzReport('pos-lines', seed);
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
        const importer = new PosImporter({ link, source: 'fuzz.csv' });
        importer.push(header);
        for (const l of lines) importer.push(l.line.replace(/\n/g, ' '));
        let result;
        try {
          result = importer.finish();
        } catch (error) {
          // Only when every line was empty: the documented "no purchase lines" error.
          expect(isAppError(error) && error.code === 'RECO_BAD_INPUT', String(error)).toBe(true);
          expect(lines.every((l) => l.line.trim() === '')).toBe(true);
          report.count('no-lines');
          return;
        }
        const { report: r, accepted, rejected } = result;
        expect(r.accepted + r.rejected).toBe(r.lines);
        expect(Object.values(r.byReason).reduce((a, b) => a + b, 0)).toBe(r.rejected);
        for (const a of accepted) {
          expect(Number.isSafeInteger(a.quantity) && a.quantity > 0).toBe(true);
          expect(Number.isFinite(a.unitPrice) && a.unitPrice >= 0).toBe(true);
          expect(Number.isSafeInteger(a.atMinute)).toBe(true);
          expect(a.shopperId.startsWith('s-')).toBe(true);
          report.count('accepted');
        }
        for (const x of rejected) {
          expect(REJECT_REASONS).toContain(x.reason);
          expect(x.message.length).toBeGreaterThan(0);
          report.count(x.reason);
        }
      }),
      fuzzParameters(seed),
    );
    report.write();
  });
});
