import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { validatePayload } from '../../shared/protocol/codec.ts';
import { presenceTopic, statusTopic } from '../../shared/protocol/topics.ts';
import { startTestHub, TEST_STORE, type TestHub } from '../helpers/hub-fixtures.ts';
import { FuzzReport, fuzzParameters, fuzzSeed, jsonInputs } from './fuzz-harness.ts';

/**
 * Fuzz target: what an authenticated gateway publishes, through the real broker (aedes over
 * TLS), into the real durable ingest and SQLite file. Invariant per message: the PUBACK comes
 * within the deadline, and exactly one of three things happened — one batch stored whole (its
 * row with the payload's sighting count), one quarantine row (and no batch, no sighting from it),
 * or nothing (a replayed seq) — and a payload the protocol schema refuses is never stored.
 */

const GATEWAY = 'gw-fuzz';
const DEADLINE_MS = 10_000;
let t: TestHub;
let client: MqttClient;
let identityKey: Buffer;

beforeAll(async () => {
  t = await startTestHub({ gateways: [{ id: GATEWAY, zone: 'produce' }] });
  const { shopper } = t.hub.shoppers.enroll({ consent: { presenceForOffers: true, analytics: true }, exponent: 9 });
  identityKey = shopper.identityKey;
  client = await t.connectGateway(GATEWAY);
});

afterAll(async () => {
  await client?.endAsync();
  await t?.stop();
});

const nowS = Math.floor(Date.now() / 1000);

/** Valid presence batches, some with the enrolled shopper's real EID so sightings resolve. */
const validBatch = fc
  .record({
    seq: fc.nat({ max: 50 }),
    windowOffset: fc.integer({ min: -3600, max: 60 }),
    windowSeconds: fc.constantFrom(10, 30, 60),
    sightings: fc.array(
      fc.record({
        own: fc.boolean(),
        eid: fc.stringMatching(/^[0-9a-f]{16}$/),
        band: fc.constantFrom('near', 'mid', 'far'),
        hits: fc.integer({ min: 1, max: 200 }),
      }),
      { maxLength: 6 },
    ),
    dropped: fc.nat({ max: 10 }),
  })
  .map((b) => {
    const windowStart = nowS + b.windowOffset - ((nowS + b.windowOffset) % b.windowSeconds);
    const own = computeEidHex({ identityKey, exponent: 9, counter: windowStart });
    const seen = new Set<string>();
    const sightings = b.sightings
      .map((s) => ({ eid: s.own ? own : s.eid, band: s.band, hits: s.hits }))
      .filter((s) => !seen.has(s.eid) && seen.add(s.eid));
    return {
      v: 1,
      gateway: GATEWAY,
      seq: b.seq,
      windowStart,
      windowSeconds: b.windowSeconds,
      sightings,
      dropped: b.dropped,
    };
  });

const validStatus = fc.record({
  v: fc.constant(1),
  gateway: fc.constant(GATEWAY),
  state: fc.constantFrom('online', 'offline'),
  uptimeSeconds: fc.nat(),
  advertsPerSecond: fc.double({ min: 0, max: 1e5, noNaN: true }),
  outboxDepth: fc.nat(),
  clockOffsetMs: fc.option(fc.integer({ min: -1e6, max: 1e6 })),
});

function counts(): { quarantine: number; batches: number; sightings: number } {
  const n = (sql: string): number => (t.hub.db.prepare(sql).get() as { n: number }).n;
  return {
    quarantine: n('SELECT COUNT(*) AS n FROM quarantine'),
    batches: n('SELECT COUNT(*) AS n FROM batches'),
    sightings: n('SELECT COUNT(*) AS n FROM sightings'),
  };
}

function publish(topic: string, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no PUBACK within ${DEADLINE_MS} ms`)), DEADLINE_MS);
    client.publish(topic, payload, { qos: 1 }, (error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    });
  });
}

function parsed(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

describe('fuzz: gateway messages through the broker into the ingest', () => {
  it('presence batches: stored whole, quarantined, or a replay — never half, never a crash', async () => {
    const seed = fuzzSeed();
    const report = new FuzzReport('mqtt-presence', seed);
    const topic = presenceTopic(TEST_STORE, GATEWAY);
    await fc.assert(
      fc.asyncProperty(jsonInputs(validBatch), async (input) => {
        const before = counts();
        await publish(topic, input.bytes);
        const after = counts();
        const quarantined = after.quarantine - before.quarantine;
        const stored = after.batches - before.batches;
        const schemaOk = validatePayload('PresenceBatch', parsed(input.bytes)).ok;
        expect(quarantined + stored, `one outcome per message (${input.kind})`).toBeLessThanOrEqual(1);
        expect(quarantined >= 0 && stored >= 0).toBe(true);
        if (!schemaOk) expect(stored, `a payload the schema refuses is not stored (${input.kind})`).toBe(0);
        if (quarantined === 1) expect(after.sightings).toBe(before.sightings);
        if (stored === 1) {
          const batch = parsed(input.bytes) as { seq: number; sightings: unknown[] };
          const row = t.hub.db
            .prepare('SELECT sightings FROM batches WHERE gateway = ? AND seq = ?')
            .get(GATEWAY, batch.seq) as { sightings: number };
          expect(row.sightings).toBe(batch.sightings.length);
          expect(after.sightings - before.sightings).toBeLessThanOrEqual(batch.sightings.length);
        }
        if (stored === 0 && quarantined === 0) expect(after.sightings).toBe(before.sightings);
        report.count(quarantined === 1 ? 'quarantined' : stored === 1 ? 'stored' : 'replayed');
      }),
      fuzzParameters(seed),
    );
    report.write();
    expect(client.connected, 'the gateway session survives every payload').toBe(true);
  }, 120_000);

  it('status messages: stored or quarantined, never a crash', async () => {
    const seed = fuzzSeed();
    const report = new FuzzReport('mqtt-status', seed);
    const topic = statusTopic(TEST_STORE, GATEWAY);
    await fc.assert(
      fc.asyncProperty(jsonInputs(validStatus), async (input) => {
        const before = counts();
        await publish(topic, input.bytes);
        const after = counts();
        const schemaOk = validatePayload('GatewayStatus', parsed(input.bytes)).ok;
        if (!schemaOk)
          expect(after.quarantine - before.quarantine, `refused status quarantined (${input.kind})`).toBe(1);
        expect(after.batches).toBe(before.batches);
        report.count(after.quarantine > before.quarantine ? 'quarantined' : 'stored');
      }),
      fuzzParameters(seed),
    );
    report.write();
    const health = await t.request('GET', '/v1/shoppers/none');
    expect(health.status, 'the hub still answers').toBeLessThan(500);
  }, 120_000);
});
