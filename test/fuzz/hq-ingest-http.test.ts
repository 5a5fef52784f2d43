import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateChain } from '../../scripts/sim/chain/chain.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { generateSigningKey, signedHeaders, UPSTREAM_HEADERS } from '../../shared/upstream/signing.ts';
import { getJson, startTestHq, type TestHq } from '../integration/hq-fixtures.ts';
import { FuzzReport, fuzzParameters, fuzzSeed, jsonInputs } from './fuzz-harness.ts';

/**
 * Fuzz target: HQ's signed HTTPS ingest (POST /v1/releases, docs/hq.md §2) end to end — real HTTP,
 * the signature check, the decoder, the group commit, SQLite. Bodies are a store's real releases
 * mutated, truncated, flipped, any JSON or bytes, each correctly signed (so they reach the
 * decoder) or with a mutated header. Invariant: never a 5xx; a 201 stores exactly one release, a
 * 200 is an identical resend; everything else is refused with a JSON error code and stores
 * nothing — at the end HQ holds exactly the releases it answered 201 for.
 */

const CHAIN = simulateChain({
  stores: 1,
  days: 2,
  seed: 'fuzz-hq',
  start: { y: 2026, m: 11, d: 2 },
  timeZone: 'Europe/Berlin',
});
const STORE = CHAIN.stores[0]!.id;
const KEY = Buffer.from(generateSigningKey(new SeededRandomSource(STORE)), 'hex');
const TOKEN = 'hq-fuzz-analyst-token';

describe('fuzz: HQ signed HTTPS ingest', () => {
  let hq: TestHq;
  beforeAll(async () => {
    hq = await startTestHq({ chain: CHAIN, token: TOKEN });
  });
  afterAll(async () => {
    await hq?.stop();
  });

  it('answers every body with 201, 200 or a 4xx JSON error; stores exactly what it acknowledged', async () => {
    const seed = fuzzSeed();
    const report = new FuzzReport('hq-ingest-http', seed);
    const created = new Set<string>();
    const valid = fc.constantFrom(...CHAIN.releases.map((r) => JSON.parse(r.body.toString()) as unknown));
    const caseArb = fc.record({
      body: jsonInputs(valid),
      header: fc.constantFrom('signed', 'signed', 'signed', 'bad-signature', 'stale', 'other-store', 'no-release-id'),
      releaseId: fc.oneof(fc.constant('from-body'), fc.constant('from-body'), fc.stringMatching(/^[\x21-\x7e]{0,60}$/)),
    });
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        let releaseId = c.releaseId;
        if (releaseId === 'from-body') {
          try {
            const parsed = JSON.parse(c.body.bytes.toString()) as { release?: unknown };
            releaseId = typeof parsed.release === 'string' ? parsed.release : 'x';
          } catch {
            releaseId = 'x';
          }
        }
        // An HTTP header carries printable ASCII only (a sender cannot put anything else there).
        if (!/^[\x21-\x7e]*$/.test(releaseId)) releaseId = 'x';
        const now = Math.floor(Date.now() / 1000);
        const signable = /^[A-Za-z0-9][A-Za-z0-9:._+-]{0,199}$/.test(releaseId);
        const headers = signedHeaders(KEY, {
          store: STORE,
          releaseId: signable ? releaseId : 'not-a-release-id',
          body: c.body.bytes,
          timestamp: c.header === 'stale' ? now - 86_400 : now,
        });
        // An id the sender could not sign is sent anyway (with the signature of another id).
        if (!signable) headers[UPSTREAM_HEADERS.release] = releaseId;
        if (c.header === 'bad-signature') headers[UPSTREAM_HEADERS.signature] = `v1=${'0'.repeat(64)}`;
        if (c.header === 'other-store') headers[UPSTREAM_HEADERS.store] = 'store-999';
        if (c.header === 'no-release-id') delete headers[UPSTREAM_HEADERS.release];
        const res = await fetch(`${hq.url}/v1/releases`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: c.body.bytes,
        });
        const text = await res.text();
        report.count(`${c.body.kind} ${c.header === 'signed' ? 'signed' : 'bad-header'} ${res.status}`);
        expect(res.status, text.slice(0, 300)).toBeLessThan(500);
        if (res.status === 201) created.add(releaseId);
        else if (res.status !== 200) {
          const parsed = JSON.parse(text) as { error?: { code?: unknown } };
          expect(typeof parsed.error?.code, text.slice(0, 300)).toBe('string');
        }
      }),
      fuzzParameters(seed, 200),
    );
    report.write();
    const counts = (await getJson(`${hq.url}/v1/ingest`, { authorization: `Bearer ${TOKEN}` })).body as {
      releases: number;
    };
    expect(counts.releases).toBe(created.size);
    const stored = await hq.hq.store.listReleases({});
    expect(new Set(stored.map((s) => s.releaseId))).toEqual(created);
  }, 300_000);
});
