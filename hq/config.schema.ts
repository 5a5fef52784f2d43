import { validate as validateCron } from 'node-cron';
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '../shared/protocol/topics.ts';
import type { RoleSchema } from '../shared/config/load-config.ts';
import type { Problem } from '../shared/validation.ts';
import { MAX_CLOCK_SKEW_SECONDS } from '../shared/upstream/signing.ts';
import { MAX_RELEASE_V2_BYTES } from '../shared/upstream/release-payload-v2.ts';

/**
 * hq.yaml — HQ, the chain's receiver of DP releases (`hushpoint hq`; `role: collector` is the
 * older spelling and still accepted). docs/hq.md explains every field.
 *
 *   role: hq
 *   database: hq.db                       # SQLite, used when `postgres` is absent
 *   postgres: { urlFile: postgres.url }   # PostgreSQL (a chain): the URL, with its password, in a file
 *   listen: { host: 0.0.0.0, port: 8443, certFile: hq-cert.pem, keyFile: hq-key.pem }
 *   api: { tokenFile: analyst.token }     # optional: analysts sign in with this bearer token
 *   mqtt:                                 # optional: consume releases from the chain's broker
 *     url: mqtts://broker.chain.example:8883
 *     caFile: broker-ca.pem
 *     username: hq.consumer
 *     passwordFile: hq-consumer.password
 *     consumerId: hq-1                    # stable: its broker sessions survive restarts
 *   stores:
 *     - { id: store-001, group: north, signingKeyFile: keys/store-001.key }
 */
const closed = { additionalProperties: false } as const;
const FilePath = Type.String({ minLength: 1 });
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const HqConfigSchema = Type.Object(
  {
    role: Type.Union([Type.Literal('hq'), Type.Literal('collector')]),
    database: Type.String({ minLength: 1, default: 'hq.db' }),
    /** A cap on the SQLite file (MiB): past it HQ refuses new releases (unacknowledged, retried) instead of filling the disk. */
    databaseMaxMb: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 * 1024 * 1024 })),
    postgres: Type.Optional(
      Type.Object(
        {
          /** A file holding the PostgreSQL URL (postgres://user:password@host:5432/db). */
          urlFile: FilePath,
          poolSize: Type.Integer({ minimum: 1, maximum: 100, default: 8 }),
        },
        closed,
      ),
    ),
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
    api: Type.Object(
      {
        /** A file holding the analysts' bearer token; without it the read API is open (loopback or TLS). */
        tokenFile: Type.Optional(FilePath),
      },
      { ...closed, default: {} },
    ),
    mqtt: Type.Optional(
      Type.Object(
        {
          url: Type.String({ pattern: '^mqtts?://' }),
          /** The broker's CA certificate (PEM), required with mqtts://. */
          caFile: Type.Optional(FilePath),
          username: Type.String({ minLength: 1, default: 'hq.consumer' }),
          passwordFile: Type.Optional(FilePath),
          /** The MQTT 5 shared-subscription group: every HQ consumer of the chain uses the same. */
          group: Type.String({ pattern: ID_PATTERN, default: 'hq' }),
          /** Stable per consumer process: its broker sessions (and what they hold) survive a restart. */
          consumerId: Type.String({ pattern: ID_PATTERN, default: 'hq-1' }),
          /** MQTT connections of this consumer (each takes one release at a time). */
          connections: Type.Integer({ minimum: 1, maximum: 256, default: 64 }),
          /** How long the broker keeps a consumer's session while it is away. */
          sessionExpirySeconds: Type.Integer({ minimum: 60, maximum: 30 * 86_400, default: 7 * 86_400 }),
          /** A batch is written when it has this many releases or is this old. */
          batchMaxReleases: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
          batchMaxWaitMs: Type.Integer({ minimum: 0, maximum: 5000, default: 0 }),
        },
        closed,
      ),
    ),
    /** The stores allowed to send; a store sending over HTTPS needs its key file (64 hex digits). */
    stores: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: ID_PATTERN, maxLength: 64 }),
          /** Store group for the dashboard's filters (region, format, ...). */
          group: Type.Optional(Type.String({ pattern: ID_PATTERN })),
          signingKeyFile: Type.Optional(FilePath),
        },
        closed,
      ),
      { minItems: 1, maxItems: 10_000 },
    ),
    /**
     * The recommender's models (docs/hq.md#models): the pooling job signs each with HQ's Ed25519
     * key (`hushpoint recommend keygen`; the hubs hold its public half) and writes it to `dir` as
     * the next version; served at GET /v1/models/latest. `schedule` (node-cron, UTC) runs the job;
     * without it only `hushpoint hq pool-models` does.
     */
    models: Type.Optional(
      Type.Object(
        {
          dir: Type.String({ minLength: 1, default: 'models' }),
          signingKeyFile: FilePath,
          schedule: Type.Optional(Type.String({ minLength: 1 })),
        },
        closed,
      ),
    ),
    /** Requests whose timestamp is further than this from HQ's clock are refused. */
    maxClockSkewSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: MAX_CLOCK_SKEW_SECONDS }),
    maxBodyBytes: Type.Integer({ minimum: 1024, maximum: MAX_RELEASE_V2_BYTES, default: MAX_RELEASE_V2_BYTES }),
    log: Type.Object(
      {
        level: Type.Union(
          LOG_LEVELS.map((l) => Type.Literal(l)),
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
  if (config.mqtt !== undefined && config.mqtt.url.startsWith('mqtts://') && config.mqtt.caFile === undefined) {
    problems.push({ path: '/mqtt/caFile', message: "is required with an mqtts:// URL (the broker's CA certificate)" });
  }
  if (
    config.mqtt !== undefined &&
    !config.mqtt.url.startsWith('mqtts://') &&
    !/^mqtt:\/\/(127\.|localhost[:/]|\[::1\])/.test(config.mqtt.url)
  ) {
    problems.push({
      path: '/mqtt/url',
      message: `is "${config.mqtt.url}", expected mqtts:// (plain MQTT only to a loopback broker)`,
    });
  }
  if (config.models?.schedule !== undefined && !validateCron(config.models.schedule)) {
    problems.push({
      path: '/models/schedule',
      message: `is "${config.models.schedule}", expected a cron expression such as "30 3 * * *"`,
    });
  }
  if (config.mqtt === undefined) {
    config.stores.forEach((store, i) => {
      if (store.signingKeyFile === undefined)
        problems.push({
          path: `/stores/${i}/signingKeyFile`,
          message: 'is required without an mqtt section (the store can send only over HTTPS)',
        });
    });
  }
  return problems;
}

export const hqRole: RoleSchema<HqConfig> = {
  role: 'hq',
  schema: HqConfigSchema,
  semanticCheck,
};
