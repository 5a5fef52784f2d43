import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { presenceTopic } from '../../shared/protocol/topics.ts';
import { startTestHub, TEST_STORE, type TestHub } from '../helpers/hub-fixtures.ts';

/**
 * A message that the hub cannot store on its own (here: a trigger refuses one seq, standing in
 * for any bug in the commit path) must not fail the messages committed with it, nor stay
 * unacknowledged forever (the gateway would resend it on every reconnect and its outbox would
 * block behind it): it is quarantined with the error, and counted.
 */
describe('hub ingest: one message that cannot be stored', () => {
  let t: TestHub;
  const now = Math.floor(Date.now() / 1000);
  const windowStart = now - (now % 10) - 60;
  let key: Buffer;

  beforeAll(async () => {
    t = await startTestHub({ gateways: [{ id: 'gw-1', zone: 'produce' }] });
    key = t.hub.shoppers.enroll({ exponent: 9, consent: { presenceForOffers: true, analytics: true } }).shopper
      .identityKey;
    t.hub.db.exec(
      "CREATE TRIGGER poison BEFORE INSERT ON batches WHEN NEW.seq = 666 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
    );
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('quarantines it, stores the others of its group, and acknowledges all', async () => {
    const client = await t.connectGateway('gw-1');
    const eid = computeEidHex({ identityKey: key, exponent: 9, counter: windowStart });
    const payload = (seq: number): Buffer =>
      encodePayload('PresenceBatch', {
        v: 1,
        gateway: 'gw-1',
        seq,
        windowStart,
        windowSeconds: 10,
        sightings: [{ eid, band: 'near', hits: 3 }],
        dropped: 0,
      });
    const before = t.hub.stats();
    // Sent together, so the ingest commits them in one group.
    await Promise.all(
      [664, 665, 666, 667].map((seq) =>
        client.publishAsync(presenceTopic(TEST_STORE, 'gw-1'), payload(seq), { qos: 1 }),
      ),
    );
    const seqs = t.hub.db.prepare('SELECT seq FROM batches ORDER BY seq').pluck().all();
    expect(seqs).toEqual([664, 665, 667]);
    const row = t.hub.db.prepare('SELECT problems FROM quarantine ORDER BY pk DESC LIMIT 1').get() as {
      problems: string;
    };
    expect(JSON.parse(row.problems)[0].message).toMatch(/could not be processed by the hub .*refused by the test/);
    const after = t.hub.stats();
    expect(after.batches - before.batches).toBe(3);
    expect(after.sightings - before.sightings).toBe(3);
    expect(after.quarantined - before.quarantined).toBe(1);
    expect(after.ingestErrors - before.ingestErrors).toBe(1);
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM sightings').get()).toEqual({ n: 3 });
    expect(client.connected).toBe(true);
    await client.endAsync();
  });
});
