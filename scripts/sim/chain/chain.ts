import { releaseTopic } from '../../../shared/protocol/topics.ts';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import type { LocalDate } from './core/calendar.ts';
import { chainModel, type SimStore } from './core/chain-model.ts';
import { buildCountRelease } from './core/release-builder.ts';
import { simulateStore } from './core/simulate-store.ts';

/**
 * `hushpoint sim chain`: a chain of simulated stores and every DP release each would send
 * upstream over the days (docs/simulator.md, "chain"). Each store draws its behaviour and its
 * noise from its own seeded stream ("<seed>:<store>"), so a store's releases do not change when
 * stores are added. Releases come out in the order a chain sends them: by window end, then store.
 */

export interface ChainOptions {
  readonly stores: number;
  readonly days: number;
  readonly seed: string;
  readonly start: LocalDate;
  readonly timeZone: string;
}

export interface SimulatedRelease {
  readonly store: string;
  readonly kind: string;
  readonly releaseId: string;
  readonly topic: string;
  /** The payload bytes the store sends (v2, noisy). */
  readonly body: Buffer;
  /** The true counts per measure (never sent; for checking HQ's intervals). */
  readonly truth: readonly (readonly number[])[];
  readonly windowEnd: number;
}

export interface SimulatedChain {
  readonly stores: ReadonlyArray<Pick<SimStore, 'id' | 'group'>>;
  readonly releases: readonly SimulatedRelease[];
}

export function simulateChain(options: ChainOptions): SimulatedChain {
  const model = chainModel(options.stores, new SeededRandomSource(`${options.seed}:chain`));
  const releases: SimulatedRelease[] = [];
  for (const store of model) {
    const behaviour = new SeededRandomSource(`${options.seed}:${store.id}`);
    const noise = new SeededRandomSource(`${options.seed}:${store.id}:noise`);
    const specs = simulateStore(
      store,
      { start: options.start, days: options.days, timeZone: options.timeZone },
      behaviour,
    );
    for (const spec of specs) {
      const built = buildCountRelease(spec, noise);
      releases.push({
        store: store.id,
        kind: spec.kind,
        releaseId: spec.release,
        topic: releaseTopic(store.id, spec.kind),
        body: built.body,
        truth: spec.measures.map((m) => m.values),
        windowEnd: spec.window.endUnix,
      });
    }
  }
  releases.sort((a, b) => a.windowEnd - b.windowEnd || (a.store < b.store ? -1 : a.store > b.store ? 1 : 0));
  return { stores: model.map((s) => ({ id: s.id, group: s.group })), releases };
}
