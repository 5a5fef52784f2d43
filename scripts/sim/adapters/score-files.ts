import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Type } from '@sinclair/typebox';
import { ID_PATTERN } from '../../../shared/protocol/topics.ts';
import { compileValidator } from '../../../shared/validation.ts';
import {
  scoreFlapping,
  scorePairs,
  type FlappingScore,
  type ObservedPair,
  type Score,
  type TruthPair,
} from '../core/score.ts';

/**
 * Reads truth.jsonl (the simulator's) and an observed-assignments file (the hub's export), both
 * JSON Lines, and scores them. Observed lines (docs/simulator.md):
 *
 *   {"windowStart":1795856440,"shopperId":"shopper-00001","zone":"toys"}
 *
 * windowStart is Unix seconds on the same window grid as the truth; zone may be null (present,
 * zone unknown: counts for precision and recall, never as a correct zone); other fields are ignored.
 * A bad line stops with `FILE:LINE: problem`; a (windowStart, shopperId) pair given twice is an error.
 */

/** A truth or observed file that cannot be scored: the message names FILE:LINE and the problem. */
export class ScoreInputError extends Error {
  override readonly name = 'ScoreInputError';
}

const Pair = Type.Object({
  windowStart: Type.Integer({ minimum: 0 }),
  shopperId: Type.String({ minLength: 1, maxLength: 200 }),
  zone: Type.Union([Type.String({ pattern: ID_PATTERN }), Type.Null()]),
  heardBy: Type.Optional(Type.Array(Type.String())),
});
const validatePair = compileValidator<TruthPair | ObservedPair>(Pair);

async function readPairs(file: string, label: string): Promise<(TruthPair | ObservedPair)[]> {
  const out: (TruthPair | ObservedPair)[] = [];
  const seen = new Set<string>();
  let lineNo = 0;
  try {
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new ScoreInputError(`${file}:${lineNo}: is not valid JSON; expected one ${label} object per line`);
      }
      const result = validatePair(value);
      if (!result.ok) {
        throw new ScoreInputError(
          `${file}:${lineNo}: ${result.problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}`,
        );
      }
      const k = `${result.value.windowStart}\u0000${result.value.shopperId}`;
      if (seen.has(k))
        throw new ScoreInputError(
          `${file}:${lineNo}: shopper "${result.value.shopperId}" in window ${result.value.windowStart} appears twice; expected one ${label} line per shopper per window`,
        );
      seen.add(k);
      out.push(result.value);
    }
  } catch (error) {
    if (error instanceof ScoreInputError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new ScoreInputError(`${file}: cannot be read (${e.code ?? e.message})`);
  }
  return out;
}

/** The score and room flapping (zone changes per shopper-minute the truth does not have). */
export type FileScore = Score & { flapping: FlappingScore };

export async function scoreFiles(truthFile: string, observedFile: string, windowSeconds = 10): Promise<FileScore> {
  const truth = await readPairs(truthFile, 'truth');
  const unknownZone = truth.findIndex((t) => t.zone === null);
  if (unknownZone >= 0)
    throw new ScoreInputError(
      `${truthFile}: record ${unknownZone + 1} has no zone; expected a truth.jsonl written by hushpoint sim generate`,
    );
  const observed = await readPairs(observedFile, 'observed');
  return {
    ...scorePairs(truth as TruthPair[], observed),
    flapping: scoreFlapping(truth as TruthPair[], observed, windowSeconds),
  };
}
