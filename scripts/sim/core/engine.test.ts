import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ADV_EVENT_TYPES, decodeAdvertisingReport, type AdvertisingReport } from '../../../shared/ble/hci-report.ts';
import { decodeAdvert } from '../../../shared/eid/carriers.ts';
import { computeEidHex } from '../../../shared/eid/eid.ts';
import { corridorStore, oneRoomStore } from '../test-stores.ts';
import type { StoreConfig } from '../store-schema.ts';
import { pointInPolygon, zonePolygon } from './geometry.ts';
import { createSimulation, type SimEvent } from './engine.ts';
import { meanRssi } from './radio.ts';
import type { TruthRecord } from './truth.ts';

const START = Date.parse('2026-11-28T09:00:00Z');

interface Heard {
  gateway: number;
  tMs: number;
  report: AdvertisingReport;
}

function runSim(
  store: StoreConfig,
  minutes: number,
  seed: string | number = 'engine',
): { heard: Heard[]; truth: TruthRecord[]; events: SimEvent[]; sim: ReturnType<typeof createSimulation> } {
  const sim = createSimulation({ store, seed, startMs: START, durationMs: minutes * 60_000, windowSeconds: 10 });
  const events = [...sim.events()];
  const heard: Heard[] = [];
  const truth: TruthRecord[] = [];
  for (const e of events) {
    if (e.type === 'truth') truth.push(e.record);
    else {
      const report = decodeAdvertisingReport(e.hci);
      if (report === null) throw new Error('the simulator wrote bytes that are not an LE Advertising Report');
      heard.push({ gateway: e.gateway, tMs: e.tMs, report });
    }
  }
  return { heard, truth, events, sim };
}

function hex(data: Uint8Array): string {
  return Buffer.from(data).toString('hex');
}

