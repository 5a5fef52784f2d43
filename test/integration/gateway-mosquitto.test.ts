import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway } from '../../gateway/app.ts';
import { gatewayWorkspace, waitFor } from '../../gateway/testing/harness.ts';
import { decodePayload, decodePresenceBatch } from '../../shared/protocol/codec.ts';
import { filters, statusTopic } from '../../shared/protocol/topics.ts';
import { freePort } from '../helpers/broker.ts';
import { STORE_MORNING, buildStoreMorningTrace, expectedWindows } from '../fixtures/traces/store-morning.ts';

/**
 * Interop with Debian's mosquitto: the gateway publishes to a real mosquitto broker and the
 * mosquitto_sub command-line client reads what a hub would. Needs the mosquitto and
 * mosquitto-clients packages (.ci/run installs them): skipped with a message when missing on a
 * developer machine, a failure when CI is set.
 */

const MOSQUITTO = '/usr/sbin/mosquitto';
const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';
const missing = [MOSQUITTO, MOSQUITTO_SUB].filter((path) => !existsSync(path));
const run = promisify(execFile);

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function spawnCollect(command: string, args: string[]): { child: ChildProcess; lines: string[] } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => lines.push(`stderr: ${chunk.trim()}`));
  return { child, lines };
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** One retained message on `topic` as mosquitto_sub prints it with -F '%r %p' (retained flag, payload). */
async function retainedFrom(
  port: number,
  topic: string,
): Promise<{ retained: boolean; payload: Record<string, unknown> }> {
  const { stdout } = await run(MOSQUITTO_SUB, [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-t',
    topic,
    '-C',
    '1',
    '-W',
    '5',
    '-F',
    '%r %p',
  ]);
  const line = stdout.trim();
  const space = line.indexOf(' ');
  return {
    retained: line.slice(0, space) === '1',
    payload: JSON.parse(line.slice(space + 1)) as Record<string, unknown>,
  };
}

if (missing.length > 0 && process.env.CI) {
  describe('gateway ↔ mosquitto interop', () => {
    it("needs Debian's mosquitto and mosquitto-clients", () => {
      throw new Error(
        `${missing.join(', ')} not installed, expected the Debian packages mosquitto and mosquitto-clients (.ci/run installs them)`,
      );
    });
  });
} else {
  describe.skipIf(missing.length > 0)(
    `gateway ↔ mosquitto interop${missing.length > 0 ? ` (skipped: ${missing.join(', ')} not installed; apt-get install mosquitto mosquitto-clients)` : ''}`,
    () => {
      it('delivers presence and the retained status to mosquitto_sub as documented', async () => {
        const port = await freePort();
        const dir = mkdtempSync(join(tmpdir(), 'hp-mosquitto-'));
        cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
        writeFileSync(
          join(dir, 'mosquitto.conf'),
          `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`,
        );
        const broker = spawnCollect(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')]);
        cleanup.push(() => void broker.child.kill('SIGTERM'));
        await waitFor(
          async () => {
            if (broker.child.exitCode !== null) throw new Error(`mosquitto exited: ${broker.lines.join('\n')}`);
            return listening(port);
          },
          () => `mosquitto to listen: ${broker.lines.join('\n')}`,
          10_000,
        );

        // The reader: mosquitto_sub -v prints "topic payload" per message. A probe message tells
        // us when its subscription is in place.
        const reader = spawnCollect(MOSQUITTO_SUB, [
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-v',
          '-q',
          '1',
          '-t',
          filters.allPresence('store-1'),
          '-t',
          filters.allStatus('store-1'),
          '-t',
          'probe/ready',
        ]);
        cleanup.push(() => void reader.child.kill('SIGTERM'));
        const prober = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'probe' });
        cleanup.push(() => prober.endAsync(true));
        await waitFor(
          async () => {
            if (reader.lines.some((line) => line.startsWith('probe/ready'))) return true;
            await prober.publishAsync('probe/ready', 'x');
            return false;
          },
          "mosquitto_sub's subscription",
          10_000,
        );

        const ws = gatewayWorkspace({
          gateway: 'gw-entrance',
          hub: { url: `mqtt://127.0.0.1:${port}` },
          ble: { source: `replay:${fileURLToPath(STORE_MORNING.file)}`, replaySpeed: 0 },
          window: { seconds: STORE_MORNING.windowSeconds, ...STORE_MORNING.settings },
        });
        cleanup.push(() => ws.remove());
        const gateway = createGateway({ config: ws.config, resolvePath: ws.resolvePath, leds: null });
        cleanup.push(() => gateway.stop());
        await gateway.start();
        await gateway.replayFinished;

        const presenceLines = () =>
          reader.lines.filter((line) => line.startsWith('hushpoint/v1/store-1/gateways/gw-entrance/presence '));
        await waitFor(
          () => presenceLines().length >= STORE_MORNING.windows,
          `${STORE_MORNING.windows} presence lines from mosquitto_sub\n${reader.lines.join('\n')}`,
        );
        const batches = presenceLines().map((line) => {
          const decoded = decodePresenceBatch(line.slice(line.indexOf(' ') + 1), {
            nowSeconds: STORE_MORNING.startMs / 1000 + 3600,
          });
          if (!decoded.ok) throw new Error(JSON.stringify(decoded.problems));
          return decoded.value;
        });
        const built = buildStoreMorningTrace();
        const firstT = JSON.parse(built.lines[1] as string).t as number;
        const lastT = JSON.parse(built.lines.at(-1) as string).t as number;
        expect(batches.map((b) => ({ windowStart: b.windowStart, sightings: b.sightings }))).toEqual(
          expectedWindows(built.hits, {
            windowSeconds: STORE_MORNING.windowSeconds,
            ...STORE_MORNING.settings,
            fromMs: firstT,
            toMs: lastT,
          }),
        );
        expect(batches.map((b) => b.seq)).toEqual([0, 1, 2, 3, 4, 5]);

        const topic = statusTopic('store-1', 'gw-entrance');
        expect(reader.lines.some((line) => line.startsWith(`${topic} `))).toBe(true);
        const online = await retainedFrom(port, topic);
        expect(online.retained).toBe(true);
        const decodedOnline = decodePayload('GatewayStatus', JSON.stringify(online.payload));
        expect(decodedOnline.ok && decodedOnline.value).toMatchObject({
          v: 1,
          gateway: 'gw-entrance',
          state: 'online',
          zone: 'entrance',
          adapterState: 'replay',
        });

        await gateway.stop();
        const offline = await retainedFrom(port, topic);
        expect(offline).toMatchObject({ retained: true, payload: { v: 1, gateway: 'gw-entrance', state: 'offline' } });
      });
    },
  );
}
