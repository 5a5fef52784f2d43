import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '../shared/protocol/topics.ts';
import type { RoleSchema } from '../shared/config/load-config.ts';
import type { Problem } from '../shared/validation.ts';

/** hub.yaml — one per store. Defaults live here, in the schema. */
const Id = Type.String({ pattern: ID_PATTERN, maxLength: 64 });
const closed = { additionalProperties: false } as const;
const Port = Type.Integer({ minimum: 0, maximum: 65535 });

export const HubConfigSchema = Type.Object(
  {
    role: Type.Literal('hub'),
    store: Id,
    database: Type.String({ minLength: 1, default: 'hub.db' }),
    broker: Type.Object(
      {
        tls: Type.Optional(Type.Object(
          {
            host: Type.String({ default: '0.0.0.0' }),
            port: Type.Integer({ minimum: 0, maximum: 65535, default: 8883 }),
            certFile: Type.String({ minLength: 1 }),
            keyFile: Type.String({ minLength: 1 }),
          },
          closed,
        )),
        /** A plain-TCP listener, bound to loopback only; off unless enabled (development and local tools). */
        plain: Type.Object({ enabled: Type.Boolean({ default: false }), port: Type.Integer({ minimum: 0, maximum: 65535, default: 1883 }) }, { ...closed, default: {} }),
        maxPacketBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 ** 2, default: 1024 ** 2 }),
        maxClients: Type.Integer({ minimum: 1, maximum: 100_000, default: 500 }),
        publishRatePerSecond: Type.Number({ exclusiveMinimum: 0, maximum: 100_000, default: 100 }),
      },
      { ...closed, default: {} },
    ),
    api: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0' }),
        port: Port,
        /** TLS for the shopper API and the technician page; the broker's certificate when omitted. */
        certFile: Type.Optional(Type.String({ minLength: 1 })),
        keyFile: Type.Optional(Type.String({ minLength: 1 })),
        technicianTokenFile: Type.Optional(Type.String({ minLength: 1 })),
        adminTokenFile: Type.Optional(Type.String({ minLength: 1 })),
      },
      { ...closed, default: { port: 8443 } },
    ),
    eid: Type.Object({ defaultExponent: Type.Integer({ minimum: 0, maximum: 15, default: 9 }) }, { ...closed, default: {} }),
    presence: Type.Object(
      {
        visitGapSeconds: Type.Integer({ minimum: 10, maximum: 86_400, default: 300 }),
        /** Windows a new zone must win in a row before a shopper's zone changes. */
        hysteresisWindows: Type.Integer({ minimum: 1, maximum: 60, default: 2 }),
      },
      { ...closed, default: {} },
    ),
    retention: Type.Object(
      {
        sightingsHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 365, default: 24 }),
        visitsDays: Type.Number({ exclusiveMinimum: 0, maximum: 3650, default: 30 }),
        cron: Type.String({ default: '17 * * * *' }),
      },
      { ...closed, default: {} },
    ),
    log: Type.Object({ level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }) }, { ...closed, default: {} }),
  },
  closed,
);

export type HubConfig = Static<typeof HubConfigSchema>;

function semanticCheck(config: HubConfig): Problem[] {
  const problems: Problem[] = [];
  if (config.broker.tls === undefined && !config.broker.plain.enabled) {
    problems.push({ path: '/broker', message: 'has no listener: configure broker.tls or enable broker.plain (loopback only)' });
  }
  return problems;
}

export const hubRole: RoleSchema<HubConfig> = { role: 'hub', schema: HubConfigSchema, semanticCheck };
