/**
 * The error catalogue. Codes are API: logs, HTTP bodies, MQTT replies and exit codes refer to
 * them, so never rename one. Messages follow the Deno rules: say what was wrong, with the
 * value, and what was expected.
 */
export const ERROR_CODES = {
  CFG_INVALID: 'configuration file failed validation',
  CFG_UNREADABLE: 'configuration file could not be read or parsed',
  CLI_USAGE: 'command-line arguments are wrong',
  PROTO_BAD_TOPIC: 'MQTT topic is not a hushpoint topic',
  PROTO_BAD_PAYLOAD: 'MQTT payload failed validation',
  EID_BAD_KEY: 'identity key is not 16 bytes of hex',
  EID_BAD_EXPONENT: 'rotation exponent is outside 0..15',
  EID_BAD_COUNTER: 'seconds counter is outside 0..2^32-1',
  EID_BAD_FRAME: 'advertisement is not an opt-in EID frame',
  BLE_ADAPTER_UNAVAILABLE: 'Bluetooth adapter could not be opened',
  BLE_TRACE_INVALID: 'BLE trace or btsnoop capture is not valid',
  MQTT_UNREACHABLE: 'MQTT broker could not be reached',
  STORE_FAILED: 'local database operation failed',
  AUTH_BAD_CREDENTIAL: 'credential was not accepted',
  AUTH_FORBIDDEN: 'not allowed',
  AUTH_RATE_LIMITED: 'too many refused credentials from this address',
  API_BAD_REQUEST: 'request body or parameters are invalid',
  API_NOT_FOUND: 'no such resource',
  API_CONFLICT: 'resource already exists or was already used',
  DP_INVALID_PARAMETER: 'privacy mechanism parameter is invalid',
  DP_BUDGET_EXHAUSTED: 'privacy budget would be exceeded',
  DP_RELEASE_EXISTS: 'a release for this key was already computed',
  UPSTREAM_BAD_SIGNATURE: 'upstream request signature does not match the store key',
  UPSTREAM_STALE_TIMESTAMP: 'upstream request timestamp is too far from the receiver clock',
  UPSTREAM_REPLAY_MISMATCH: 'a release with this id was already received with different bytes',
  UPSTREAM_UNREACHABLE: 'upstream receiver could not be reached or refused the release',
  PROV_EXISTS: 'file already exists (use --force to overwrite)',
  PROV_NOT_FOUND: 'store or gateway not found',
  INTERNAL: 'internal error',
  // DP synthetic data (shared/synth, hushpoint synth)
  SYNTH_BAD_SCHEMA: 'synthetic-data schema is inconsistent',
  SYNTH_MISSING_COLUMN: 'a required column is missing from the table',
  SYNTH_BAD_VALUE: 'a table value does not fit its column',
  SYNTH_TOO_FEW_ROWS: 'too few rows for the requested privacy parameters',
  SYNTH_BAD_RELEASE: 'a synthetic-data release cannot be decoded',
  SYNTH_MISSING_FILE: 'an input file does not exist',
  // Recommender (shared/recommend, docs/recommender.md): POS files, DP item statistics, item models.
  RECO_BAD_INPUT: 'purchase data is not a usable POS export',
  RECO_STATS_MISMATCH: 'item statistics cannot be pooled or used together',
  RECO_MODEL_INVALID: 'item model file is malformed or of an unknown format',
  RECO_MODEL_SIGNATURE: 'item model signature does not verify with the trusted key',
  // Signed offline updates (provisioning/update, hushpoint update): docs/updates.md.
  UPDATE_BAD_BUNDLE: 'update bundle is malformed or has unknown fields',
  UPDATE_BAD_SIGNATURE: 'update bundle signature does not verify with the trusted key',
  UPDATE_HASH_MISMATCH: "a file in the update bundle does not match the manifest's SHA-256",
  UPDATE_UNSAFE_PATH: 'update bundle names a path or link outside its release folder',
  UPDATE_TOO_LARGE: 'update bundle exceeds a size limit',
  UPDATE_DOWNGRADE: 'update bundle is not newer than the installed release',
  UPDATE_INCOMPATIBLE: 'update bundle was built for another platform, CPU or Node ABI',
  UPDATE_UNHEALTHY: 'the new release did not report healthy in time and was rolled back',
  UPDATE_NO_PREVIOUS: 'there is no previous release to roll back to',
  UPDATE_BUSY: 'another update holds the lock on this release root',
  // Real radio data (docs/zones.md): labelled RSSI recordings, calibration.
  RSSI_BAD_INPUT: 'RSSI recording is not a usable labelled CSV',
  CALIB_BAD_INPUT: 'calibration recording cannot give band thresholds',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An operational error with a stable code. `details` holds structured context for logs and APIs. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isAppError(value: unknown, code?: ErrorCode): value is AppError {
  return value instanceof AppError && (code === undefined || value.code === code);
}

/** Exit codes (sysexits.h), used by every command. */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 64,
  DATA: 65,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  CONFIG: 78,
} as const;
