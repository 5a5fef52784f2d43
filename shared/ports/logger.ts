import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

/** The structured logger every component receives (a pino logger or a child of one). */
export type Logger = PinoLogger;

/**
 * Field names whose values are secrets or device identifiers. pino replaces them with
 * "[redacted]" wherever they appear (top level or one level down) so that a careless
 * `log.info({ credential })` cannot leak. This is a safety net: code must not log them at all.
 */
export const REDACTED_FIELDS = [
  'password',
  'credential',
  'token',
  'bearer',
  'authorization',
  'identityKey',
  'ik',
  'key',
  'secret',
  'signingKey',
  'mac',
  'address',
  'macAddress',
  'tk',
  'temporaryKey',
] as const;

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where JSON lines go; stdout (for journald) when omitted. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const paths = REDACTED_FIELDS.flatMap((field) => [field, `*.${field}`]);
  return pino(
    {
      name: options.name ?? 'hushpoint',
      level: options.level ?? 'info',
      redact: { paths, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that drops everything: for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
