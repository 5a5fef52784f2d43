import { AppError } from '../../shared/errors.ts';
import type { Problem } from '../../shared/validation.ts';

/**
 * A 400 for a body or query that failed its schema: the first problem in the message (with its
 * JSON pointer), every problem in `details.problems`, and `details.field` naming the first.
 */
export function badRequest(problems: readonly Problem[], what: string): AppError {
  const first = problems[0] ?? { path: '', message: 'is invalid' };
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new AppError('API_BAD_REQUEST', `${what} ${first.path || '/'} ${first.message}${more}`, {
    details: { field: first.path, problems },
  });
}
