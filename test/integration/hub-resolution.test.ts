import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { presenceTopic } from '../../shared/protocol/topics.ts';
import { startTestHub, TEST_STORE, type TestHub } from '../helpers/hub-fixtures.ts';

/**
 * EID resolution end to end (gateway → broker → resolver → SQLite): across rotation
 * boundaries, and with the gateway's clock (the batch's windowStart) one period off the phone's.
 */
describe('hub EID resolution', () => {
  let t: TestHub;
  let client: MqttClient;
  let seq = 0;
  const shoppers: Array<{ pk: number; key: Buffer; exponent: number }> = [];

  beforeAll(async () => {
    t = await startTestHub({ gateways: [{ id: 'gw-1', zone: 'produce' }] });
    for (const exponent of [9, 9, 4, 4]) {
      const { shopper } = t.hub.shoppers.enroll({ exponent, consent: { presenceForOffers: true, analytics: true } });
      shoppers.push({ pk: shopper.pk, key: shopper.identityKey, exponent });
    }
    client = await t.connectGateway('gw-1');
  });
  afterAll(async () => {
    await client?.endAsync();
    await t?.stop();
  });

  /** Publishes one batch of the shoppers' EIDs as their phones computed them at `phoneTime`, stamped `windowStart` by the gateway. */
  const usedWindows = new Set<number>();
  async function resolvedPks(phoneTime: number, windowStart: number, who = shoppers): Promise<number[]> {
    seq++;
    // 2-second windows: every even second is a valid window start, so the gateway clock can be placed exactly.
    expect(windowStart % 2).toBe(0);
    expect(usedWindows.has(windowStart)).toBe(false);
    usedWindows.add(windowStart);
    const sightings = who.map((s) => ({
      eid: computeEidHex({ identityKey: s.key, exponent: s.exponent, counter: phoneTime }),
      band: 'near' as const,
      hits: 1,
    }));
    await client.publishAsync(
      presenceTopic(TEST_STORE, 'gw-1'),
      encodePayload('PresenceBatch', {
        v: 1,
        gateway: 'gw-1',
        seq,
        windowStart,
        windowSeconds: 2,
        sightings,
        dropped: 0,
      }),
      { qos: 1 },
    );
    return (
      t.hub.db
        .prepare('SELECT shopper_pk AS pk FROM sightings WHERE window_start = ? ORDER BY pk')
        .all(windowStart) as Array<{ pk: number }>
    ).map((r) => r.pk);
  }

  // A moment aligned to both periods (512 s), so "one period off" is exact.
  const now = Math.floor(Date.now() / 1000);
  const base = now - 1024 - (now % 512);
  const all = (): number[] => shoppers.map((s) => s.pk).sort((a, b) => a - b);

  it('resolves every shopper in windows on both sides of many rotation boundaries', async () => {
    // K=4 rotates every 16 s: 2,000 s cross 125 of its boundaries and 3 or 4 of K=9's.
    for (let t0 = base - 1000; t0 <= base + 1000; t0 += 98) {
      expect(await resolvedPks(t0, t0)).toEqual(all());
    }
  });

  it('resolves a phone one period behind or ahead of the gateway clock', async () => {
    const k9 = shoppers.filter((s) => s.exponent === 9);
    const k4 = shoppers.filter((s) => s.exponent === 4);
    const pks = (list: typeof shoppers): number[] => list.map((s) => s.pk).sort((a, b) => a - b);
    // Gateway clock one K=9 period (512 s) behind and ahead of the phone (the phone at the start of its period).
    expect(await resolvedPks(base + 4, base + 4 - 512, k9)).toEqual(pks(k9));
    expect(await resolvedPks(base + 6, base + 6 + 512, k9)).toEqual(pks(k9));
    // And the extremes: phone at the end of its period, gateway at the end of the next one.
    expect(await resolvedPks(base + 510, base + 1022, k9)).toEqual(pks(k9));
    // The same for K=4 (16 s periods).
    expect(await resolvedPks(base + 100, base + 116, k4)).toEqual(pks(k4));
    expect(await resolvedPks(base + 100, base + 84, k4)).toEqual(pks(k4));
  });

  it('does not resolve EIDs two or more periods away, and counts them', async () => {
    const before = t.hub.stats().unresolved;
    const k4 = shoppers.filter((s) => s.exponent === 4);
    expect(await resolvedPks(base + 200, base + 200 + 32, k4)).toEqual([]);
    expect(
      await resolvedPks(
        base + 300,
        base + 300 - 2 * 512,
        shoppers.filter((s) => s.exponent === 9),
      ),
    ).toEqual([]);
    expect(t.hub.stats().unresolved - before).toBe(4);
  });

  it('stops resolving a deleted shopper at once, and keeps its period tables bounded', async () => {
    const gone = shoppers[0] as (typeof shoppers)[number];
    const id = (t.hub.db.prepare('SELECT id FROM shoppers WHERE pk = ?').get(gone.pk) as { id: string }).id;
    expect(t.hub.shoppers.delete(id)).toBe(true);
    expect(await resolvedPks(base + 400, base + 400, [gone])).toEqual([]);
    expect(t.hub.db.prepare('SELECT COUNT(*) AS n FROM sightings WHERE shopper_pk = ?').get(gone.pk)).toEqual({ n: 0 });
    expect(t.hub.directory.resolver.stats().tables).toBeLessThanOrEqual(t.hub.config.eid.cachedPeriods);
  });
});
