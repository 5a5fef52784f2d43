import type { ErrorCode } from '../../shared/errors.ts';
import { decodePayload } from '../../shared/protocol/codec.ts';
import type { CommandReply } from '../../shared/protocol/messages.ts';
import { COMMAND_NAMES, PROTOCOL_VERSION, type CommandName } from '../../shared/protocol/topics.ts';
import { formatProblems } from '../../shared/validation.ts';

/**
 * Commands from the hub (docs/architecture.md#wire-protocol): `cmd/{name}` with a transaction id, answered on
 * `reply/{name}` with `{transaction, ok, data | error}`. A command that cannot be understood is
 * still answered when it carries a usable transaction id (zigbee2mqtt's bridge pattern).
 */

export const IDENTIFY_DEFAULT_SECONDS = 10;

export type ParsedCommand =
  | { ok: true; name: CommandName; transaction: string; seconds: number }
  | { ok: false; transaction: string | null; code: ErrorCode; message: string };

function transactionOf(payload: Uint8Array): string | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8'));
    if (value !== null && typeof value === 'object' && 'transaction' in value) {
      const transaction = (value as { transaction: unknown }).transaction;
      if (typeof transaction === 'string' && transaction.length >= 1 && transaction.length <= 64) return transaction;
    }
  } catch {
    // not JSON: no transaction to answer
  }
  return null;
}

export function parseCommand(name: string, payload: Uint8Array): ParsedCommand {
  if (!(COMMAND_NAMES as readonly string[]).includes(name)) {
    return {
      ok: false,
      transaction: transactionOf(payload),
      code: 'PROTO_BAD_TOPIC',
      message: `command "${name}" is unknown, expected one of: ${COMMAND_NAMES.join(', ')}`,
    };
  }
  const decoded = decodePayload('Command', payload);
  if (!decoded.ok) {
    return {
      ok: false,
      transaction: transactionOf(payload),
      code: 'PROTO_BAD_PAYLOAD',
      message: `command payload is invalid: ${formatProblems(decoded.problems).join('; ')}`.slice(0, 1000),
    };
  }
  return {
    ok: true,
    name: name as CommandName,
    transaction: decoded.value.transaction,
    seconds: decoded.value.args?.seconds ?? IDENTIFY_DEFAULT_SECONDS,
  };
}

export function replyOk(transaction: string, data?: Record<string, unknown>): CommandReply {
  return data === undefined
    ? { v: PROTOCOL_VERSION, transaction, ok: true }
    : { v: PROTOCOL_VERSION, transaction, ok: true, data };
}

export function replyError(transaction: string, code: string, message: string): CommandReply {
  return {
    v: PROTOCOL_VERSION,
    transaction,
    ok: false,
    error: { code: code.slice(0, 64), message: message.slice(0, 1000) },
  };
}
