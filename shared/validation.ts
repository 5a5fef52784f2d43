import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';

/**
 * Schema validation with every problem reported, each with its JSON pointer (RFC 6901).
 * Used for wire payloads (shared/protocol) and device configuration (shared/config).
 */

export interface Problem {
  /** JSON pointer to the offending value, "" for the whole document. */
  path: string;
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

export interface Validator<T> {
  (value: unknown): Validation<T>;
}

const strictAjv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
const defaultingAjv = new Ajv({ allErrors: true, strict: false, useDefaults: true });

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Turns Ajv's errors into one clear problem per fault (unions collapse to one line). */
export function formatAjvErrors(errors: ErrorObject[], root: unknown): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const unionPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  for (const error of errors) {
    let path = error.instancePath;
    let message: string;
    const actual = valueAt(root, path);
    const p = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case 'required':
        path = `${path}/${escapePointer(String(p.missingProperty))}`;
        message = 'is required';
        break;
      case 'additionalProperties':
        path = `${path}/${escapePointer(String(p.additionalProperty))}`;
        message = 'is not allowed here (unknown field; check the spelling)';
        break;
      case 'anyOf': {
        const options = errors
          .filter((e) => e.instancePath === path && (e.keyword === 'const' || e.keyword === 'enum'))
          .map((e) => JSON.stringify((e.params as { allowedValue?: unknown }).allowedValue));
        message =
          options.length > 0
            ? `is ${describe(actual)}, expected one of ${options.join(', ')}`
            : `is ${describe(actual)}, which matches none of the allowed forms`;
        break;
      }
      case 'const':
      case 'enum':
      case 'type':
        if (unionPaths.has(path)) continue;
        message =
          error.keyword === 'type'
            ? `is ${describe(actual)}, expected ${String(p.type)}`
            : `is ${describe(actual)}, expected ${JSON.stringify(p.allowedValue ?? p.allowedValues)}`;
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        message = `is ${describe(actual)}, expected ${String(p.comparison)} ${String(p.limit)}`;
        break;
      case 'maxItems':
        message = `has ${Array.isArray(actual) ? actual.length : '?'} items, expected at most ${String(p.limit)}`;
        break;
      case 'minItems':
        message = `has ${Array.isArray(actual) ? actual.length : '?'} items, expected at least ${String(p.limit)}`;
        break;
      case 'pattern':
        message = `is ${describe(actual)}, expected a string matching ${String(p.pattern)}`;
        break;
      case 'minLength':
      case 'maxLength':
        message = `is ${describe(actual)}, expected ${error.keyword === 'minLength' ? 'at least' : 'at most'} ${String(p.limit)} characters`;
        break;
      default:
        message = error.message ?? 'is invalid';
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path, message });
  }
  return problems;
}

/**
 * Compiles a schema into a validator. With `useDefaults`, missing fields that have defaults in
 * the schema are filled in (the value is mutated: pass a fresh object, e.g. straight from parsing).
 */
export function compileValidator<T>(schema: TSchema, options: { useDefaults?: boolean } = {}): Validator<T> {
  const fn: ValidateFunction = (options.useDefaults ? defaultingAjv : strictAjv).compile(schema);
  return (value: unknown) =>
    fn(value) ? { ok: true, value: value as T } : { ok: false, problems: formatAjvErrors(fn.errors ?? [], value) };
}

export function formatProblems(problems: Problem[], prefix = ''): string[] {
  return problems.map((problem) => `${prefix}${problem.path || '/'} ${problem.message}`);
}
