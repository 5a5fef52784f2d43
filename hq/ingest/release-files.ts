import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { isValidId } from '../../shared/protocol/topics.ts';
import type { BatchWriter } from './batch-writer.ts';
import { classifyRelease } from './core/classify.ts';
import { sha256Of } from '../storage/mismatch.ts';
import type { IngestOutcome } from '../storage/hq-store.ts';

/**
 * Releases in files (`hushpoint hq import DIR`): DIR/releases/<store>.jsonl holds one store's
 * releases, each line the exact bytes of one release (compact JSON has no newline) — the format
 * `hushpoint sim chain --out` writes, and what an operator can copy from a hub's outbox when a
 * store has no network. Each release goes through the same checks as the network paths, with
 * the file's store as its authenticated store.
 */

export function readReleaseFiles(dir: string): Map<string, Buffer[]> {
  const folder = join(dir, 'releases');
  let files: string[];
  try {
    files = readdirSync(folder)
      .filter((f) => f.endsWith('.jsonl'))
      .sort();
  } catch (error) {
    throw new AppError(
      'CFG_UNREADABLE',
      `Cannot read ${folder} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}), expected DIR/releases/<store>.jsonl`,
      { cause: error },
    );
  }
  const out = new Map<string, Buffer[]>();
  for (const file of files) {
    const store = file.slice(0, -'.jsonl'.length);
    if (!isValidId(store))
      throw new AppError(
        'API_BAD_REQUEST',
        `${join(folder, file)} is not named <store id>.jsonl, expected a store id of [a-z0-9-]`,
      );
    const text = readFileSync(join(folder, file));
    const bodies: Buffer[] = [];
    let start = 0;
    for (let i = 0; i <= text.length; i++) {
      if (i === text.length || text[i] === 0x0a) {
        if (i > start) bodies.push(text.subarray(start, i));
        start = i + 1;
      }
    }
    out.set(store, bodies);
  }
  return out;
}

export interface ImportReport {
  readonly stored: number;
  readonly duplicates: number;
  readonly quarantined: number;
}

export async function importReleaseFiles(
  dir: string,
  deps: { writer: BatchWriter; knownStores: ReadonlySet<string> },
): Promise<ImportReport> {
  const counts: Record<IngestOutcome | 'quarantined', number> = {
    stored: 0,
    duplicate: 0,
    mismatch: 0,
    quarantined: 0,
  };
  for (const [store, bodies] of readReleaseFiles(dir)) {
    const pending: Array<Promise<void>> = [];
    for (const body of bodies) {
      const classified = classifyRelease(body, { store, knownStores: deps.knownStores });
      if (!classified.ok) {
        counts.quarantined++;
        pending.push(
          deps.writer.quarantine({
            source: 'file',
            topic: null,
            store,
            releaseId: classified.releaseId,
            code: classified.code,
            reason: classified.reason,
            body,
          }),
        );
        continue;
      }
      pending.push(
        deps.writer
          .submit({ normalized: classified.release, body, sha256: sha256Of(body), source: 'file' })
          .then((outcome) => {
            counts[outcome]++;
          }),
      );
      if (pending.length >= 2000) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  }
  return { stored: counts.stored, duplicates: counts.duplicate, quarantined: counts.quarantined + counts.mismatch };
}
