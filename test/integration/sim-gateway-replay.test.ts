import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../gateway/app.ts';
import {
  gatewayWorkspace,
  recordMessages,
  waitFor,
  type GatewayWorkspace,
  type Recorder,
} from '../../gateway/testing/harness.ts';
import { ADV_EVENT_TYPES } from '../../shared/ble/hci-report.ts';
import { parseTraceLine } from '../../shared/ble/trace.ts';
import { decodeAdvert } from '../../shared/eid/carriers.ts';
import { decodePresenceBatch } from '../../shared/protocol/codec.ts';
import { parseTopic } from '../../shared/protocol/topics.ts';
import type { TruthRecord } from '../../scripts/sim/core/truth.ts';
import { generate } from '../../scripts/sim/generate.ts';
import { loadStore } from '../../scripts/sim/load-store.ts';
import { startBroker, type TestBroker } from '../helpers/broker.ts';

/**
 * The simulator's traces replayed through real gateways (noble's real parser on a fake HCI
 * socket, the opt-in filter, the window coarsener, the SQLite outbox, mqtt.js) into a real aedes
 * broker. Per gateway and window, the EIDs published must be exactly those of the opted-in
 * shoppers the truth says that gateway heard in that window ("in range" = at least one of the
 * shopper's adverts is in that gateway's trace in that window), and never anything from the
 * noise: other phones, Apple/Google OS traffic, earbuds, watches, trackers on 0xFEAA, beacons.
 */

const STORE = join(import.meta.dirname, '../../scripts/stores/fashion-small.yaml');
const START_MS = Date.parse('2026-11-28T12:00:00Z');
const WINDOW_S = 10;

describe('simulated traces replayed through gateways', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hp-sim-gw-'));
  let broker: TestBroker | undefined;
  let recorder: Recorder | undefined;
  const gateways: Gateway[] = [];
  const workspaces: GatewayWorkspace[] = [];
  afterAll(async () => {
    for (const gw of gateways) await gw.stop().catch(() => undefined);
    for (const ws of workspaces) ws.remove();
    await recorder?.close();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publish exactly the in-range opted-in shoppers per window, with their hit counts, and no noise', async () => {
    // The small fashion store, busier and with more shoppers opted in so four minutes say a lot.
    const busy = join(dir, 'busy.yaml');
    writeFileSync(
      busy,
      readFileSync(STORE, 'utf8')
        .replace(/arrivalsPerHour: .*/, 'arrivalsPerHour: [400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400]')
        .replace('optInFraction: 0.3', 'optInFraction: 0.6'),
    );
    const store = loadStore(busy).config;
    const out = join(dir, 'out');
    const summary = generate(
      { store, seed: 'gateway-replay', minutes: 4, startMs: START_MS, windowSeconds: WINDOW_S },
      out,
    );
    expect(summary.shoppers.detectable).toBeGreaterThan(5);
    const truth = readFileSync(join(out, 'truth.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as TruthRecord);
    const shopperOfEid = new Map<string, string>();
    for (const r of truth) for (const eid of r.eids) shopperOfEid.set(`${r.windowStart}/${eid}`, r.shopperId);

    broker = await startBroker();
    recorder = await recordMessages(broker.url, ['hushpoint/v1/+/gateways/+/presence']);
    const ids = store.gateways.map((g) => g.id);
    for (const g of store.gateways) {
      const ws = gatewayWorkspace({
        store: store.store,
        gateway: g.id,
        zone: g.zone,
        hub: { url: broker.url },
        ble: { source: `replay:${join(out, 'traces', `${g.id}.jsonl`)}`, replaySpeed: 0 },
        window: { seconds: WINDOW_S },
      });
      workspaces.push(ws);
      gateways.push(createGateway({ config: ws.config, resolvePath: ws.resolvePath, leds: null }));
    }
    await Promise.all(gateways.map((gw) => gw.start()));
    await Promise.all(gateways.map((gw) => gw.replayFinished));
    await waitFor(
      () => gateways.every((gw) => gw.stats().acked === gw.stats().windowsClosed && gw.stats().outboxDepth === 0),
      'every window acknowledged',
      30_000,
    );

    for (const [i, id] of ids.entries()) {
      // What the trace holds: per window, each opt-in EID's adverts. A connectable iOS advert
      // reaches noble's `discover` with its scan response (same millisecond): one per pair.
      const expected = new Map<number, Map<string, number>>();
      const lines = readFileSync(join(out, 'traces', `${id}.jsonl`), 'utf8')
        .trimEnd()
        .split('\n');
      let noise = 0;
      for (const line of lines.slice(1)) {
        const parsed = parseTraceLine(line);
        if (parsed.kind !== 'record') throw new Error(`bad trace line ${line}`);
        if (parsed.report.eventType === ADV_EVENT_TYPES.SCAN_RSP) continue;
        const decoded = decodeAdvert(parsed.report.data);
        if (decoded === null) {
          noise++;
          continue;
        }
        const windowStart = Math.floor(parsed.t / 1000 / WINDOW_S) * WINDOW_S;
        const perWindow = expected.get(windowStart) ?? new Map<string, number>();
        perWindow.set(decoded.eid, (perWindow.get(decoded.eid) ?? 0) + 1);
        expected.set(windowStart, perWindow);
      }
      expect(noise, id).toBeGreaterThan(1000);

      const published = new Map<number, Map<string, number>>();
      for (const m of recorder.messages) {
        const topic = parseTopic(m.topic);
        if (topic?.kind !== 'presence' || topic.gateway !== id) continue;
        const batch = decodePresenceBatch(m.payload, { nowSeconds: START_MS / 1000 + 3600 });
        if (!batch.ok) throw new Error(JSON.stringify(batch.problems));
        expect(published.has(batch.value.windowStart), `${id} window ${batch.value.windowStart} published twice`).toBe(
          false,
        );
        published.set(batch.value.windowStart, new Map(batch.value.sightings.map((s) => [s.eid, s.hits])));
      }
      expect(gateways[i]?.stats().windowsClosed, id).toBe(published.size);

      const windows = new Set([...expected.keys(), ...published.keys()]);
      let sightings = 0;
      for (const w of windows) {
        const got = published.get(w) ?? new Map<string, number>();
        // Exactly the EIDs (and hit counts) the trace holds for that window…
        expect(Object.fromEntries(got), `${id} window ${w}`).toEqual(Object.fromEntries(expected.get(w) ?? new Map()));
        sightings += got.size;
        // …each one an opted-in shopper's, never a noise device's…
        for (const eid of got.keys())
          expect(shopperOfEid.has(`${w}/${eid}`), `${id} window ${w}: ${eid} is nobody's`).toBe(true);
        // …and, shopper by shopper, exactly those the truth says this gateway heard then.
        const shoppersSeen = new Set([...got.keys()].map((eid) => shopperOfEid.get(`${w}/${eid}`)));
        const inRange = new Set(
          truth.filter((r) => r.windowStart === w && r.heardBy.includes(id)).map((r) => r.shopperId),
        );
        expect(shoppersSeen, `${id} window ${w}`).toEqual(inRange);
      }
      expect(sightings, id).toBeGreaterThan(20);
    }
  });
});