/** Gaps between consecutive adverts (not scan responses) of each address, for reports matching `pick`. */
function gapsByAddress(heard: Heard[], pick: (r: AdvertisingReport) => boolean): Map<string, number[]> {
  const last = new Map<string, number>();
  const gaps = new Map<string, number[]>();
  for (const h of heard) {
    if (h.report.eventType === ADV_EVENT_TYPES.SCAN_RSP || !pick(h.report)) continue;
    const prev = last.get(h.report.address);
    if (prev !== undefined) {
      const list = gaps.get(h.report.address) ?? [];
      list.push(h.tMs - prev);
      gaps.set(h.report.address, list);
    }
    last.set(h.report.address, h.tMs);
  }
  return gaps;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe('advertising intervals per device class', () => {
  const store = oneRoomStore({
    shoppers: {
      optInFraction: 1,
      optedIn: { android: 0.4, iosForeground: 0.3, iosBackground: 0, tag: 0.3 },
      androidModes: { lowLatency: 0, balanced: 1, lowPower: 0 },
      tagIntervalMs: 500,
      earbudsShare: 0,
      watchShare: 0,
      trackerShare: 0,
    },
    fixedDevices: [{ kind: 'ibeacon', position: [1, 1], intervalMs: 350 }],
  });
  const { heard } = runSim(store, 10);
  // Interval + advDelay (uniform 0–10 ms, mean 5): trace times are whole milliseconds.
  const check = (name: string, pick: (r: AdvertisingReport) => boolean, nominal: number): void => {
    const gaps = [...gapsByAddress(heard, pick).values()].flat().filter((g) => g < nominal * 1.5);
    expect(gaps.length, name).toBeGreaterThan(500);
    expect(Math.abs(mean(gaps) - (nominal + 5)), name).toBeLessThan(1);
    expect(Math.min(...gaps), name).toBeGreaterThanOrEqual(nominal - 1);
    expect(Math.max(...gaps), name).toBeLessThanOrEqual(nominal + 11);
  };

  it('Android app adverts every 250 ms (BALANCED) plus advDelay', () => {
    check('android', (r) => decodeAdvert(r.data)?.txPower === -18, 250);
  });

  it('loyalty tags at their fixed interval, iOS foreground at 100 ms, beacons at theirs', () => {
    check('tag', (r) => decodeAdvert(r.data)?.txPower === -21, 500);
    check('ios', (r) => decodeAdvert(r.data)?.carrier === 'ios', 100);
    check('ibeacon', (r) => hex(r.data).includes('4c000215'), 350);
  });

  it('answers every connectable iOS advert with a scan response in the same millisecond', () => {
    let pairs = 0;
    for (let i = 0; i < heard.length; i++) {
      const h = heard[i] as Heard;
      if (h.report.eventType !== ADV_EVENT_TYPES.ADV_IND || decodeAdvert(h.report.data)?.carrier !== 'ios') continue;
      const rsp = heard[i + 1] as Heard;
      expect(rsp.report.eventType).toBe(ADV_EVENT_TYPES.SCAN_RSP);
      expect(rsp.report.address).toBe(h.report.address);
      expect(rsp.tMs).toBe(h.tMs);
      pairs++;
    }
    expect(pairs).toBeGreaterThan(1000);
  });

  it('Apple OS traffic: one interval per device in 200–1000 ms, with silent gaps of 5–30 s', () => {
    const gaps = gapsByAddress(heard, (r) => hex(r.data).includes('4c001005'));
    expect(gaps.size).toBeGreaterThan(5);
    let longGaps = 0;
    for (const list of gaps.values()) {
      const short = list.filter((g) => g < 1100).sort((a, b) => a - b);
      const median = short[Math.floor(short.length / 2)] as number;
      expect(median).toBeGreaterThanOrEqual(200);
      expect(median).toBeLessThanOrEqual(1011);
      longGaps += list.filter((g) => g >= 5000 && g <= 31_011).length;
      expect(list.filter((g) => g > 31_011 + 1011)).toEqual([]);
    }
    expect(longGaps).toBeGreaterThan(0);
  });
});

describe('radio model through the whole simulator', () => {
  const P1M = -59;
  const N = 2.7;
  const RX = 2;
  const quiet = {
    store: 'radio-lab',
    arrivalsPerHour: [0],
    zones: [{ id: 'hall', rect: { x: 0, y: 0, width: 60, height: 10 }, dwell: { meanSeconds: 60 } }],
    gateways: [{ id: 'gw', zone: 'hall', position: [0, 5], receiverOffsetDb: RX }],
    entrance: { zone: 'hall' },
  };

  it('mean RSSI by distance matches P1m − 10·n·log10(d) + receiver offset', () => {
    const distances = [1, 3, 8, 20];
    const store = oneRoomStore({
      ...quiet,
      radio: {
        pathLossExponent: N,
        sensitivityDbm: -120,
        shadowingSigmaDb: 6,
        shadowingCorrelationSeconds: 1,
        fadingSigmaDb: 3,
        txSpreadDb: 0,
        heightDifferenceM: 0,
      },
      fixedDevices: distances.map((d) => ({ kind: 'ibeacon', position: [d, 5], intervalMs: 100 })),
    });
    const { heard } = runSim(store, 20, 'rssi');
    const byAddress = new Map<string, number[]>();
    for (const h of heard) byAddress.set(h.report.address, [...(byAddress.get(h.report.address) ?? []), h.report.rssi]);
    const means = [...byAddress.values()].map(mean).sort((a, b) => b - a);
    expect(means).toHaveLength(distances.length);
    distances.forEach((d, i) => {
      // 1,200 s at a 1 s correlation time: standard error ≈ 6/√1200 ≈ 0.17 dB.
      expect(Math.abs((means[i] as number) - (meanRssi(P1M, d, N) + RX)), `${d} m`).toBeLessThan(0.6);
    });
  });

  it('detection falls off around the sensitivity as the logistic says', () => {
    const sens = -94;
    const slope = 2;
    const targets = [sens - 4, sens, sens + 4];
    const distanceFor = (rssi: number): number => 10 ** ((P1M + RX - rssi) / (10 * N));
    const store = oneRoomStore({
      ...quiet,
      radio: {
        pathLossExponent: N,
        sensitivityDbm: sens,
        detectionSlopeDb: slope,
        shadowingSigmaDb: 0,
        fadingSigmaDb: 0,
        txSpreadDb: 0,
        heightDifferenceM: 0,
      },
      fixedDevices: targets.map((r) => ({ kind: 'ibeacon', position: [distanceFor(r), 5], intervalMs: 100 })),
    });
    const { heard, sim } = runSim(store, 10, 'falloff');
    const perBeacon = sim.stats.advertsTransmitted / targets.length;
    for (const target of targets) {
      const count = heard.filter((h) => h.report.rssi === Math.round(target)).length;
      const p = 1 / (1 + Math.exp(-(target - sens) / slope)); // 0.119, 0.5, 0.881
      expect(Math.abs(count / perBeacon - p), `${target} dBm`).toBeLessThan(
        4 * Math.sqrt((p * (1 - p)) / perBeacon) + 0.002,
      );
    }
  });
});

describe('ground truth and noise', () => {
  const store = corridorStore();
  const { heard, truth, events, sim } = runSim(store, 12, 'truth');
  const keyOf = new Map(sim.shoppers.filter((s) => s.identityKey !== null).map((s) => [s.shopperId as string, s]));

  it("streams reports in time order, each window's truth after its last report", () => {
    let lastT = -Infinity;
    let lastWindowClosed = -Infinity;
    for (const e of events) {
      if (e.type === 'report') {
        expect(e.tMs).toBeGreaterThanOrEqual(lastT);
        expect(e.tMs).toBeGreaterThanOrEqual(lastWindowClosed);
        lastT = e.tMs;
      } else {
        lastWindowClosed = Math.max(lastWindowClosed, (e.record.windowStart + 10) * 1000);
        expect(lastT).toBeLessThan((e.record.windowStart + 10) * 1000);
      }
    }
    expect(heard.length).toBeGreaterThan(10_000);
    expect(truth.length).toBeGreaterThan(100);
  });

  it('every EID on air belongs to a shopper the truth lists in that window, and the gateway is in heardBy', () => {
    const index = new Map<string, TruthRecord>();
    for (const r of truth) for (const eid of r.eids) index.set(`${r.windowStart}/${eid}`, r);
    const heardBy = new Map<string, Set<string>>();
    let eidReports = 0;
    for (const h of heard) {
      const decoded = decodeAdvert(h.report.data);
      if (decoded === null) continue;
      eidReports++;
      const windowStart = Math.floor(h.tMs / 10_000) * 10;
      const record = index.get(`${windowStart}/${decoded.eid}`);
      expect(record, `EID ${decoded.eid} at ${h.tMs}`).toBeDefined();
      const gw = sim.gateways[h.gateway]?.id as string;
      expect(record?.heardBy).toContain(gw);
      const k = `${windowStart}/${record?.shopperId}`;
      heardBy.set(k, (heardBy.get(k) ?? new Set()).add(gw));
    }
    expect(eidReports).toBeGreaterThan(1000);
    // …and heardBy lists exactly the gateways that received one of the shopper's EID adverts.
    for (const r of truth)
      expect(r.heardBy).toEqual(
        sim.gateways.map((g) => g.id).filter((g) => heardBy.get(`${r.windowStart}/${r.shopperId}`)?.has(g)),
      );
  });

  it('lists only detectable opted-in shoppers, with their true EIDs and a position inside their zone', () => {
    const zones = new Map(store.zones.map((z) => [z.id, zonePolygon(z)]));
    const kinds = new Set<string>();
    for (const r of truth) {
      kinds.add(r.kind);
      expect(['android', 'ios-foreground', 'tag']).toContain(r.kind);
      expect(pointInPolygon([r.x, r.y], zones.get(r.zone) ?? [])).toBe(true);
      const plan = keyOf.get(r.shopperId);
      expect(plan).toBeDefined();
      const ik = plan?.identityKey as Uint8Array;
      // Phones count Unix seconds; a tag's own clock may be off by up to tagClockSkewSeconds.
      const skew = r.kind === 'tag' ? store.shoppers.tagClockSkewSeconds : 0;
      const allowed = new Set<string>();
      for (let c = r.windowStart - skew; c <= r.windowStart + 9 + skew; c++)
        allowed.add(computeEidHex({ identityKey: ik, exponent: 9, counter: c }));
      for (const eid of r.eids) expect(allowed).toContain(eid);
      expect(r.eids.length).toBeLessThanOrEqual(2);
    }
    expect(kinds).toEqual(new Set(['android', 'ios-foreground', 'tag']));
    const detectable = sim.shoppers
      .filter((s) => ['android', 'ios-foreground', 'tag'].includes(s.kind))
      .map((s) => s.shopperId);
    expect(new Set(truth.map((r) => r.shopperId))).toEqual(new Set(detectable));
  });

  it('noise is plentiful and carries no opt-in EID (an iOS app in the background is on air only as noise)', () => {
    const noise = heard.filter((h) => decodeAdvert(h.report.data) === null);
    expect(noise.length).toBeGreaterThan(heard.length / 3);
    const kinds = new Set(
      noise
        .map((h) => hex(h.report.data))
        .map((d) =>
          d.includes('ff4c0001')
            ? 'overflow'
            : d.includes('4c001005')
              ? 'nearby'
              : d.includes('aafe41')
                ? 'fmdn'
                : d.includes('4c000215')
                  ? 'ibeacon'
                  : d.includes('aafe00')
                    ? 'eddystone-uid'
                    : d.includes('f3fe')
                      ? 'google'
                      : 'other',
        ),
    );
    for (const k of ['overflow', 'nearby', 'fmdn', 'ibeacon', 'eddystone-uid', 'google']) expect(kinds).toContain(k);
    for (const h of heard)
      expect(h.report.addressType === 'public' || /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(h.report.address)).toBe(true);
  });
});

describe('determinism', () => {
  function digest(store: StoreConfig, seed: string): string {
    const sim = createSimulation({ store, seed, startMs: START, durationMs: 3 * 60_000, windowSeconds: 10 });
    const hash = createHash('sha256');
    for (const e of sim.events())
      hash.update(e.type === 'report' ? `${e.gateway} ${e.tMs} ${hex(e.hci)}\n` : `${JSON.stringify(e.record)}\n`);
    return hash.digest('hex');
  }

  it('gives the same stream for the same seed and a different one for another seed', () => {
    const store = corridorStore();
    const a = digest(store, 'seed-a');
    expect(digest(store, 'seed-a')).toBe(a);
    expect(digest(store, 'seed-b')).not.toBe(a);
  });
});
