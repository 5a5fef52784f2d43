import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordMessages, type Recorder } from '../../gateway/testing/harness.ts';
import { simCommand } from '../../cli/commands/sim.ts';
import { ADV_EVENT_TYPES } from '../../shared/ble/hci-report.ts';
import { parseTraceLine } from '../../shared/ble/trace.ts';
import { runCommand, type CliIo } from '../../shared/cli/command.ts';
import { decodeAdvert } from '../../shared/eid/carriers.ts';
import { decodePresenceBatch } from '../../shared/protocol/codec.ts';
import { parseTopic } from '../../shared/protocol/topics.ts';
import type { TruthRecord } from '../../scripts/sim/core/truth.ts';
import { startBroker, type TestBroker } from '../helpers/broker.ts';

/**
 * `hushpoint sim run --gateways DIR --out DIR`: real gateways (noble's parser behind injected HCI
 * sources, filter, windows, SQLite outbox, mqtt.js) fed live on simulated time at 240×, while the
 * same stream is written as traces. What each gateway publishes per window must be exactly the
 * opt-in EIDs (and hit counts) of its live trace, all of them shoppers the truth says it heard.
 */

const STORE = join(import.meta.dirname, '../../scripts/stores/fashion-small.yaml');
const START = '2026-11-28T15:00:00Z';
const LIVE = ['gw-entrance', 'gw-womenswear', 'gw-denim', 'gw-fitting-rooms'];

async function sim(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => {
      out += `${t}\n`;
    },
    err: (t) => {
      err += `${t}\n`;
    },
  };
  const code = await runCommand(simCommand, args, { io, path: 'hushpoint sim' });
  return { code, out, err };
}

describe('hushpoint sim run with live gateways', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hp-sim-live-'));
  let broker: TestBroker | undefined;
  let recorder: Recorder | undefined;
  afterAll(async () => {
    await recorder?.close();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('feeds each configured gateway live; its windows hold exactly the EIDs its trace holds', async () => {
    broker = await startBroker();
    recorder = await recordMessages(broker.url, ['hushpoint/v1/+/gateways/+/presence']);
    const configs = join(dir, 'configs');
    mkdirSync(configs);
    writeFileSync(join(configs, 'credential'), 'sim-credential\n', { mode: 0o600 });
    for (const id of LIVE) {
      const config = {
        role: 'gateway',
        store: 'fashion-small',
        gateway: id,
        zone: id.slice(3),
        hub: { url: broker.url, credentialFile: 'credential' },
        window: { seconds: 10 },
        leds: { io: 'none' },
      };
      writeFileSync(join(configs, `${id}.yaml`), JSON.stringify(config));
    }
    const busy = join(dir, 'busy.yaml');
    writeFileSync(
      busy,
      readFileSync(STORE, 'utf8')
        .replace(/arrivalsPerHour: .*/, 'arrivalsPerHour: [400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400]')
        .replace('optInFraction: 0.3', 'optInFraction: 0.6'),
    );
    const out = join(dir, 'out');

    const result = await sim(
      'run',
      '--store',
      busy,
      '--minutes',
      '2',
      '--seed',
      'live',
      '--speed',
      '240',
      '--start',
      START,
      '--gateways',
      configs,
      '--out',
      out,
      '--log-level',
      'silent',
    );
    expect(result.err).toMatch(/no config for 2 of 6 gateways \(gw-checkout, gw-menswear\); their reports are dropped/);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(
      /running fashion-small: 2 simulated minutes at 240× from 2026-11-28T15:00:00\.000Z into 4 live gateways, live output in /,
    );
    expect(result.out).toMatch(
      /gateways: [1-9]\d* reports through noble, 0 refused \(not scanning\), [1-9]\d* for gateways not running; every closed window delivered/,
    );

    const truth = readFileSync(join(out, 'truth.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as TruthRecord);
    const shopperOfEid = new Map<string, string>();
    for (const r of truth) for (const eid of r.eids) shopperOfEid.set(`${r.windowStart}/${eid}`, r.shopperId);
    const startS = Date.parse(START) / 1000;
    let sightings = 0;
    for (const id of LIVE) {
      const expected = new Map<number, Record<string, number>>();
      for (const line of readFileSync(join(out, 'traces', `${id}.jsonl`), 'utf8')
        .trimEnd()
        .split('\n')
        .slice(1)) {
        const parsed = parseTraceLine(line);
        if (parsed.kind !== 'record' || parsed.report.eventType === ADV_EVENT_TYPES.SCAN_RSP) continue;
        const decoded = decodeAdvert(parsed.report.data);
        if (decoded === null) continue;
        const w = Math.floor(parsed.t / 10_000) * 10;
        const perWindow = expected.get(w) ?? {};
        perWindow[decoded.eid] = (perWindow[decoded.eid] ?? 0) + 1;
        expected.set(w, perWindow);
      }
      const published = new Map<number, Record<string, number>>();
      for (const m of recorder.messages) {
        const topic = parseTopic(m.topic);
        if (topic?.kind !== 'presence' || topic.gateway !== id) continue;
        const batch = decodePresenceBatch(m.payload, { nowSeconds: startS + 3600 });
        if (!batch.ok) throw new Error(JSON.stringify(batch.problems));
        if (batch.value.sightings.length > 0)
          published.set(batch.value.windowStart, Object.fromEntries(batch.value.sightings.map((s) => [s.eid, s.hits])));
      }
      // Twelve 10 s windows, every one closed on simulated time and delivered.
      expect(Math.min(...published.keys()), id).toBeGreaterThanOrEqual(startS);
      expect(Math.max(...published.keys()), id).toBeLessThan(startS + 120);
      expect(Object.fromEntries(published), id).toEqual(Object.fromEntries(expected));
      for (const [w, eids] of published) {
        for (const eid of Object.keys(eids)) expect(shopperOfEid.has(`${w}/${eid}`), `${id} ${w} ${eid}`).toBe(true);
        sightings += Object.keys(eids).length;
      }
    }
    expect(sightings).toBeGreaterThan(30);
  });
});
