import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AppError, EXIT, isAppError } from '../errors.ts';
import { packageVersion } from '../version.ts';

/**
 * A tiny command framework on node:util parseArgs: every command and subcommand gets
 * `--help` and `--version`, usage errors name the argument and what was expected, and
 * `run` returns an exit code. Commands write through `io` so tests can capture output.
 */

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | boolean;
  /** Shown in --help, e.g. "FILE". */
  value?: string;
  description: string;
}

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandContext {
  io: CliIo;
  /** The full command path, e.g. "hushpoint sim generate". */
  path: string;
}

export interface Command {
  name: string;
  summary: string;
  /** Extra help text shown under the usage line. */
  description?: string;
  usage?: string;
  options?: Record<string, OptionSpec>;
  /** Positional arguments (names for the usage line); more are an error unless `variadic`. */
  positionals?: string[];
  variadic?: boolean;
  subcommands?: () => Array<Command | LazyCommand>;
  run?: (args: { values: OptionValues; positionals: string[] }, ctx: CommandContext) => Promise<number> | number;
}

/**
 * A subcommand whose module is imported only when it runs, so that `hushpoint gateway` on a Pi
 * does not load the hub, the simulator or the browser test tooling (memory, start-up time, and
 * one broken module cannot stop another command).
 */
export interface LazyCommand {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

export function usageError(message: string): AppError {
  return new AppError('CLI_USAGE', message);
}

function helpText(command: Command, path: string): string {
  const lines: string[] = [];
  const subs = command.subcommands?.() ?? [];
  const pos = (command.positionals ?? []).map((p) => `<${p}>`).join(' ');
  const usage =
    command.usage ??
    `${path}${subs.length > 0 ? ' <command>' : ''}${command.options ? ' [options]' : ''}${pos ? ` ${pos}` : ''}`;
  lines.push(`${path} — ${command.summary}`, '', `Usage: ${usage}`);
  if (command.description) lines.push('', command.description.trim());
  if (subs.length > 0) {
    lines.push('', 'Commands:');
    const width = Math.max(...subs.map((s) => s.name.length));
    for (const sub of subs) lines.push(`  ${sub.name.padEnd(width)}  ${sub.summary}`);
  }
  lines.push('', 'Options:');
  const opts: [string, string][] = Object.entries(command.options ?? {}).map(([name, spec]) => [
    `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`,
    `${spec.description}${spec.default !== undefined && spec.default !== false ? ` (default: ${String(spec.default)})` : ''}`,
  ]);
  opts.push(['-h, --help', 'show this help']);
  if (command.options?.version === undefined) opts.push(['--version', 'print the version']);
  const width = Math.max(...opts.map(([flag]) => flag.length));
  for (const [flag, text] of opts) lines.push(`  ${flag.padEnd(width)}  ${text}`);
  if (subs.length > 0) lines.push('', `Run "${path} <command> --help" for a command's options.`);
  return `${lines.join('\n')}\n`;
}

/** Runs `command` with `argv` (arguments after the command's own name). Never throws. */
export async function runCommand(command: Command, argv: string[], ctx: CommandContext): Promise<number> {
  const subs = command.subcommands?.() ?? [];
  const first = argv[0];
  if (first === '--help' || first === '-h') {
    ctx.io.out(helpText(command, ctx.path));
    return EXIT.OK;
  }
  // A command with its own --version option (e.g. a release version to build) reads it itself.
  const ownVersion = command.options?.version !== undefined;
  if (first === '--version' && !ownVersion) {
    ctx.io.out(packageVersion());
    return EXIT.OK;
  }
  if (subs.length > 0 && first !== undefined && !first.startsWith('-')) {
    const found = subs.find((s) => s.name === first);
    if (found) {
      const sub = 'load' in found ? await found.load() : found;
      return runCommand(sub, argv.slice(1), { ...ctx, path: `${ctx.path} ${sub.name}` });
    }
    if (!command.run) {
      ctx.io.err(
        `${ctx.path}: unknown command "${first}", expected one of: ${subs.map((s) => s.name).join(', ')}. See "${ctx.path} --help".`,
      );
      return EXIT.USAGE;
    }
  }
  if (!command.run) {
    if (first === undefined) {
      ctx.io.out(helpText(command, ctx.path));
      return EXIT.USAGE;
    }
    ctx.io.err(`${ctx.path}: unknown option "${first}". See "${ctx.path} --help".`);
    return EXIT.USAGE;
  }
  try {
    const options: NonNullable<ParseArgsConfig['options']> = {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    };
    for (const [name, spec] of Object.entries(command.options ?? {})) {
      options[name] = {
        type: spec.type,
        ...(spec.short ? { short: spec.short } : {}),
        ...(spec.multiple ? { multiple: true } : {}),
        ...(spec.default !== undefined ? { default: spec.default } : {}),
      };
    }
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    } catch (error) {
      throw usageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''));
    }
    const values = parsed.values as OptionValues;
    if (values.help) {
      ctx.io.out(helpText(command, ctx.path));
      return EXIT.OK;
    }
    if (values.version === true && !ownVersion) {
      ctx.io.out(packageVersion());
      return EXIT.OK;
    }
    const max = command.positionals?.length ?? 0;
    if (!command.variadic && parsed.positionals.length > max) {
      throw usageError(
        `unexpected argument "${parsed.positionals[max]}"${max === 0 ? ', this command takes no positional arguments' : `, expected at most ${max}`}`,
      );
    }
    return await command.run({ values, positionals: parsed.positionals }, ctx);
  } catch (error) {
    if (isAppError(error, 'CLI_USAGE')) {
      ctx.io.err(`${ctx.path}: ${error.message}. See "${ctx.path} --help".`);
      return EXIT.USAGE;
    }
    if (isAppError(error, 'CFG_INVALID') || isAppError(error, 'CFG_UNREADABLE')) {
      ctx.io.err(error.message);
      return EXIT.CONFIG;
    }
    if (isAppError(error)) {
      ctx.io.err(`${ctx.path}: ${error.code}: ${error.message}`);
      return EXIT.FAILURE;
    }
    ctx.io.err(`${ctx.path}: internal error: ${(error as Error).stack ?? String(error)}`);
    return EXIT.SOFTWARE;
  }
}

/** Reads a required string option or throws a usage error naming it. */
export function requireString(values: OptionValues, name: string, expected: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.length === 0) throw usageError(`--${name} is required: ${expected}`);
  return value;
}

/** Parses an integer option within [min, max], or returns `fallback` when absent. */
export function intOption(
  values: OptionValues,
  name: string,
  range: { min: number; max: number },
  fallback?: number,
): number {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback === undefined) throw usageError(`--${name} is required: an integer ${range.min}..${range.max}`);
    return fallback;
  }
  const n = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw usageError(`--${name} is "${String(raw)}", expected an integer ${range.min}..${range.max}`);
  }
  return n;
}

/** Parses a number option within [min, max], or returns `fallback` when absent. */
export function numberOption(
  values: OptionValues,
  name: string,
  range: { min: number; max: number },
  fallback?: number,
): number {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback === undefined) throw usageError(`--${name} is required: a number ${range.min}..${range.max}`);
    return fallback;
  }
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n) || n < range.min || n > range.max) {
    throw usageError(`--${name} is "${String(raw)}", expected a number ${range.min}..${range.max}`);
  }
  return n;
}
