import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { presenceTopic } from '../../shared/protocol/topics.ts';
import type { Band } from '../../shared/protocol/messages.ts';
import { main } from '../../cli/main.ts';
import type { ZoneEnterEvent } from '../../hub/mod.ts';
import { startTestHub, TEST_STORE, type TestHub } from '../helpers/hub-fixtures.ts';

function captureIo(): { io: { out: (t: string) => void; err: (t: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, out, err };
}

describe('hub presence: zones per window, visits, dwell, export', () => {
  let t: TestHub;
  let produce: MqttClient;
  let bakery: MqttClient;
  const seqs = new Map<string, number>();
  const keys = new Map<string, Buffer>();
  const entered: ZoneEnterEvent[] = [];
  const now = Math.floor(Date.now() / 1000);
  const T = now - (now % 10) - 3600; // an hour ago, on a window boundary

  beforeAll(async () => {
    t = await startTestHub({
      gateways: [
        { id: 'gw-produce', zone: 'produce' },
        { id: 'gw-bakery', zone: 'bakery' },
      ],
      config: { presence: { switchPenalty: 6, visitGapSeconds: 120, finalizeIntervalMs: 60_000 } },
    });
    for (const id of ['ann', 'bob']) {
      const key = Buffer.alloc(16, id === 'ann' ? 1 : 2);
      keys.set(id, key);
    }
    t.hub.shoppers.import([...keys].map(([id, identityKey]) => ({ id, identityKey, exponent: 9 })));
    t.hub.events.on('zoneEnter', (e) => entered.push(e));
    produce = await t.connectGateway('gw-produce');
    bakery = await t.connectGateway('gw-bakery');
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function send(
    client: MqttClient,
    gateway: string,
    windowStart: number,
    heard: Array<[string, Band, number]>,
  ): Promise<void> {
    const seq = (seqs.get(gateway) ?? 0) + 1;
    seqs.set(gateway, seq);
    const sightings = heard.map(([who, band, hits]) => ({
      eid: computeEidHex({ identityKey: keys.get(who) as Buffer, exponent: 9, counter: windowStart }),
      band,
      hits,
    }));
    await client.publishAsync(
      presenceTopic(TEST_STORE, gateway),
      encodePayload('PresenceBatch', { v: 1, gateway, seq, windowStart, windowSeconds: 10, sightings, dropped: 0 }),
      { qos: 1 },
    );
  }

  it('waits for every active gateway before closing a window', async () => {
    await send(produce, 'gw-produce', T, [['ann', 'near', 5]]);
    await send(produce, 'gw-produce', T + 10, [['ann', 'near', 5]]);
    // gw-bakery has sent nothing yet, so only gw-produce is active: its windows can close.
    expect(await t.hub.finalizePresence()).toBe(2);
    await send(bakery, 'gw-bakery', T, [['ann', 'far', 1]]);
    // gw-bakery is now active but behind (its latest window ends at T+10): nothing new closes.
    await send(produce, 'gw-produce', T + 20, [['ann', 'mid', 3]]);
    expect(await t.hub.finalizePresence()).toBe(0);
  });

  it('places shoppers by best band then hits, smoothed against flapping, and exports the windows', async () => {
    // Ann walks from produce to bakery at T+30; a one-window flap at T+70 is ignored. Bob is only in the bakery.
    await send(bakery, 'gw-bakery', T + 10, [['bob', 'near', 2]]);
    await send(bakery, 'gw-bakery', T + 20, [
      ['ann', 'far', 1],
      ['bob', 'near', 2],
    ]);
    for (let w = T + 30; w <= T + 90; w += 10) {
      const flap = w === T + 70;
      await send(produce, 'gw-produce', w, [['ann', flap ? 'near' : 'far', 1]]);
      await send(bakery, 'gw-bakery', w, [
        ['ann', flap ? 'mid' : 'near', 6],
        ['bob', 'mid', 1],
      ]);
    }
    // Both gateways have delivered up to T+100: windows T+20 … T+90 close.
    expect(await t.hub.finalizePresence()).toBe(8);
    const io = captureIo();
    const out = join(t.dir, 'zones.jsonl');
    expect(await main(['hub', 'export-zones', '--config', t.configFile, '--out', out], io.io)).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { windowStart: number; shopperId: string; zone: string });
    const ann = lines.filter((l) => l.shopperId === 'ann').map((l) => [l.windowStart - T, l.zone]);
    expect(ann).toEqual([
      [0, 'produce'],
      [10, 'produce'],
      [20, 'produce'],
      [30, 'bakery'],
      [40, 'bakery'],
      [50, 'bakery'],
      [60, 'bakery'],
      [70, 'bakery'],
      [80, 'bakery'],
      [90, 'bakery'],
    ]);
    expect(lines.filter((l) => l.shopperId === 'bob').every((l) => l.zone === 'bakery')).toBe(true);
    expect(Object.keys(lines[0] as object)).toEqual(['windowStart', 'shopperId', 'zone']);
    expect(entered.filter((e) => e.shopperId === 'ann').map((e) => [e.zone, e.at - T, e.previousZone])).toEqual([
      ['produce', 0, null],
      ['bakery', 30, 'produce'],
    ]);

    const range = captureIo();
    expect(
      await main(
        [
          'hub',
          'export-zones',
          '--config',
          t.configFile,
          '--out',
          '-',
          '--from',
          String(T + 30),
          '--to',
          String(T + 50),
        ],
        range.io,
      ),
    ).toBe(0);
    expect(range.out.join('').trim().split('\n')).toHaveLength(4);
  });

  it('ends a visit after the gap and records dwell per zone', async () => {
    // Nothing for ann for 4 minutes, then she is back: the first visit ends at its last window.
    const back = T + 400;
    await send(produce, 'gw-produce', back, [['ann', 'near', 2]]);
    await send(bakery, 'gw-bakery', back, [['bob', 'mid', 1]]);
    await t.hub.finalizePresence();
    const annPk = t.hub.shoppers.get('ann')?.pk;
    const visits = t.hub.db
      .prepare(
        'SELECT pk, started_at - ? AS started, ended_at - ? AS ended FROM visits WHERE shopper_pk = ? ORDER BY started_at',
      )
      .all(T, T, annPk) as Array<{ pk: number; started: number; ended: number | null }>;
    expect(visits.map((v) => [v.started, v.ended])).toEqual([
      [0, 100],
      [400, null],
    ]);
    const dwell = t.hub.db
      .prepare('SELECT zone, dwell_seconds AS s FROM visit_zones WHERE visit_pk = ? ORDER BY zone')
      .all((visits[0] as { pk: number }).pk);
    expect(dwell).toEqual([
      { zone: 'bakery', s: 70 },
      { zone: 'produce', s: 30 },
    ]);
  });

  it('prints the counters with `hushpoint hub stats`, from another connection', async () => {
    const io = captureIo();
    expect(await main(['hub', 'stats', '--config', t.configFile, '--json'], io.io)).toBe(0);
    const stats = JSON.parse(io.out.join('')) as Record<string, number>;
    expect(stats).toMatchObject({
      batches: 22,
      resolved: 30,
      quarantined: 0,
      refusedConnections: 0,
      gatewaysRegistered: 2,
    });
    // System figures only: no count of shoppers or visits.
    expect(Object.keys(stats)).not.toEqual(expect.arrayContaining(['shoppersEnrolled']));
    expect(stats).not.toHaveProperty('openVisits');
    expect(stats).not.toHaveProperty('visitsStarted');
    expect(stats.windowsFinalized).toBe(11);
    const text = captureIo();
    expect(await main(['hub', 'stats', '--config', t.configFile], text.io)).toBe(0);
    expect(text.out.join('\n')).toMatch(/^batches\s+22$/m);
  });

  it('imports shoppers from a file with `hushpoint hub import-shoppers`, picked up by the running hub', async () => {
    const file = join(t.dir, 'shoppers.json');
    writeFileSync(
      file,
      JSON.stringify({
        store: 'x',
        shoppers: [{ shopperId: 'cat', kind: 'tag', carrier: 'eddystone', identityKey: 'ff'.repeat(16), exponent: 9 }],
      }),
    );
    const io = captureIo();
    expect(await main(['hub', 'import-shoppers', '--config', t.configFile, '--file', file], io.io)).toBe(0);
    expect(io.out.join('')).toMatch(/1 shoppers imported/);
    expect(t.hub.directory.refreshIfChanged(now)).toBe(true);
    const eid = computeEidHex({ identityKey: Buffer.alloc(16, 0xff), exponent: 9, counter: now });
    expect(t.hub.directory.resolver.resolve(eid, now)).toBe(t.hub.shoppers.get('cat')?.pk);
    const bad = captureIo();
    writeFileSync(file, JSON.stringify([{ id: 'dog', identityKey: 'zz' }]));
    expect(await main(['hub', 'import-shoppers', '--config', t.configFile, '--file', file], bad.io)).toBe(1);
    expect(bad.err.join('')).toMatch(/\/0\/identityKey/);
  });

  it('deletes old sightings and visits with the retention job', async () => {
    const deleted = t.hub.runRetention();
    // Everything here is an hour old: sightings are kept 24 h, visits 30 days.
    expect(deleted.sightings).toBe(0);
    t.hub.db.prepare('UPDATE sightings SET window_start = window_start - 2 * 86400').run();
    t.hub.db.prepare('UPDATE visits SET ended_at = ended_at - 40 * 86400 WHERE ended_at IS NOT NULL').run();
    const again = t.hub.runRetention();
    expect(again.sightings).toBe(30);
    // Ann's first visit (produce, bakery) and Bob's (bakery) had ended.
    expect(again.visits).toBe(2);
    expect(again.visit_zones).toBe(3);
    expect(t.hub.stats().retentionRuns).toBe(2);
  });
});
