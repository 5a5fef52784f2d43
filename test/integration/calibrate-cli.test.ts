import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createGateway } from '../../gateway/app.ts';
import { loadGatewayConfig } from '../../gateway/mod.ts';
import { gatewayWorkspace, recordMessages } from '../../gateway/testing/harness.ts';
import { runDoctor, SKIPPABLE } from '../../provisioning/doctor/run-doctor.ts';
import { encodeBtsnoop } from '../../shared/ble/btsnoop.ts';
import { ADV_EVENT_TYPES, encodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { formatTraceHeader, formatTraceRecord } from '../../shared/ble/trace.ts';
import { encodeEddystoneAdvert } from '../../shared/eid/carriers.ts';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { uniformInt } from '../../shared/ports/random.ts';
import { decodePresenceBatch } from '../../shared/protocol/codec.ts';
import { parseTopic } from '../../shared/protocol/topics.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { startBroker } from '../helpers/broker.ts';
import { hushpoint } from '../helpers/cli.ts';

/**
 * `hushpoint calibrate` end to end: a reference tag 1 m from a receiver that reads 8 dB cold
 * (its adverts in a trace and in a btsnoop capture), the gateway.yaml updated in place with its
 * comments, doctor's calibration check before and after, and the same trace replayed through the
 * real gateway with the config before and after: the reference's windows go from mid to near.
 */

const SEED = 'calibrate-cli';
const IDENTITY_KEY = '00112233445566778899aabbccddeeff';
const EXPONENT = 4; // the EID changes every 16 s: the 60 s recording crosses four rotations
const OTHER_KEY = 'ffeeddccbbaa99887766554433221100';
const T0 = 1_790_000_000_000;
const HAS_BLUETOOTH = existsSync('/sys/class/bluetooth/hci0');

const dir = mkdtempSync(join(tmpdir(), 'hp-calibrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function eidAt(key: string, tMs: number): string {
  return computeEidHex({ identityKey: Buffer.from(key, 'hex'), exponent: EXPONENT, counter: Math.floor(tMs / 1000) });
}

/** 60 s of air: the reference every 250 ms at -67 ± 2 dBm, another shopper's phone close by, an iBeacon. */
function referenceAir(): Array<{ t: number; hci: Buffer }> {
  const rng = new SeededRandomSource(SEED);
  const records: Array<{ t: number; hci: Buffer }> = [];
  for (let i = 0; i < 240; i++) {
    const t = T0 + i * 250;
    const report = (address: string, data: Buffer, rssi: number): Buffer =>
      encodeAdvertisingReport({
        eventType: ADV_EVENT_TYPES.ADV_NONCONN_IND,
        addressType: 'random',
        address,
        data,
        rssi,
      });
    records.push({
      t,
      hci: report('c1:00:00:00:00:01', encodeEddystoneAdvert(eidAt(IDENTITY_KEY, t), -18), -69 + uniformInt(rng, 5)),
    });
    if (i % 2 === 0)
      records.push({ t, hci: report('c1:00:00:00:00:02', encodeEddystoneAdvert(eidAt(OTHER_KEY, t), -18), -50) });
    if (i % 4 === 0)
      records.push({
        t,
        hci: report('c1:00:00:00:00:03', Buffer.from('0201061aff4c000215' + '00'.repeat(21), 'hex'), -40),
      });
  }
  return records;
}

const air = referenceAir();
const jsonl = join(dir, 'reference.jsonl');
writeFileSync(
  jsonl,
  `${[formatTraceHeader({ source: 'test', startMs: T0 }), ...air.map((r) => formatTraceRecord(r.t, r.hci))].join('\n')}\n`,
);
const btsnoop = join(dir, 'reference.btsnoop');
writeFileSync(btsnoop, encodeBtsnoop(air.map((r) => ({ t: r.t, packet: r.hci }))));

/** A gateway.yaml as a technician keeps it: YAML with comments. */
function writeYamlConfig(ws: ReturnType<typeof gatewayWorkspace>): string {
  const file = join(ws.dir, 'gateway.yaml');
  const text = stringify(ws.config).replace(/^window:$/m, '# bands: set by hushpoint calibrate\nwindow:');
  writeFileSync(file, `# gw-entrance, by the door\n${text}`);
  return file;
}

/** The reference's bands per window when the gateway replays the trace with this config. */
async function replayBands(configFile: string): Promise<string[]> {
  const broker = await startBroker();
  cleanup.push(() => broker.close());
  const recorder = await recordMessages(broker.url, ['#']);
  cleanup.push(() => recorder.close());
  const loaded = loadGatewayConfig(configFile);
  const config = {
    ...loaded.config,
    hub: { ...loaded.config.hub, url: broker.url },
    ble: { ...loaded.config.ble, source: `replay:${jsonl}`, replaySpeed: 0 },
    outbox: { ...loaded.config.outbox, path: join(dir, `outbox-${Date.now()}.db`) },
  };
  const gateway = createGateway({ config, resolvePath: loaded.resolvePath, leds: null });
  cleanup.push(() => gateway.stop());
  await gateway.start();
  await gateway.replayFinished;
  const windows = gateway.stats().windowsClosed;
  const presence = (): typeof recorder.messages =>
    recorder.messages.filter((m) => parseTopic(m.topic)?.kind === 'presence');
  await recorder.until(() => presence().length >= windows);
  await gateway.stop();
  return presence().flatMap((m) => {
    const decoded = decodePresenceBatch(m.payload, { nowSeconds: T0 / 1000 + 3600 });
    if (!decoded.ok) throw new Error(JSON.stringify(decoded.problems));
    const eids = new Set(
      Array.from({ length: 5 }, (_, k) => eidAt(IDENTITY_KEY, decoded.value.windowStart * 1000 + k * 4000)),
    );
    return decoded.value.sightings.filter((s) => eids.has(s.eid)).map((s) => s.band);
  });
}

async function calibrationCheck(configFile: string): Promise<{ status: string; detail: string }> {
  const report = await runDoctor(configFile, { skip: SKIPPABLE.filter((c) => c !== 'calibration') });
  return report.checks.find((c) => c.name === 'calibration') as { status: string; detail: string };
}

describe('hushpoint calibrate', () => {
  it('measures the receiver, writes the thresholds keeping the comments, and doctor and the gateway follow', async () => {
    const ws = gatewayWorkspace({ gateway: 'gw-entrance', hub: { url: 'mqtt://127.0.0.1:1' } });
    cleanup.push(() => ws.remove());
    const config = writeYamlConfig(ws);
    const original = readFileSync(config, 'utf8');
    const args = ['calibrate', '--config', config, '--identity-key', IDENTITY_KEY, '--exponent', String(EXPONENT)];

    expect(await calibrationCheck(config)).toMatchObject({
      status: 'WARN',
      detail:
        'gateway gw-entrance has never been calibrated: its bands are near -65 / mid -80 dBm as configured, whatever its receiver reads',
    });

    const dry = await hushpoint([...args, '--trace', jsonl]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      `gateway gw-entrance: the reference was heard 240 times in ${jsonl} (of 420 advertising reports)`,
    );
    expect(dry.stdout).toContain(
      'this receiver reads -8 dB: near -65 → -73 dBm, mid -80 → -88 dBm (uncalibrated -65/-80)',
    );
    expect(dry.stdout).toContain(
      "the reference's windows by band: before near 0, mid 6, far 0; after near 6, mid 0, far 0",
    );
    expect(dry.stdout).toContain(`not written: add --write to update ${config}`);
    expect(readFileSync(config, 'utf8')).toBe(original);

    const before = await replayBands(config);
    const run = await hushpoint([...args, '--trace', btsnoop, '--write', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      written: boolean;
      result: { offsetDb: number; samples: number; medianRssi: number };
    };
    expect(report).toMatchObject({ written: true, result: { offsetDb: -8, samples: 240 } });

    const text = readFileSync(config, 'utf8');
    expect(text).toContain('# gw-entrance, by the door');
    expect(text).toContain('# bands: set by hushpoint calibrate');
    const calibrated = loadGatewayConfig(config).config;
    expect(calibrated.window).toMatchObject({ nearDbm: -73, midDbm: -88 });
    expect(calibrated.calibration).toMatchObject({
      offsetDb: -8,
      baseNearDbm: -65,
      baseMidDbm: -80,
      samples: 240,
      distanceM: 1,
    });
    expect(calibrated.calibration?.medianRssi).toBe(report.result.medianRssi);
    expect({ ...calibrated, window: ws.config.window, calibration: undefined }).toEqual({
      ...ws.config,
      calibration: undefined,
    });

    expect(await calibrationCheck(config)).toMatchObject({
      status: 'PASS',
      detail: expect.stringMatching(
        /^gateway gw-entrance calibrated \S+: receiver -8 dB \(240 adverts at 1 m\), near -73 \/ mid -88 dBm$/,
      ),
    });
    // The same trace through the real gateway: mid before, near after (one sighting per window
    // and EID: a window where the EID rotates has two).
    const after = await replayBands(config);
    expect(before.length).toBeGreaterThanOrEqual(6);
    expect(new Set(before)).toEqual(new Set(['mid']));
    expect(after.length).toBe(before.length);
    expect(new Set(after)).toEqual(new Set(['near']));

    // Calibrating again replaces the offset (from the recorded base), it does not add to it.
    const again = await hushpoint([...args, '--trace', jsonl, '--write', '--json']);
    expect(again.code).toBe(0);
    expect(loadGatewayConfig(config).config.window).toMatchObject({ nearDbm: -73, midDbm: -88 });

    // Thresholds edited by hand afterwards: doctor says so.
    writeFileSync(config, readFileSync(config, 'utf8').replace('nearDbm: -73', 'nearDbm: -70'));
    expect(await calibrationCheck(config)).toMatchObject({
      status: 'WARN',
      detail: expect.stringContaining('were changed after its calibration'),
    });
  });

  it('refuses bad input: what was wrong and what was expected (64 usage, 65 data, 69 no adapter)', async () => {
    const ws = gatewayWorkspace({ gateway: 'gw-entrance', hub: { url: 'mqtt://127.0.0.1:1' } });
    cleanup.push(() => ws.remove());
    const config = writeYamlConfig(ws);
    const base = ['calibrate', '--config', config];
    expect(
      await hushpoint([...base, '--trace', jsonl, '--eid', '0011223344556677', '--identity-key', IDENTITY_KEY]),
    ).toMatchObject({
      code: 64,
      stderr: expect.stringContaining(
        'give the reference tag as --eid HEX16 or as --identity-key HEX32 --exponent K (one of them)',
      ),
    });
    expect(await hushpoint([...base, '--eid', '0011223344556677'])).toMatchObject({
      code: 64,
      stderr: expect.stringContaining('give --trace FILE or --seconds N (one of them)'),
    });
    expect(await hushpoint([...base, '--trace', join(dir, 'none.jsonl'), '--eid', '0011223344556677'])).toEqual({
      code: 65,
      stdout: '',
      stderr: `hushpoint calibrate: CALIB_BAD_INPUT: ${join(dir, 'none.jsonl')}: cannot be read (ENOENT)\n`,
    });
    expect(await hushpoint([...base, '--trace', jsonl, '--eid', '0011223344556677'])).toEqual({
      code: 65,
      stdout: '',
      stderr: `hushpoint calibrate: CALIB_BAD_INPUT: ${jsonl}: heard the reference 0 times, expected at least 30 (hold it longer, or check its identity key and exponent)\n`,
    });
    const broken = join(dir, 'broken.jsonl');
    writeFileSync(broken, `${formatTraceHeader({ source: 'test', startMs: T0 })}\n{"t":1,"hci":"04"}\n`);
    expect(await hushpoint([...base, '--trace', broken, '--eid', '0011223344556677'])).toMatchObject({
      code: 65,
      stderr: expect.stringContaining(`${broken}:2: "hci" is not a single LE Advertising Report event`),
    });
    if (!HAS_BLUETOOTH)
      expect(await hushpoint([...base, '--seconds', '10', '--eid', '0011223344556677'])).toMatchObject({
        code: 69,
        stderr: expect.stringContaining('BLE_ADAPTER_UNAVAILABLE'),
      });
  });
});
