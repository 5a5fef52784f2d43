import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { TSchema } from '@sinclair/typebox';
import { AppError } from '../errors.ts';
import { compileValidator, type Problem } from '../validation.ts';

/**
 * Device configuration: one YAML file per device, validated once at start against its role's
 * schema (defaults come from the schema), then frozen and passed explicitly. A bad file is
 * reported as one line per problem, `FILE: /json/pointer message` (docs/architecture.md#conventions), and the
 * command exits with 78 (EX_CONFIG) so systemd does not restart-loop blindly.
 */

export interface RoleSchema<T> {
  role: string;
  schema: TSchema;
  /** Checks a schema cannot express (duplicate ids, cron syntax, ...), in the same format. */
  semanticCheck?: (config: T) => Problem[];
  /**
   * Keys an earlier version accepted, by JSON pointer (`*` matches one segment), with what
   * replaced them: reported as such instead of as an unknown field.
   */
  retiredKeys?: Readonly<Record<string, string>>;
}

function retiredKeyMessage(retired: Readonly<Record<string, string>>, path: string): string | null {
  for (const [pattern, replacement] of Object.entries(retired)) {
    const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]+')}$`);
    if (re.test(path)) return `is a setting of an earlier version that no longer exists: ${replacement}`;
  }
  return null;
}

export interface LoadedConfig<T> {
  config: Readonly<T>;
  /** Absolute path of the file. */
  file: string;
  /** Resolves a path from the file (secrets, databases) relative to the file's folder. */
  resolvePath(path: string): string;
}

export class ConfigError extends AppError {
  readonly lines: string[];

  constructor(file: string, problems: Problem[], code: 'CFG_INVALID' | 'CFG_UNREADABLE' = 'CFG_INVALID') {
    const lines = problems.map((p) => `${file}: ${p.path || '/'} ${p.message}`);
    super(code, lines.join('\n'), { details: { file, problems } });
    this.lines = lines;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

/** Reads and parses YAML; unreadable files and syntax errors become ConfigErrors. */
export function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      file,
      [{ path: '', message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` }],
      'CFG_UNREADABLE',
    );
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: '',
        message: `is not valid YAML: ${e.message.split(/ at line \d+/)[0]?.split('\n')[0]}${e.linePos ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : ''}`,
      })),
      'CFG_UNREADABLE',
    );
  }
  try {
    // An alias to an anchor that is not set, or more alias expansions than maxAliasCount (a
    // "billion laughs" file), throws here rather than in parseDocument.
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (error) {
    throw new ConfigError(
      file,
      [{ path: '', message: `is not valid YAML: ${(error as Error).message.split('\n')[0]}` }],
      'CFG_UNREADABLE',
    );
  }
}

const validatorCache = new WeakMap<TSchema, (value: unknown) => ReturnType<ReturnType<typeof compileValidator>>>();

/** Validates a parsed document against a role schema; fills defaults; returns problems or the config. */
export function validateConfig<T>(
  role: RoleSchema<T>,
  document: unknown,
): { ok: true; config: T } | { ok: false; problems: Problem[] } {
  let validate = validatorCache.get(role.schema);
  if (validate === undefined) {
    validate = compileValidator<T>(role.schema, { useDefaults: true });
    validatorCache.set(role.schema, validate);
  }
  const copy = document === undefined || document === null ? {} : structuredClone(document);
  const result = validate(copy);
  if (!result.ok) {
    const retired = role.retiredKeys;
    if (retired === undefined) return { ok: false, problems: result.problems };
    return {
      ok: false,
      problems: result.problems.map((p) => {
        const message = retiredKeyMessage(retired, p.path);
        return message === null ? p : { path: p.path, message };
      }),
    };
  }
  const semantic = role.semanticCheck?.(result.value as T) ?? [];
  return semantic.length > 0 ? { ok: false, problems: semantic } : { ok: true, config: result.value as T };
}

/** Loads, validates and freezes one role's config file. Throws ConfigError listing every problem. */
export function loadConfig<T>(role: RoleSchema<T>, file: string): LoadedConfig<T> {
  const absolute = resolve(file);
  const document = readYamlFile(absolute);
  const result = validateConfig(role, document);
  if (!result.ok) throw new ConfigError(file, result.problems);
  const dir = dirname(absolute);
  return {
    config: deepFreeze(result.config),
    file: absolute,
    resolvePath: (path: string) => (isAbsolute(path) ? path : resolve(dir, path)),
  };
}

/** The `role:` key of a config document, for `hushpoint check-config`. */
export function roleOf(document: unknown): string | undefined {
  if (document !== null && typeof document === 'object' && 'role' in document) {
    const role = (document as { role: unknown }).role;
    return typeof role === 'string' ? role : undefined;
  }
  return undefined;
}
