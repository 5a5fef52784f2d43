import { AppError, type ErrorCode } from '../errors.ts';

/** The AppError that `fn` throws; fails (throws) if it returns or throws anything else. Test support only. */
export function thrownAppError(fn: () => unknown, code: ErrorCode): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError && error.code === code) return error;
    throw new Error(`expected AppError ${code}, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected AppError ${code}, but nothing was thrown`);
}
