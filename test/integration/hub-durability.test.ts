import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { presenceTopic } from '../../shared/protocol/topics.ts';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { addGateway, importShoppers, openHubDatabase, readCounters } from '../../hub/mod.ts';
import { TEST_STORE, writeHubFiles } from '../helpers/hub-fixtures.ts';

/**
 * Durability (docs/architecture.md#durability): the hub, as its own process (`node cli/hushpoint.mjs hub`), is killed
 * with SIGKILL while gateways publish QoS 1 batches, then restarted. Every batch a gateway saw
 * acknowledged must be in the database, and no batch may be stored or counted twice.
 */

const GATEWAYS = ['gw-1', 'gw-2', 'gw-3', 'gw-4'];
const BATCHES_PER_GATEWAY = 400;
const SIGHTINGS_PER_BATCH = 20;
const IN_FLIGHT = 20;
const CLI = join(import.meta.dirname, '../../cli/hushpoint.mjs');

function startHub(configFile: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [CLI, 'hub', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; ports?: { mqtts: number } };
        if (entry.msg === 'hub started' && entry.ports) resolve({ child, port: entry.ports.mqtts });
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`hub exited with ${code} before starting: ${stderr}`)));
  });
}

describe('hub durability under SIGKILL', () => {
  const files = writeHubFiles({ log: { level: 'info' } });
  const children: ChildProcess[] = [];
  const clients: MqttClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(files.dir, { recursive: true, force: true });
  });

  it('loses no acknowledged batch and counts none twice', async () => {
    // Registry and shoppers, prepared in the database before the hub starts.
    const random = new CryptoRandomSource();
    const db = openHubDatabase(join(files.dir, 'hub.db'));
    const credentials = new Map<string, string>();
    for (const id of GATEWAYS)
      credentials.set(id, (await addGateway(db, { id, zone: `zone-${id}` }, { random, nowMs: Date.now() })).credential);
    const keys = Array.from({ length: SIGHTINGS_PER_BATCH }, () => {
      const key = Buffer.alloc(16);
      random.fillBytes(key);
      return key;
    });
    importShoppers(
      db,
      keys.map((identityKey, i) => ({ id: `s-${i}`, identityKey, exponent: 9 })),
      Date.now(),
    );
    db.close();

    let hub = await startHub(files.configFile);
    children.push(hub.child);
    // Restarts must come back on the same port: pin it in the config.
    writeFileSync(
      files.configFile,
      stringify({
        ...files.document,
        broker: {
          ...(files.document.broker as object),
          tls: { ...(files.document.broker as { tls: object }).tls, port: hub.port },
        },
      }),
    );

    const now = Math.floor(Date.now() / 1000);
    const windowStart = now - (now % 10) - 600;
    const eids = keys.map((identityKey) => computeEidHex({ identityKey, exponent: 9, counter: windowStart }));
    const acked = new Map<string, Set<number>>(GATEWAYS.map((g) => [g, new Set<number>()]));

    const runGateway = (gateway: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const client = mqtt.connect(`mqtts://127.0.0.1:${hub.port}`, {
          clientId: gateway,
          username: gateway,
          password: credentials.get(gateway) as string,
          ca: files.caPem,
          clean: false,
          reconnectPeriod: 100,
          connectTimeout: 5_000,
        });
        clients.push(client);
        let next = 1;
        let inFlight = 0;
        const mine = acked.get(gateway) as Set<number>;
        const pump = (): void => {
          while (inFlight < IN_FLIGHT && next <= BATCHES_PER_GATEWAY) {
            const seq = next++;
            inFlight++;
            const payload = encodePayload('PresenceBatch', {
              v: 1,
              gateway,
              seq,
              windowStart: windowStart + (seq % 50) * 10,
              windowSeconds: 10,
              sightings: eids.map((eid) => ({ eid, band: 'near' as const, hits: 1 + (seq % 7) })),
              dropped: 0,
            });
            // mqtt.js calls back on PUBACK; unacknowledged QoS 1 messages are re-sent after a reconnect.
            client.publish(presenceTopic(TEST_STORE, gateway), payload, { qos: 1 }, (error) => {
              inFlight--;
              if (error) {
                reject(error);
                return;
              }
              mine.add(seq);
              if (mine.size === BATCHES_PER_GATEWAY) resolve();
              else pump();
            });
          }
        };
        client.once('connect', pump);
      });

    const done = Promise.all(GATEWAYS.map(runGateway));
    // Kill the hub mid-load.
    await expect
      .poll(() => [...acked.values()].reduce((n, s) => n + s.size, 0), { timeout: 15_000, interval: 5 })
      .toBeGreaterThan(150);
    hub.child.kill('SIGKILL');
    const ackedAtKill = new Map([...acked].map(([g, s]) => [g, new Set(s)]));
    await new Promise((resolve) => hub.child.once('exit', resolve));
    const totalAtKill = [...ackedAtKill.values()].reduce((n, s) => n + s.size, 0);
    expect(totalAtKill).toBeLessThan(GATEWAYS.length * BATCHES_PER_GATEWAY);

    // Before any gateway can re-send: every batch acknowledged so far must already be on disk.
    const afterCrash = openHubDatabase(join(files.dir, 'hub.db'), { readonly: true });
    for (const [gateway, seqs] of ackedAtKill) {
      const stored = new Set(
        (afterCrash.prepare('SELECT seq FROM batches WHERE gateway = ?').all(gateway) as Array<{ seq: number }>).map(
          (r) => r.seq,
        ),
      );
      const lost = [...seqs].filter((s) => !stored.has(s));
      expect(lost, `${gateway}: acknowledged but not stored`).toEqual([]);
    }
    afterCrash.close();

    hub = await startHub(files.configFile);
    children.push(hub.child);
    await done;
    hub.child.kill('SIGTERM');
    await new Promise((resolve) => hub.child.once('exit', resolve));

    const check = openHubDatabase(join(files.dir, 'hub.db'), { readonly: true });
    const rows = check.prepare('SELECT gateway, seq, resolved FROM batches').all() as Array<{
      gateway: string;
      seq: number;
      resolved: number;
    }>;
    expect(rows).toHaveLength(GATEWAYS.length * BATCHES_PER_GATEWAY);
    for (const gateway of GATEWAYS) {
      const seqs = rows
        .filter((r) => r.gateway === gateway)
        .map((r) => r.seq)
        .sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: BATCHES_PER_GATEWAY }, (_, i) => i + 1));
    }
    expect(rows.every((r) => r.resolved === SIGHTINGS_PER_BATCH)).toBe(true);
    const sightings = (check.prepare('SELECT COUNT(*) AS n FROM sightings').get() as { n: number }).n;
    expect(sightings).toBe(rows.length * SIGHTINGS_PER_BATCH);
    const counters = readCounters(check);
    expect(counters.batches).toBe(rows.length);
    expect(counters.resolved).toBe(sightings);
    check.close();
    console.info(
      `durability: ${totalAtKill} batches acknowledged before SIGKILL; ${counters.duplicateBatches} re-sent batches were recognised as replays`,
    );
  });
});
