import { describe, expect, it } from 'vitest';
import { runZoneAccuracyPipeline } from '../../scripts/zone-accuracy/pipeline.ts';

/**
 * End to end: the simulator's small store → one real gateway per trace (noble's parser, opt-in
 * filter, windows, SQLite outbox, mqtt.js over TLS) → the hub (auth, durable ingest, EID
 * resolution, presence model) → exported zones, scored against the simulator's ground truth.
 * The pipeline is scripts/zone-accuracy/pipeline.ts, which scripts/zone-accuracy.ts runs over
 * several seeds.
 */
// HUSHPOINT_SIM_MINUTES / HUSHPOINT_SIM_SEED vary the run; HUSHPOINT_KEEP_SIM=DIR keeps the data.
const MINUTES = Number(process.env.HUSHPOINT_SIM_MINUTES ?? 30);
const SEED = process.env.HUSHPOINT_SIM_SEED ?? 'hub-accuracy';
/**
 * The target is 90 %. This run measures 90.4 %, but over six other seeds (60 min each)
 * the same pipeline measures 83–92 %, 89.8 % overall (docs/hub.md), so the gate is lower: a gate
 * at 90 % on a seed that happens to clear it by 0.4 % would claim more than the hub achieves.
 */
const TARGET = 0.9;
const GATE = 0.85;

describe('hub zone accuracy on simulated traces (small store)', () => {
  it(`places the detected shopper-windows in their true zone (target ${TARGET * 100} %, gate ${GATE * 100} %)`, async () => {
    const run = await runZoneAccuracyPipeline({
      seed: SEED,
      minutes: MINUTES,
      keepDir: process.env.HUSHPOINT_KEEP_SIM,
    });
    const { score, hubStats } = run;
    console.info(
      `hub zone accuracy (fashion-small, ${MINUTES} min, seed ${SEED}): ${JSON.stringify({ ...score, ...hubStats })}`,
    );

    expect(hubStats.quarantined).toBe(0);
    expect(hubStats.unresolved).toBe(0);
    expect(score.observedPairs).toBeGreaterThan(100);
    expect(score.precision).toBeGreaterThan(0.95);
    expect(score.recall).toBeGreaterThan(0.95);
    expect(score.zoneAccuracy).toBeGreaterThanOrEqual(GATE);
  }, 120_000);
});
