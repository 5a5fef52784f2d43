import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../gateway/app.ts';
import {
  captureLogger,
  gatewayWorkspace,
  recordMessages,
  type GatewayWorkspace,
  type Recorder,
} from '../../gateway/testing/harness.ts';
import { decodeAdvertisingReport } from '../../shared/ble/hci-report.ts';
import { isAppError } from '../../shared/errors.ts';
import { decodePayload, decodePresenceBatch } from '../../shared/protocol/codec.ts';
import { parseTopic } from '../../shared/protocol/topics.ts';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { STORE_MORNING, buildStoreMorningTrace, expectedWindows } from '../fixtures/traces/store-morning.ts';

const TRACE = fileURLToPath(STORE_MORNING.file);

/** Every spelling of an address that could leak: colon form, bare hex, and on-air (reversed) byte order. */
function addressForms(address: string): string[] {
  const bytes = address.split(':');
  return [address, bytes.join(''), [...bytes].reverse().join(''), [...bytes].reverse().join(':'), bytes.join('-')].map(
    (s) => s.toLowerCase(),
  );
}

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function setUp(): Promise<{
  broker: TestBroker;
  recorder: Recorder;
  ws: GatewayWorkspace;
  gateway: Gateway;
  logs: string[];
}> {
  const broker = await startBroker();
  cleanup.push(() => broker.close());
  const recorder = await recordMessages(broker.url, ['#']);
  cleanup.push(() => recorder.close());
  const ws = gatewayWorkspace({
    gateway: 'gw-entrance',
    hub: { url: broker.url },
    ble: { source: `replay:${TRACE}`, replaySpeed: 0 },
    window: { seconds: STORE_MORNING.windowSeconds, ...STORE_MORNING.settings },
  });
  cleanup.push(() => ws.remove());
  const { logger, lines } = captureLogger('trace');
  const gateway = createGateway({ config: ws.config, resolvePath: ws.resolvePath, logger });
  cleanup.push(() => gateway.stop());
  return { broker, recorder, ws, gateway, logs: lines };
}

describe('gateway: a replayed trace through noble into a real aedes broker', () => {
  it('keeps the checked-in fixture equal to its builder', () => {
    expect(readFileSync(TRACE, 'utf8')).toBe(`${buildStoreMorningTrace().lines.join('\n')}\n`);
  });

  it('publishes exactly the expected sightings per window and nothing for non-opt-in adverts; no address or name leaves', async () => {
    const { recorder, gateway, logs } = await setUp();
    const built = buildStoreMorningTrace();
    await gateway.start();
    await gateway.replayFinished;

    const presence = (messages: typeof recorder.messages) =>
      messages.filter((m) => parseTopic(m.topic)?.kind === 'presence');
    await recorder.until((messages) => presence(messages).length >= STORE_MORNING.windows);
    await recorder.until((messages) => messages.some((m) => parseTopic(m.topic)?.kind === 'status'));

    const batches = presence(recorder.messages).map((m) => {
      expect(m.topic).toBe('hushpoint/v1/store-1/gateways/gw-entrance/presence');
      const decoded = decodePresenceBatch(m.payload, { nowSeconds: STORE_MORNING.startMs / 1000 + 3600 });
      if (!decoded.ok) throw new Error(JSON.stringify(decoded.problems));
      return decoded.value;
    });
    const records = built.lines.length - 1;
    const lastT = JSON.parse(built.lines.at(-1) as string).t as number;
    const firstT = JSON.parse(built.lines[1] as string).t as number;
    const expected = expectedWindows(built.hits, {
      windowSeconds: STORE_MORNING.windowSeconds,
      ...STORE_MORNING.settings,
      fromMs: firstT,
      toMs: lastT,
    });
    expect(expected).toHaveLength(STORE_MORNING.windows);
    expect(batches.map((b) => ({ windowStart: b.windowStart, sightings: b.sightings }))).toEqual(expected);
    expect(batches.map((b) => b.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(
      batches.every(
        (b) => b.gateway === 'gw-entrance' && b.windowSeconds === STORE_MORNING.windowSeconds && b.dropped === 0,
      ),
    ).toBe(true);
    // Every EID published is an opt-in EID from the trace: nothing came from the noise.
    const optIn = new Set(built.hits.map((h) => h.eid));
    expect(batches.flatMap((b) => b.sightings).every((s) => optIn.has(s.eid))).toBe(true);

    const stats = gateway.stats();
    expect(stats.adverts).toBe(records);
    expect(stats.optInAdverts).toBe(built.hits.length);
    expect(stats.windowsClosed).toBe(STORE_MORNING.windows);

    const status = recorder.messages.find((m) => parseTopic(m.topic)?.kind === 'status');
    const decodedStatus = decodePayload('GatewayStatus', status?.payload ?? '');
    expect(decodedStatus.ok && decodedStatus.value).toMatchObject({
      gateway: 'gw-entrance',
      state: 'online',
      zone: 'entrance',
      adapterState: 'replay',
    });

    await gateway.stop();
    await recorder.until((messages) =>
      messages.some(
        (m) =>
          parseTopic(m.topic)?.kind === 'status' &&
          decodePayload('GatewayStatus', m.payload).ok &&
          JSON.parse(m.payload.toString()).state === 'offline',
      ),
    );

    // The privacy scan: every published byte (topics and payloads) and every log line (at trace level).
    const published = recorder.messages
      .map((m) => `${m.topic} ${m.payload.toString('utf8')} ${m.payload.toString('hex')}`)
      .join('\n')
      .toLowerCase();
    const logged = logs.join('\n').toLowerCase();
    expect(logs.length).toBeGreaterThan(5);
    const addresses = built.addresses;
    expect(
      new Set(
        built.lines.slice(1).map((line) => decodeAdvertisingReport(Buffer.from(JSON.parse(line).hci, 'hex'))?.address),
      ),
    ).toEqual(new Set(addresses));
    for (const address of addresses) {
      for (const form of addressForms(address)) {
        expect(published.includes(form), `published bytes contain ${form}`).toBe(false);
        expect(logged.includes(form), `logs contain ${form}`).toBe(false);
      }
    }
    for (const secret of built.secrets) {
      for (const form of [secret.toLowerCase(), Buffer.from(secret).toString('hex')]) {
        expect(published.includes(form), `published bytes contain ${secret}`).toBe(false);
        expect(logged.includes(form), `logs contain ${secret}`).toBe(false);
      }
    }
  });

  it('refuses a bad trace at start, naming the file, the line and what was expected', async () => {
    const broker = await startBroker();
    cleanup.push(() => broker.close());
    const ws = gatewayWorkspace({ hub: { url: broker.url }, ble: { source: 'replay:bad.jsonl', replaySpeed: 0 } });
    cleanup.push(() => ws.remove());
    const lines = readFileSync(TRACE, 'utf8').split('\n');
    lines[3] = '{"t":1790000000050,"hci":"043e"}';
    writeFileSync(join(ws.dir, 'bad.jsonl'), lines.join('\n'));
    const gateway = createGateway({ config: ws.config, resolvePath: ws.resolvePath, leds: null });
    const error = await gateway.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAppError(error, 'BLE_TRACE_INVALID')).toBe(true);
    expect((error as Error).message).toBe(
      `${join(ws.dir, 'bad.jsonl')}:4: "hci" is not a single LE Advertising Report event`,
    );
    expect(gateway.stats().running).toBe(false);
  });
});
