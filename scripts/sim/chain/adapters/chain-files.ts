import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainOptions, SimulatedChain } from '../chain.ts';

/**
 * A simulated chain on disk: releases/<store>.jsonl holds each release's exact bytes, one per
 * line (a release is compact JSON, so it has no newline); truth.jsonl the true counts (for
 * checking HQ, never sent); chain.json the stores, their groups and the options. HQ imports the
 * releases with `hushpoint hq import` (hq/ingest/release-files.ts reads this format).
 */

export function writeChainFiles(dir: string, chain: SimulatedChain, options: ChainOptions): { files: number } {
  mkdirSync(join(dir, 'releases'), { recursive: true });
  const byStore = new Map<string, Buffer[]>();
  const newline = Buffer.from('\n');
  for (const r of chain.releases) {
    const parts = byStore.get(r.store);
    if (parts === undefined) byStore.set(r.store, [r.body, newline]);
    else parts.push(r.body, newline);
  }
  for (const [store, parts] of byStore) writeFileSync(join(dir, 'releases', `${store}.jsonl`), Buffer.concat(parts));
  writeFileSync(
    join(dir, 'truth.jsonl'),
    chain.releases.map((r) => JSON.stringify({ store: r.store, release: r.releaseId, truth: r.truth })).join('\n') +
      '\n',
  );
  writeFileSync(
    join(dir, 'chain.json'),
    `${JSON.stringify({ options: { ...options, start: options.start }, stores: chain.stores, releases: chain.releases.length }, null, 2)}\n`,
  );
  return { files: byStore.size + 2 };
}
