import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '../shared/protocol/topics.ts';
import type { RoleSchema } from '../shared/config/load-config.ts';
import type { Problem } from '../shared/validation.ts';
import { MAX_CLOCK_SKEW_SECONDS } from '../shared/upstream/signing.ts';
import { MAX_RELEASE_BYTES } from '../shared/upstream/release-payload.ts';

/**
 * hq.yaml — the chain's receiver of DP releases (`hushpoint hq`; `role: collector` is the
 * older spelling of the role and is still accepted).
 *
 *   role: hq
 *   database: hq.db
 *   listen: { host: 0.0.0.0, port: 8443, certFile: collector-cert.pem, keyFile: collector-key.pem }
 *   stores:
 *     - { id: store-1, signingKeyFile: keys/store-1.key }
 */
const closed = { additionalProperties: false } as const;
const FilePath = Type.String({ minLength: 1 });

export const HqConfigSchema = Type.Object(
  {
    role: Type.Union([Type.Literal('hq'), Type.Literal('collector')]),
    database: Type.String({ minLength: 1, default: 'hq.db' }),
    listen: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8443 }),
        /** TLS certificate and key (PEM). Without them HQ speaks plain HTTP on 127.0.0.1 only. */
        certFile: Type.Optional(FilePath),
        keyFile: Type.Optional(FilePath),
      },
      { ...closed, default: {} },
    ),
    /** The stores allowed to send, each with the key file provisioning wrote for it (64 hex digits). */
    stores: Type.Array(
      Type.Object({ id: Type.String({ pattern: ID_PATTERN, maxLength: 64 }), signingKeyFile: FilePath }, closed),
      { minItems: 1, maxItems: 10_000 },
    ),
    /** Requests whose timestamp is further than this from HQ's clock are refused. */
    maxClockSkewSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: MAX_CLOCK_SKEW_SECONDS }),
    maxBodyBytes: Type.Integer({ minimum: 1024, maximum: MAX_RELEASE_BYTES, default: MAX_RELEASE_BYTES }),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info' },
        ),
      },
      { ...closed, default: {} },
    ),
  },
  closed,
);

export type HqConfig = Static<typeof HqConfigSchema>;

function semanticCheck(config: HqConfig): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  config.stores.forEach((store, i) => {
    if (seen.has(store.id))
      problems.push({ path: `/stores/${i}/id`, message: `is "${store.id}" again, expected each store once` });
    seen.add(store.id);
  });
  if ((config.listen.certFile === undefined) !== (config.listen.keyFile === undefined)) {
    problems.push({
      path: config.listen.certFile === undefined ? '/listen/certFile' : '/listen/keyFile',
      message: 'is required together with the other of listen.certFile / listen.keyFile',
    });
  }
  return problems;
}

export const hqRole: RoleSchema<HqConfig> = {
  role: 'hq',
  schema: HqConfigSchema,
  semanticCheck,
};
