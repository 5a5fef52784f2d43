import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayWorkspace, recordMessages, waitFor } from '../../gateway/testing/harness.ts';
import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { formatTraceHeader, formatTraceRecord } from '../../shared/ble/trace.ts';
import { encodeEddystoneAdvert } from '../../shared/eid/carriers.ts';
import { decodePayload, decodePresenceBatch } from '../../shared/protocol/codec.ts';
import { filters, statusTopic } from '../../shared/protocol/topics.ts';
import { freePort, startBroker } from '../helpers/broker.ts';

const LAUNCHER = fileURLToPath(new URL('../../cli/hushpoint.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const T0 = 1_790_000_000_000;

const eidFor = (window: number): string => `e1d0${window.toString(16).padStart(12, '0')}`;

/** Windows `from`..`to`-1 of one second, one shopper per window heard three times. */
function writeTrace(file: string, from: number, to: number): void {
  const lines = [formatTraceHeader({ gateway: 'gw-test', source: 'sim', startMs: T0 + from * 1000 })];
  for (let k = from; k < to; k++) {
    for (const offset of [100, 400, 700]) {
      const hci = encodeAdvertisingReport({
        eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
        addressType: 'random',
        address: 'c3:00:00:00:00:07',
        data: encodeEddystoneAdvert(eidFor(k)),
        rssi: -75,
      });
      lines.push(formatTraceRecord(T0 + k * 1000 + offset, hci));
    }
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

interface Child {
  process: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startGateway(configFile: string): Child {
  const child = spawn(process.execPath, [LAUNCHER, 'gateway', '--config', configFile], {
    cwd: ROOT,
    env: { ...process.env, HUSHPOINT_CLI_ENTRY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => lines.push(`stderr: ${chunk}`));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, lines, exited };
}

const logged = (child: Child, msg: string): boolean => child.lines.some((line) => line.includes(`"msg":"${msg}"`));

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('gateway process: SIGKILL while the hub is down', () => {
  it('keeps every stored window across the kill, and the restarted gateway delivers them with seq continuing', async () => {
    const port = await freePort();
    const ws = gatewayWorkspace({
      hub: { url: `mqtt://127.0.0.1:${port}`, reconnectMinMs: 100, reconnectMaxMs: 1000 },
      ble: { source: 'replay:a.jsonl', replaySpeed: 50 },
      window: { seconds: 1 },
      log: { level: 'info' },
    });
    cleanup.push(() => ws.remove());
    writeTrace(join(ws.dir, 'a.jsonl'), 0, 20);
    writeTrace(join(ws.dir, 'b.jsonl'), 20, 30);
    const configFile = ws.writeConfig();

    // Run 1: the broker is down; the whole of trace A is windowed into the outbox, then SIGKILL.
    const first = startGateway(configFile);
    cleanup.push(() => void first.process.kill('SIGKILL'));
    await waitFor(
      () => logged(first, 'replay finished'),
      () => `run 1 to finish its replay\n${first.lines.join('\n')}`,
      30_000,
    );
    expect(logged(first, 'hub unreachable')).toBe(true);
    first.process.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const db = new Database(join(ws.dir, 'outbox.db'));
    expect(db.prepare('SELECT count(*) AS n FROM batches').get()).toEqual({ n: 20 });
    expect(db.prepare("SELECT value FROM meta WHERE key = 'next_seq'").get()).toEqual({ value: 20 });
    db.close();

    // Run 2: trace B, and the broker is back (the gateway is let in once the recorder listens).
    writeFileSync(configFile, JSON.stringify({ ...ws.config, ble: { ...ws.config.ble, source: 'replay:b.jsonl' } }));
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    const broker = await startBroker({
      port,
      aedes: {
        authenticate: (client, _u, _p, done) =>
          client.id.startsWith('rec-') ? done(null, true) : void gate.then(() => done(null, true)),
      },
    });
    cleanup.push(() => broker.close());
    const recorder = await recordMessages(broker.url, [filters.allPresence('store-1'), filters.allStatus('store-1')]);
    cleanup.push(() => recorder.close());
    openGate();
    const second = startGateway(configFile);
    cleanup.push(() => void second.process.kill('SIGKILL'));
    const presence = () => recorder.messages.filter((m) => m.topic.endsWith('/presence'));
    await recorder
      .until(() => presence().length >= 30, 30_000)
      .catch((error: Error) => {
        throw new Error(`${error.message}\n${second.lines.join('\n')}`);
      });
    expect(
      second.lines.some(
        (line) =>
          line.includes('"msg":"outbox resumed"') && line.includes('"depth":20') && line.includes('"nextSeq":20'),
      ),
    ).toBe(true);

    const batches = presence().map((m) => {
      const decoded = decodePresenceBatch(m.payload, { nowSeconds: T0 / 1000 + 3600 });
      if (!decoded.ok) throw new Error(JSON.stringify(decoded.problems));
      return decoded.value;
    });
    expect(batches.map((b) => b.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(batches.map((b) => b.windowStart)).toEqual(Array.from({ length: 30 }, (_, k) => T0 / 1000 + k));
    batches.forEach((b, k) => expect(b.sightings).toEqual([{ eid: eidFor(k), band: 'mid', hits: 3 }]));

    // Killed while connected: the broker publishes the last will, retained.
    await recorder.until((messages) => messages.some((m) => m.topic.endsWith('/status')), 10_000);
    second.process.kill('SIGKILL');
    await second.exited;
    const offline = (m: { topic: string; payload: Buffer }): boolean =>
      m.topic.endsWith('/status') && JSON.parse(m.payload.toString()).state === 'offline';
    await recorder.until((messages) => messages.some(offline), 10_000);
    const statusRecorder = await recordMessages(broker.url, [statusTopic('store-1', 'gw-test')], {
      clientId: 'rec-status',
    });
    cleanup.push(() => statusRecorder.close());
    const [retained] = await statusRecorder.until((messages) => messages.length >= 1, 10_000);
    expect(retained?.retain).toBe(true);
    const will = decodePayload('GatewayStatus', retained?.payload ?? '');
    expect(will.ok && will.value).toEqual({
      v: 1,
      gateway: 'gw-test',
      state: 'offline',
      zone: 'entrance',
      version: expect.any(String),
    });
  });
});
