import { mkdirSync, writeFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';

/**
 * Shared settings of the fuzz targets (docs/security.md#fuzzing). Every target runs a fixed
 * number of cases in CI (`npm test`) and many more under `npm run fuzz`
 * (HUSHPOINT_FUZZ_RUNS=N multiplies nothing: it is the number of cases per target). The seed is
 * HUSHPOINT_FUZZ_SEED when given, else fresh; fast-check prints it with the shrunk
 * counter-example on failure, and every target writes what it tried to
 * test-output/fuzz/<target>.json (cases, seed, outcomes) for the report.
 */

const CI_RUNS = 200;

export function fuzzRuns(ciRuns = CI_RUNS): number {
  const given = process.env.HUSHPOINT_FUZZ_RUNS;
  if (given === undefined || given === '') return ciRuns;
  const n = Number(given);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`HUSHPOINT_FUZZ_RUNS is "${given}", expected a positive integer`);
  return n;
}

export function fuzzSeed(): number {
  const given = process.env.HUSHPOINT_FUZZ_SEED;
  if (given !== undefined && given !== '') {
    const n = Number(given);
    if (!Number.isSafeInteger(n)) throw new Error(`HUSHPOINT_FUZZ_SEED is "${given}", expected an integer`);
    return n;
  }
  return randomInt(0, 2 ** 31 - 1);
}

/** Counts outcomes of one target and writes the report file. */
export class FuzzReport {
  readonly outcomes = new Map<string, number>();
  cases = 0;
  readonly #started = performance.now();
  constructor(
    readonly target: string,
    readonly seed: number,
  ) {}

  count(outcome: string): void {
    this.cases++;
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  write(): void {
    const dir = join(import.meta.dirname, '..', '..', 'test-output', 'fuzz');
    mkdirSync(dir, { recursive: true });
    const report = {
      target: this.target,
      seed: this.seed,
      cases: this.cases,
      seconds: Number(((performance.now() - this.#started) / 1000).toFixed(2)),
      outcomes: Object.fromEntries([...this.outcomes].sort()),
    };
    writeFileSync(join(dir, `${this.target}.json`), `${JSON.stringify(report, null, 2)}\n`);
  }
}

/** fast-check parameters for a target: its runs and seed (printed by fast-check on failure). */
export function fuzzParameters(seed: number, ciRuns?: number): fc.Parameters<unknown> {
  return { numRuns: fuzzRuns(ciRuns), seed, endOnFailure: true };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values that break naive parsers: extremes of numbers, long or odd strings, prototype keys. */
const nasty: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    -0,
    1e308,
    -1e308,
    2 ** 53 + 1,
    -1,
    0.5,
    '',
    '0',
    'NaN',
    'Infinity',
    '__proto__',
    'constructor',
    '\u0000',
    '\ud800',
    '../../etc/passwd',
    '9'.repeat(400),
    [],
    {},
    null,
    true,
  ),
  fc.string({ maxLength: 5000 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

interface Mutation {
  kind: 'set' | 'delete' | 'insert' | 'wrap';
  at: number;
  key: string;
  value: Json;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<Mutation['kind']>('set', 'set', 'delete', 'insert', 'wrap'),
  at: fc.nat(),
  key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'v')),
  value: nasty,
});

/** Every container path of a JSON value (the root included), in a fixed order. */
function containers(value: Json, path: Array<string | number> = [], out: Array<Array<string | number>> = []) {
  if (value !== null && typeof value === 'object') {
    out.push(path);
    if (Array.isArray(value)) value.forEach((v, i) => containers(v, [...path, i], out));
    else for (const [k, v] of Object.entries(value)) containers(v, [...path, k], out);
  }
  return out;
}

function at(root: Json, path: Array<string | number>): Json {
  let node = root;
  for (const step of path) node = (node as Record<string | number, Json>)[step] as Json;
  return node;
}

function apply(document: Json, m: Mutation): Json {
  const root = structuredClone(document);
  const places = containers(root);
  if (places.length === 0) return m.value;
  const node = at(root, places[m.at % places.length] as Array<string | number>) as Json[] | Record<string, Json>;
  const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
  const key = keys.length === 0 ? null : keys[m.at % keys.length];
  if (m.kind === 'insert' || key === null || key === undefined) {
    if (Array.isArray(node)) node.push(m.value);
    else Object.defineProperty(node, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
  } else if (m.kind === 'delete') {
    if (Array.isArray(node)) node.splice(key as number, 1);
    else delete node[key as string];
  } else if (m.kind === 'wrap') {
    (node as Record<string | number, Json>)[key] = [(node as Record<string | number, Json>)[key] as Json];
  } else {
    (node as Record<string | number, Json>)[key] = m.value;
  }
  return root;
}

/**
 * Bytes for a parser that expects a JSON document like the ones `valid` makes: the valid
 * document itself, structural mutations of it (values replaced by nasty ones, keys deleted or
 * added — prototype keys included — values wrapped in arrays), truncations, flipped bytes, any
 * JSON value, and arbitrary bytes.
 */
export function jsonInputs(valid: fc.Arbitrary<unknown>): fc.Arbitrary<{ kind: string; bytes: Buffer }> {
  const text = (v: unknown): Buffer => Buffer.from(JSON.stringify(v) ?? 'null');
  return fc.oneof(
    valid.map((v) => ({ kind: 'valid', bytes: text(v) })),
    fc
      .tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 4 }))
      .map(([v, ms]) => ({ kind: 'mutated', bytes: text(ms.reduce((d, m) => apply(d, m), v as Json)) })),
    fc.tuple(valid, fc.nat()).map(([v, n]) => {
      const b = text(v);
      return { kind: 'truncated', bytes: b.subarray(0, n % Math.max(1, b.length)) };
    }),
    fc.tuple(valid, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([v, n, x]) => {
      const b = Buffer.from(text(v));
      const i = n % Math.max(1, b.length);
      if (b.length > 0) b[i] = (b[i] as number) ^ x;
      return { kind: 'flipped', bytes: b };
    }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => ({ kind: 'any-json', bytes: text(v) })),
    fc.uint8Array({ maxLength: 2048 }).map((b) => ({ kind: 'bytes', bytes: Buffer.from(b) })),
  );
}
