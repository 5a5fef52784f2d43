import type { ShopperState } from './advertisers.ts';
import type { MovementModel } from './movement.ts';
import { placeInWindow, type TruthRecord } from './truth.ts';

/**
 * The ground truth, window by window (truth.ts says what a record holds): the engine calls
 * `close()` whenever its next transmission falls at or after `windowEndMs`, and at the end for
 * every window that starts before the simulation ends. Shoppers join the present set at arrival and leave it after departure; each window's EIDs
 * and hearing gateways are collected by the engine into their ShopperState and reset here.
 */
export interface TruthWindows {
  /** Start (ms) of the open window. */
  readonly windowStartMs: number;
  /** End (ms) of the open window. */
  readonly windowEndMs: number;
  /** The records of the open window, one per present shopper placed in it; then the next window opens. */
  close(): Generator<TruthRecord>;
}

export interface TruthWindowsInput {
  /** Shoppers with ground truth, in arrival order. */
  shoppers: readonly ShopperState[];
  gatewayIds: readonly string[];
  model: MovementModel;
  startMs: number;
  endMs: number;
  windowSeconds: number;
  /** Counts every record as it is produced. */
  stats: { truthRecords: number };
}

export function createTruthWindows(input: TruthWindowsInput): TruthWindows {
  const { shoppers, gatewayIds, model, startMs, endMs, stats } = input;
  const windowMs = input.windowSeconds * 1000;
  let windowStart = Math.floor(startMs / windowMs) * windowMs;
  // Plain fields, not getters: the engine reads windowEndMs once per transmission.
  const open = { windowStartMs: windowStart, windowEndMs: windowStart + windowMs, close };
  let nextArrival = 0;
  let present: ShopperState[] = [];

  function* close(): Generator<TruthRecord> {
    const from = Math.max(windowStart, startMs);
    const to = Math.min(windowStart + windowMs, endMs);
    while (nextArrival < shoppers.length && (shoppers[nextArrival] as ShopperState).plan.visit.arriveMs < to) {
      present.push(shoppers[nextArrival] as ShopperState);
      nextArrival++;
    }
    for (const s of present) {
      const { placement, cursor } = placeInWindow(s.plan.visit, from, to, s.cursor);
      s.cursor = cursor;
      if (placement !== null) {
        const heardBy: string[] = [];
        for (let g = 0; g < gatewayIds.length; g++) if (s.heard.has(g)) heardBy.push(gatewayIds[g] as string);
        stats.truthRecords++;
        yield {
          windowStart: windowStart / 1000,
          shopperId: s.plan.shopperId as string,
          kind: s.plan.kind,
          zone: (model.zones[placement.zone] as { id: string }).id,
          x: Math.round(placement.x * 100) / 100,
          y: Math.round(placement.y * 100) / 100,
          eids: [...s.eids],
          heardBy,
        };
      }
      s.eids.length = 0;
      s.heard.clear();
    }
    present = present.filter((s) => s.plan.visit.departMs > to);
    windowStart += windowMs;
    open.windowStartMs = windowStart;
    open.windowEndMs = windowStart + windowMs;
  }

  return open;
}
