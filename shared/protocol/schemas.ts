import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ID_PATTERN, PROTOCOL_VERSION } from './topics.ts';

/**
 * Payload schemas of the wire protocol: the one source of both the JSON Schema (validated with
 * Ajv in validate.ts) and the TypeScript types (messages.ts). JSON is camelCase; every object
 * is closed (additionalProperties: false) so a typo is an error, not a silently ignored field.
 */

export const LIMITS = {
  /** Distinct EIDs a gateway may put in one window; the overflow is counted in `dropped`. */
  maxSightingsPerBatch: 5000,
  maxHitsPerSighting: 65535,
  maxWindowSeconds: 3600,
  /** How far in the future a windowStart may be before it is rejected (seconds). */
  maxFutureSkewSeconds: 300,
  maxSeq: Number.MAX_SAFE_INTEGER,
} as const;

const Id = Type.String({ pattern: ID_PATTERN, maxLength: 64 });
const Version = Type.Literal(PROTOCOL_VERSION);
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const UnixSeconds = Type.Integer({ minimum: 0, maximum: 0xffffffff });
const closed = { additionalProperties: false } as const;

export const Band = Type.Union([Type.Literal('near'), Type.Literal('mid'), Type.Literal('far')]);
export const BANDS = ['near', 'mid', 'far'] as const;

export const Sighting = Type.Object(
  {
    eid: Type.String({ pattern: '^[0-9a-f]{16}$' }),
    band: Band,
    hits: Type.Integer({ minimum: 1, maximum: LIMITS.maxHitsPerSighting }),
  },
  closed,
);

export const PresenceBatch = Type.Object(
  {
    v: Version,
    gateway: Id,
    seq: Type.Integer({ minimum: 0, maximum: LIMITS.maxSeq }),
    windowStart: UnixSeconds,
    windowSeconds: Type.Integer({ minimum: 1, maximum: LIMITS.maxWindowSeconds }),
    sightings: Type.Array(Sighting, { maxItems: LIMITS.maxSightingsPerBatch }),
    dropped: Count,
  },
  closed,
);

export const AdapterState = Type.Union([
  Type.Literal('poweredOn'),
  Type.Literal('poweredOff'),
  Type.Literal('resetting'),
  Type.Literal('unauthorized'),
  Type.Literal('unsupported'),
  Type.Literal('unknown'),
  Type.Literal('replay'),
]);

export const GatewayStatus = Type.Object(
  {
    v: Version,
    gateway: Id,
    state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    zone: Type.Optional(Id),
    version: Type.Optional(Type.String({ maxLength: 64 })),
    at: Type.Optional(UnixSeconds),
    uptimeSeconds: Type.Optional(Count),
    advertsPerSecond: Type.Optional(Type.Number({ minimum: 0 })),
    optInSightingsPerWindow: Type.Optional(Type.Number({ minimum: 0 })),
    outboxDepth: Type.Optional(Count),
    dropped: Type.Optional(Count),
    adapterState: Type.Optional(AdapterState),
    resets: Type.Optional(Count),
    reconnects: Type.Optional(Count),
    clockOffsetMs: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    rssMb: Type.Optional(Type.Number({ minimum: 0 })),
  },
  closed,
);

export const Command = Type.Object(
  {
    v: Version,
    transaction: Type.String({ minLength: 1, maxLength: 64 }),
    args: Type.Optional(Type.Object({ seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 600 })) }, closed)),
  },
  closed,
);

export const CommandReply = Type.Object(
  {
    v: Version,
    transaction: Type.String({ minLength: 1, maxLength: 64 }),
    ok: Type.Boolean(),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    error: Type.Optional(
      Type.Object({ code: Type.String({ maxLength: 64 }), message: Type.String({ maxLength: 1000 }) }, closed),
    ),
  },
  closed,
);

export const HubClock = Type.Object({ v: Version, hubTimeMs: Type.Integer({ minimum: 0 }) }, closed);

export const SCHEMAS = { PresenceBatch, GatewayStatus, Command, CommandReply, HubClock } as const;
export type SchemaName = keyof typeof SCHEMAS;
export type SchemaType<N extends SchemaName> = Static<(typeof SCHEMAS)[N]>;
export type { TSchema };
