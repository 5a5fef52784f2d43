import { Type, type TSchema } from '@sinclair/typebox';

/**
 * Response schemas every server on the shared base uses: the error format of error-mapping.ts.
 * `field` is the hub's name of the failing field (a body pointer or a parameter name).
 */
export const ErrorSchema = Type.Object(
  {
    ok: Type.Optional(Type.Literal(false)),
    error: Type.Object(
      {
        code: Type.String(),
        message: Type.String(),
        field: Type.Optional(Type.String()),
        details: Type.Optional(Type.Object({}, { additionalProperties: true })),
      },
      { additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    description: 'An error: a stable code (shared/errors.ts) and a message naming the value and what was expected',
  },
);

/** The error responses of a route, by status: `errors(400, 401)` → {400: ErrorSchema, 401: ErrorSchema}. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorSchema]));
}
