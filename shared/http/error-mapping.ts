import type { ErrorCode } from '../errors.ts';
import { formatAjvErrors, type Problem } from '../validation.ts';
import type { ErrorObject } from 'ajv';

/**
 * How errors become HTTP answers, for every server on the shared Fastify base: an AppError
 * answers with the status of its code and `{error: {code, message, details?}}`; a request that
 * fails its schema answers 400 API_BAD_REQUEST naming each failing value by JSON pointer
 * (`/body/stores/0`, `/querystring/from`); anything else is a 500 without internals.
 */

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly details?: Record<string, unknown> };
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  API_BAD_REQUEST: 400,
  CLI_USAGE: 400,
  PROTO_BAD_PAYLOAD: 400,
  AUTH_BAD_CREDENTIAL: 401,
  UPSTREAM_BAD_SIGNATURE: 401,
  UPSTREAM_STALE_TIMESTAMP: 401,
  AUTH_FORBIDDEN: 403,
  API_NOT_FOUND: 404,
  PROV_NOT_FOUND: 404,
  API_CONFLICT: 409,
  UPSTREAM_REPLAY_MISMATCH: 409,
  DP_BUDGET_EXHAUSTED: 429,
  AUTH_RATE_LIMITED: 429,
  STORE_FAILED: 503,
};

/** The HTTP status an error code answers with (500 for codes that are not the client's fault). */
export function httpStatusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** Where Fastify validated: body, querystring, params or headers. */
export type ValidationContext = 'body' | 'querystring' | 'params' | 'headers';

/**
 * The 400 body for a schema failure: every problem with its pointer, prefixed by the part of the
 * request it is in, so `?from=yesterday` gives `/querystring/from is "yesterday", expected …`.
 */
export function validationErrorBody(
  context: string,
  errors: readonly ErrorObject[],
  root: unknown,
): ErrorBody & { error: { details: { problems: Problem[] } } } {
  const problems = formatAjvErrors([...errors], root).map((p) => ({
    path: `/${context}${p.path}`,
    message: p.message,
  }));
  const message = problems.map((p) => `${p.path} ${p.message}`).join('; ');
  return {
    error: {
      code: 'API_BAD_REQUEST',
      message: `Request failed validation: ${message}`,
      details: { pointer: problems[0]?.path ?? `/${context}`, problems },
    },
  };
}
