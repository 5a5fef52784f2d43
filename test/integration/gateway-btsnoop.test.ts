import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway } from '../../gateway/app.ts';
import { ReplaySource } from '../../gateway/mod.ts';
import {
  captureLogger,
  gatewayWorkspace,
  recordMessages,
  type GatewayWorkspace,
} from '../../gateway/testing/harness.ts';
import { encodeBtsnoop, isAdvertisingReportEvent, parseBtsnoop } from '../../shared/ble/btsnoop.ts';
import { decodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { encodeEddystoneAdvert } from '../../shared/eid/carriers.ts';
import { formatTraceHeader, formatTraceRecord } from '../../shared/ble/trace.ts';
import { isAppError } from '../../shared/errors.ts';
import { decodePresenceBatch } from '../../shared/protocol/codec.ts';
import { parseTopic } from '../../shared/protocol/topics.ts';
import { startBroker } from '../helpers/broker.ts';
import { hushpoint } from '../helpers/cli.ts';
import { STORE_MORNING } from '../fixtures/traces/store-morning.ts';

/**
 * btsnoop captures (Android's btsnoop_hci.log) replayed through the real gateway: noble's real
 * parser, the opt-in filter, the windows, a real aedes broker. Each btsnoop replay is checked
 * against the replay of the same advertising reports as a JSONL trace, the format the other
 * replay tests pin down.
 */

const REAL_CAPTURE = fileURLToPath(new URL('../fixtures/btsnoop/horizon-treadmill.btsnoop', import.meta.url));
const STORE_TRACE = fileURLToPath(STORE_MORNING.file);

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

interface ReplayRun {
  adverts: number;
  optInAdverts: number;
  batches: Array<{ windowStart: number; sightings: unknown[] }>;
  published: string;
  logs: string[];
  source: ReplaySource;
}

/** Replays FILE (as fast as possible) through a gateway publishing to a real aedes broker. */
async function replay(ws: GatewayWorkspace, file: string, windowSeconds: number): Promise<ReplayRun> {
  const broker = await startBroker();
  cleanup.push(() => broker.close());
  const recorder = await recordMessages(broker.url, ['#']);
  cleanup.push(() => recorder.close());
  const config = {
    ...ws.config,
    hub: { ...ws.config.hub, url: broker.url },
    ble: { ...ws.config.ble, source: `replay:${file}`, replaySpeed: 0 },
    window: { ...ws.config.window, seconds: windowSeconds, ...STORE_MORNING.settings },
    outbox: { ...ws.config.outbox, path: join(ws.dir, `${file.split('/').at(-1)}.outbox.db`) },
  };
  const { logger, lines } = captureLogger('trace');
  const source = new ReplaySource({ file, speed: 0, clock: { now: () => Date.now() }, logger });
  const gateway = createGateway({ config, resolvePath: ws.resolvePath, logger, ble: source, leds: null });
  cleanup.push(() => gateway.stop());
  await gateway.start();
  await gateway.replayFinished;
  const windows = gateway.stats().windowsClosed;
  const presence = (): typeof recorder.messages =>
    recorder.messages.filter((m) => parseTopic(m.topic)?.kind === 'presence');
  await recorder.until(() => presence().length >= windows);
  const batches = presence().map((m) => {
    const decoded = decodePresenceBatch(m.payload, { nowSeconds: Date.now() / 1000 });
    if (!decoded.ok) throw new Error(JSON.stringify(decoded.problems));
    return { windowStart: decoded.value.windowStart, sightings: decoded.value.sightings };
  });
  const stats = gateway.stats();
  await gateway.stop();
  return {
    adverts: stats.adverts,
    optInAdverts: stats.optInAdverts,
    batches,
    published: recorder.messages.map((m) => `${m.topic} ${m.payload.toString('utf8')}`).join('\n'),
    logs: lines,
    source,
  };
}

function jsonlOf(records: Array<{ t: number; hci: Buffer }>): string {
  return `${[formatTraceHeader({ source: 'test', startMs: records[0]?.t ?? 0 }), ...records.map((r) => formatTraceRecord(r.t, r.hci))].join('\n')}\n`;
}

/** The store-morning trace's records, as Android would have logged them, with the stack's other traffic between. */
function storeMorningRecords(): Array<{ t: number; hci: Buffer }> {
  return readFileSync(STORE_TRACE, 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { t: number; hci: string })
    .map((r) => ({ t: r.t, hci: Buffer.from(r.hci, 'hex') }));
}

const COMMAND = Buffer.from('010c20020100', 'hex'); // LE Set Scan Enable
const COMMAND_COMPLETE = Buffer.from('040e04010c2000', 'hex');
const ACL = Buffer.from('02400007000300040001020304', 'hex');

function storeMorningBtsnoop(): Buffer {
  const records = storeMorningRecords();
  return encodeBtsnoop(
    records.flatMap((r, i) =>
      i % 5 === 0
        ? [
            { t: r.t, packet: COMMAND },
            { t: r.t, packet: COMMAND_COMPLETE },
            { t: r.t, packet: r.hci },
            { t: r.t, packet: ACL },
          ]
        : [{ t: r.t, packet: r.hci }],
    ),
  );
}

describe('gateway: btsnoop captures through noble', () => {
  it('replays the real Android capture: every advertising report reaches noble as from the JSONL trace, nothing is published, no address leaves', async () => {
    const ws = gatewayWorkspace({ gateway: 'gw-entrance', hub: { url: 'mqtt://127.0.0.1:1' } });
    cleanup.push(() => ws.remove());
    const capture = parseBtsnoop(readFileSync(REAL_CAPTURE));
    const adverts = capture.records.filter((r) => r.event !== null && isAdvertisingReportEvent(r.event));
    expect(adverts).toHaveLength(100);
    const jsonl = join(ws.dir, 'same.jsonl');
    writeFileSync(jsonl, jsonlOf(adverts.map((r) => ({ t: r.t, hci: r.event as Buffer }))));

    const fromBtsnoop = await replay(ws, REAL_CAPTURE, 2);
    const fromJsonl = await replay(ws, jsonl, 2);
    expect(fromBtsnoop.source.summary).toEqual({
      format: 'btsnoop',
      records: 100,
      firstMs: adverts[0]!.t,
      lastMs: adverts.at(-1)!.t,
      skipped: 168,
    });
    expect(fromBtsnoop.source.problem).toBeNull();
    // Every report reached noble's parser and the gateway's intake counted it.
    expect(fromBtsnoop.adverts).toBe(100);
    expect(fromBtsnoop.adverts).toBe(fromJsonl.adverts);
    expect(fromBtsnoop.optInAdverts).toBe(0);
    expect(fromBtsnoop.batches.flatMap((b) => b.sightings)).toEqual([]);
    expect(fromBtsnoop.batches).toEqual(fromJsonl.batches);

    const addresses = new Set(adverts.map((r) => decodeAdvertisingReport(r.event as Buffer)!.address));
    expect(addresses.size).toBe(27);
    const published = fromBtsnoop.published.toLowerCase();
    const logged = fromBtsnoop.logs.join('\n').toLowerCase();
    for (const address of addresses)
      for (const form of [address, address.replaceAll(':', ''), address.split(':').reverse().join('')]) {
        expect(published.includes(form), `published ${form}`).toBe(false);
        expect(logged.includes(form), `logged ${form}`).toBe(false);
      }
  });

  it('publishes the same windows from the store-morning trace as btsnoop (commands and ACL data between) as from its JSONL', async () => {
    const ws = gatewayWorkspace({ gateway: 'gw-entrance', hub: { url: 'mqtt://127.0.0.1:1' } });
    cleanup.push(() => ws.remove());
    const file = join(ws.dir, 'store-morning.btsnoop');
    writeFileSync(file, storeMorningBtsnoop());
    const fromBtsnoop = await replay(ws, file, STORE_MORNING.windowSeconds);
    const fromJsonl = await replay(ws, STORE_TRACE, STORE_MORNING.windowSeconds);
    expect(fromBtsnoop.batches).toHaveLength(STORE_MORNING.windows);
    expect(fromBtsnoop.batches.flatMap((b) => b.sightings).length).toBeGreaterThan(5);
    expect(fromBtsnoop.batches).toEqual(fromJsonl.batches);
    expect(fromBtsnoop.optInAdverts).toBe(fromJsonl.optInAdverts);
  });

  it('replays a capture cut mid-record up to the cut, and names the byte offset', async () => {
    const ws = gatewayWorkspace({ gateway: 'gw-entrance', hub: { url: 'mqtt://127.0.0.1:1' } });
    cleanup.push(() => ws.remove());
    const whole = storeMorningBtsnoop();
    const parsed = parseBtsnoop(whole);
    const cutRecord = parsed.records[Math.floor(parsed.records.length * 0.6)]!;
    const file = join(ws.dir, 'cut.btsnoop');
    writeFileSync(file, whole.subarray(0, cutRecord.offset + 24 + 3));
    const before = parsed.records.filter((r) => r.offset < cutRecord.offset && r.event?.[1] === 0x3e);
    const prefix = join(ws.dir, 'prefix.jsonl');
    writeFileSync(prefix, jsonlOf(before.map((r) => ({ t: r.t, hci: r.event as Buffer }))));

    const cut = await replay(ws, file, STORE_MORNING.windowSeconds);
    const fromPrefix = await replay(ws, prefix, STORE_MORNING.windowSeconds);
    expect(cut.source.summary?.records).toBe(before.length);
    expect(cut.source.problem?.code).toBe('BLE_TRACE_INVALID');
    expect(cut.source.problem?.message).toBe(
      `${file}: byte ${cutRecord.offset}: packet is cut short (3 of ${cutRecord.packet.length} bytes), expected the whole record (${parsed.records.indexOf(cutRecord)} records before it)`,
    );
    expect(cut.logs.some((l) => l.includes('replay file damaged') && l.includes(`byte ${cutRecord.offset}`))).toBe(
      true,
    );
    expect(cut.batches.flatMap((b) => b.sightings).length).toBeGreaterThan(0);
    expect(cut.batches).toEqual(fromPrefix.batches);
  });

  it('hears opt-in frames in LE Extended Advertising Reports (Bluetooth 5 controllers) as in legacy ones', async () => {
    const ws = gatewayWorkspace({ gateway: 'gw-entrance', hub: { url: 'mqtt://127.0.0.1:1' } });
    cleanup.push(() => ws.remove());
    const eid = '0123456789abcdef';
    const data = encodeEddystoneAdvert(eid, -18);
    // Core Spec Vol 4 Part E §7.7.65.13, one report: event type 0x0010 (legacy ADV_NONCONN_IND),
    // random address, PHY 1M, no secondary PHY, no SID, TX power 127 (none), RSSI, no periodic
    // interval, no direct address, then the data.
    const extended = (rssi: number): Buffer => {
      const report = Buffer.alloc(24 + data.length);
      report.writeUInt16LE(0x0010, 0);
      report.writeUInt8(1, 2);
      Buffer.from('554433221100', 'hex').copy(report, 3);
      report.writeUInt8(1, 9);
      report.writeUInt8(0, 10);
      report.writeUInt8(0xff, 11);
      report.writeUInt8(127, 12);
      report.writeInt8(rssi, 13);
      report.writeUInt8(data.length, 23);
      data.copy(report, 24);
      return Buffer.concat([Buffer.from([0x04, 0x3e, 2 + report.length, 0x0d, 1]), report]);
    };
    const t0 = STORE_MORNING.startMs;
    const file = join(ws.dir, 'extended.btsnoop');
    writeFileSync(
      file,
      encodeBtsnoop([-60, -62, -61, -59].map((rssi, i) => ({ t: t0 + i * 200, packet: extended(rssi) }))),
    );
    const run = await replay(ws, file, STORE_MORNING.windowSeconds);
    expect(run.source.summary?.records).toBe(4);
    expect(run.adverts).toBe(4);
    expect(run.optInAdverts).toBe(4);
    expect(run.batches.flatMap((b) => b.sightings)).toEqual([{ eid, band: 'near', hits: 4 }]);
  });

  it('refuses at start a file with nothing to replay before its damage', async () => {
    const ws = gatewayWorkspace({ gateway: 'gw-entrance', hub: { url: 'mqtt://127.0.0.1:1' } });
    cleanup.push(() => ws.remove());
    const file = join(ws.dir, 'v2.btsnoop');
    const bytes = storeMorningBtsnoop();
    bytes.writeUInt32BE(2, 8);
    writeFileSync(file, bytes);
    const source = new ReplaySource({
      file,
      speed: 0,
      clock: { now: () => Date.now() },
      logger: captureLogger().logger,
    });
    const error = await source.start({ advert() {}, sighting() {} }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAppError(error, 'BLE_TRACE_INVALID')).toBe(true);
    expect((error as Error).message).toBe(`${file}: byte 8: btsnoop version is 2, expected 1 (0 records before it)`);
  });

  it('hushpoint gateway --replay: checks the file with the config, and exits 65 on a capture it cannot replay', async () => {
    const ws = gatewayWorkspace({
      gateway: 'gw-entrance',
      hub: { url: 'mqtt://127.0.0.1:1' },
      ble: { source: 'noble' },
    });
    cleanup.push(() => ws.remove());
    const config = ws.writeConfig();
    expect(await hushpoint(['gateway', '--config', config, '--replay', REAL_CAPTURE, '--check-config'])).toEqual({
      code: 0,
      stdout: `${config}: valid gateway config (store store-1, gateway gw-entrance, BLE replay:${REAL_CAPTURE})\n`,
      stderr: '',
    });
    const bad = join(ws.dir, 'bad.btsnoop');
    writeFileSync(bad, Buffer.concat([readFileSync(REAL_CAPTURE).subarray(0, 12), Buffer.from([0, 0, 0, 1])]));
    const run = await hushpoint(['gateway', '--config', config, '--replay', bad], { timeoutMs: 30_000 });
    expect(run).toMatchObject({
      code: 65,
      stderr: `hushpoint gateway: BLE_TRACE_INVALID: ${bad}: byte 12: datalink is 1, expected 1002 (HCI UART H4), 1001 (HCI) or 2001 (Linux monitor) (0 records before it)\n`,
    });
    expect(await hushpoint(['gateway', '--config', config, '--replay', ''])).toMatchObject({
      code: 64,
      stderr: expect.stringContaining('--replay needs a FILE, expected a JSONL trace or a btsnoop capture'),
    });
  });
});
