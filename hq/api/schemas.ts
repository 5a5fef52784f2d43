import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '../../shared/protocol/topics.ts';
import { VIEW_NAMES } from '../pooling/core/views.ts';

/**
 * TypeBox schemas of HQ's API: they type the handlers, validate the requests and make the
 * OpenAPI document (/openapi.json). Numbers that can be undefined (a ratio over a negative noisy
 * denominator) are null on the wire.
 */

const closed = { additionalProperties: false } as const;
const Num = Type.Union([Type.Number(), Type.Null()]);
export const DateText = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a local date YYYY-MM-DD' });
export const Id = Type.String({ pattern: ID_PATTERN, maxLength: 64 });

/** The shared error format (shared/http/schemas.ts). */
export { ErrorSchema } from '../../shared/http/schemas.ts';

export const EstimateFields = {
  value: Num,
  variance: Num,
  halfWidth95: Num,
  low: Num,
  high: Num,
  reliable: Type.Boolean(),
};

export const ViewSchema = Type.Object(
  {
    view: Type.Union(VIEW_NAMES.map((v) => Type.Literal(v))),
    title: Type.String(),
    kind: Type.String(),
    xAxis: Type.Union([Type.Literal('date'), Type.Literal('hour'), Type.Literal('week'), Type.Literal('category')]),
    scope: Type.Object(
      {
        from: DateText,
        to: DateText,
        store: Type.Union([Id, Type.Null()]),
        group: Type.Union([Id, Type.Null()]),
        stores: Type.Integer({ description: 'stores in the selection' }),
      },
      closed,
    ),
    series: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          unit: Type.String(),
          points: Type.Array(Type.Object({ x: Type.String(), ...EstimateFields, values: Type.Integer() }, closed)),
        },
        closed,
      ),
    ),
    summary: Type.Array(Type.Object({ name: Type.String(), unit: Type.String(), ...EstimateFields }, closed)),
    notes: Type.Array(Type.String()),
  },
  { ...closed, description: 'A figure with 95% intervals (value ± halfWidth95), pooled over the selected stores' },
);

export const ScopeQuery = Type.Object(
  {
    from: Type.Optional(DateText),
    to: Type.Optional(DateText),
    store: Type.Optional(Id),
    group: Type.Optional(Id),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })),
  },
  closed,
);
export type ScopeQueryType = Static<typeof ScopeQuery>;

export const PooledSchema = Type.Object(
  {
    kind: Type.String(),
    scope: ViewSchema.properties.scope,
    cells: Type.Array(
      Type.Object(
        {
          window: Type.String(),
          windowUnit: Type.String(),
          localStart: Type.String(),
          metric: Type.String(),
          cell: Type.String(),
          exact: Type.String({ description: 'the exact pooled value Σ value·g as a rational' }),
          ...EstimateFields,
          values: Type.Integer(),
        },
        closed,
      ),
    ),
  },
  closed,
);

export const StoresSchema = Type.Object(
  {
    stores: Type.Array(
      Type.Object(
        {
          id: Id,
          group: Type.Union([Id, Type.Null()]),
          releases: Type.Integer(),
          lastReceivedMs: Type.Union([Type.Integer(), Type.Null()]),
        },
        closed,
      ),
    ),
    groups: Type.Array(Type.Object({ id: Id, stores: Type.Integer() }, closed)),
    dates: Type.Object(
      { first: Type.Union([DateText, Type.Null()]), last: Type.Union([DateText, Type.Null()]) },
      closed,
    ),
  },
  closed,
);

export const IngestSchema = Type.Object(
  {
    engine: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
    releases: Type.Integer(),
    duplicates: Type.Integer(),
    quarantined: Type.Integer(),
    writerDepth: Type.Integer(),
    writerFailing: Type.Boolean({
      description: 'database writes failing (full, unreachable): releases wait unacknowledged',
    }),
    mqtt: Type.Union([
      Type.Object(
        {
          consumerId: Type.String(),
          connections: Type.Integer(),
          connected: Type.Integer(),
          received: Type.Integer(),
          quarantined: Type.Integer(),
        },
        closed,
      ),
      Type.Null(),
    ]),
  },
  closed,
);

export const QuarantineSchema = Type.Object(
  {
    entries: Type.Array(
      Type.Object(
        {
          id: Type.Integer(),
          receivedMs: Type.Integer(),
          source: Type.String(),
          topic: Type.Union([Type.String(), Type.Null()]),
          store: Type.Union([Type.String(), Type.Null()]),
          releaseId: Type.Union([Type.String(), Type.Null()]),
          code: Type.String(),
          reason: Type.String(),
          bodyBytes: Type.Integer(),
        },
        closed,
      ),
    ),
  },
  closed,
);
