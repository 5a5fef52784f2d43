import { openOutputFiles } from './adapters/output-files.ts';
import { createSimulation, type Simulation, type SimulationStats } from './core/engine.ts';
import { carrierOf, OPTED_IN_KINDS, type ShopperKind } from './core/population.ts';
import type { SimSinks } from './sinks.ts';
import type { StoreConfig } from './store-schema.ts';

/**
 * `hushpoint sim generate`: the whole simulated span as fast as the machine goes, written to an
 * output folder (adapters/output-files.ts). Deterministic: the same store, seed, start, span and
 * window give byte-identical traces, truth.jsonl and shoppers.json (summary.json holds timings).
 */

/** The default simulated start: fixed, so a seed alone reproduces a run. */
export const DEFAULT_START_ISO = '2026-11-28T09:00:00Z';

export interface GenerateOptions {
  store: StoreConfig;
  seed: string;
  minutes: number;
  startMs: number;
  windowSeconds: number;
}

export interface EnrolledShopper {
  shopperId: string;
  kind: ShopperKind;
  /** 'eddystone' (Android app, loyalty tag), 'ios' (foreground UUID) or null (iOS background: never on air). */
  carrier: 'eddystone' | 'ios' | null;
  /** SIMULATED 128-bit identity key, 32 hex digits (from the seeded source; test data only). */
  identityKey: string;
  exponent: number;
}

export interface ShoppersFile {
  store: string;
  seed: string;
  note: string;
  shoppers: EnrolledShopper[];
}

export interface Summary {
  store: string;
  seed: string;
  start: string;
  minutes: number;
  windowSeconds: number;
  gateways: number;
  shoppers: { total: number; optedIn: number; detectable: number; byKind: Record<ShopperKind, number> };
  advertisers: Record<string, number>;
  advertsTransmitted: number;
  advertsWritten: number;
  advertsWrittenByGateway: Record<string, number>;
  truthRecords: number;
  seconds: number;
  advertsPerSec: number;
}

export function simulationFor(options: GenerateOptions): Simulation {
  return createSimulation({
    store: options.store,
    seed: options.seed,
    startMs: options.startMs,
    durationMs: options.minutes * 60_000,
    windowSeconds: options.windowSeconds,
  });
}

export function shoppersFile(sim: Simulation, seed: string): ShoppersFile {
  return {
    store: sim.store.store,
    seed,
    note: 'Simulated shoppers: identity keys come from the seeded simulator and are test data only.',
    shoppers: sim.shoppers
      .filter((s) => s.shopperId !== null && s.identityKey !== null)
      .map((s) => ({
        shopperId: s.shopperId as string,
        kind: s.kind,
        carrier: carrierOf(s.kind),
        identityKey: Buffer.from(s.identityKey as Uint8Array).toString('hex'),
        exponent: s.exponent,
      })),
  };
}

export function summarize(sim: Simulation, options: GenerateOptions, stats: SimulationStats, seconds: number): Summary {
  const byKind = { android: 0, 'ios-foreground': 0, 'ios-background': 0, tag: 0, 'not-opted-in': 0 } as Record<
    ShopperKind,
    number
  >;
  const advertisers: Record<string, number> = {};
  for (const s of sim.shoppers) {
    byKind[s.kind] += 1;
    for (const d of s.devices) for (const a of d.advertisers) advertisers[a.kind] = (advertisers[a.kind] ?? 0) + 1;
  }
  for (const f of sim.store.fixedDevices) {
    const kind = f.kind === 'named' ? 'named-device' : f.kind;
    advertisers[kind] = (advertisers[kind] ?? 0) + 1;
  }
  const optedIn = OPTED_IN_KINDS.reduce((n, k) => n + byKind[k], 0);
  return {
    store: sim.store.store,
    seed: options.seed,
    start: new Date(options.startMs).toISOString(),
    minutes: options.minutes,
    windowSeconds: options.windowSeconds,
    gateways: sim.gateways.length,
    shoppers: {
      total: sim.shoppers.length,
      optedIn,
      detectable: byKind.android + byKind['ios-foreground'] + byKind.tag,
      byKind,
    },
    advertisers,
    advertsTransmitted: stats.advertsTransmitted,
    advertsWritten: stats.reports,
    advertsWrittenByGateway: Object.fromEntries(sim.gateways.map((g, i) => [g.id, stats.reportsByGateway[i] ?? 0])),
    truthRecords: stats.truthRecords,
    seconds: Number(seconds.toFixed(3)),
    advertsPerSec: Math.round(stats.reports / Math.max(seconds, 1e-9)),
  };
}

/** Drains a simulation into sinks as fast as possible; returns its statistics. */
export function pump(sim: Simulation, sinks: SimSinks): SimulationStats {
  const ids = sim.gateways.map((g) => g.id);
  const stream = sim.events();
  for (;;) {
    const next = stream.next();
    if (next.done) return next.value;
    const event = next.value;
    if (event.type === 'report') sinks.report(ids[event.gateway] as string, event.tMs, event.hci);
    else sinks.truth?.(event.record);
  }
}

/** Generates into `outDir`; returns the summary it also writes to summary.json. */
export function generate(options: GenerateOptions, outDir: string, io: { force?: boolean } = {}): Summary {
  const began = process.hrtime.bigint();
  const sim = simulationFor(options);
  const files = openOutputFiles(outDir, sim.gateways, sim.startMs, { force: io.force ?? false });
  try {
    files.writeJson('shoppers.json', shoppersFile(sim, options.seed));
    const stats = pump(sim, files);
    files.close();
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    const summary = summarize(sim, options, stats, seconds);
    files.writeJson('summary.json', summary);
    return summary;
  } catch (error) {
    files.close();
    throw error;
  }
}
