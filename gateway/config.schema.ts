import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '../shared/protocol/topics.ts';
import type { RoleSchema } from '../shared/config/load-config.ts';
import type { Problem } from '../shared/validation.ts';

/** gateway.yaml — one per beacon Pi. Defaults live here, in the schema. */
const Id = Type.String({ pattern: ID_PATTERN, maxLength: 64 });
const closed = { additionalProperties: false } as const;

export const GatewayConfigSchema = Type.Object(
  {
    role: Type.Literal('gateway'),
    store: Id,
    gateway: Id,
    zone: Id,
    hub: Type.Object(
      {
        /** mqtts://host:8883 in a store; mqtt:// only for loopback development. */
        url: Type.String({ pattern: '^mqtts?://[^\\s]+$' }),
        /** The store CA certificate (PEM), for verifying the hub's TLS certificate. */
        caFile: Type.Optional(Type.String({ minLength: 1 })),
        /** A file holding this gateway's MQTT credential (the password; the username is the gateway id). */
        credentialFile: Type.String({ minLength: 1 }),
        /** Expected TLS server name if it differs from the URL's host. */
        serverName: Type.Optional(Type.String({ minLength: 1 })),
        keepaliveSeconds: Type.Integer({ minimum: 5, maximum: 600, default: 30 }),
        reconnectMinMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 1000 }),
        reconnectMaxMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 60_000 }),
      },
      closed,
    ),
    ble: Type.Object(
      {
        /** "noble" for the real adapter, or "replay:FILE" to replay a recorded or simulated trace. */
        source: Type.String({ pattern: '^(noble|replay:.+)$', default: 'noble' }),
        adapterIndex: Type.Integer({ minimum: 0, maximum: 15, default: 0 }),
        /** Replay speed: 1 = real time, 0 = as fast as possible. */
        replaySpeed: Type.Number({ minimum: 0, maximum: 10_000, default: 1 }),
        /** Restart scanning when no advert arrives for this long; escalate to an adapter reset after `resetAfterRestarts`. */
        watchdogSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 30 }),
        resetAfterRestarts: Type.Integer({ minimum: 1, maximum: 10, default: 2 }),
      },
      { ...closed, default: {} },
    ),
    window: Type.Object(
      {
        seconds: Type.Integer({ minimum: 1, maximum: 3600, default: 10 }),
        minHits: Type.Integer({ minimum: 1, maximum: 1000, default: 1 }),
        maxHits: Type.Integer({ minimum: 1, maximum: 65535, default: 255 }),
        maxEids: Type.Integer({ minimum: 1, maximum: 5000, default: 5000 }),
        /** Median RSSI ≥ nearDbm → near; ≥ midDbm → mid; else far. */
        nearDbm: Type.Integer({ minimum: -127, maximum: 20, default: -65 }),
        midDbm: Type.Integer({ minimum: -127, maximum: 20, default: -80 }),
      },
      { ...closed, default: {} },
    ),
    /**
     * The last `hushpoint calibrate` of this gateway's receiver (docs/field-guide.md): written
     * with the band thresholds above, read by `hushpoint doctor`. Informational for the gateway.
     */
    calibration: Type.Optional(
      Type.Object(
        {
          /** When it was measured (ISO 8601). */
          at: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' }),
          /** Measured minus expected RSSI of the reference, in dB; the thresholds moved by this much. */
          offsetDb: Type.Integer({ minimum: -60, maximum: 60 }),
          /** The thresholds before any calibration offset (what the offset was added to). */
          baseNearDbm: Type.Integer({ minimum: -127, maximum: 20 }),
          baseMidDbm: Type.Integer({ minimum: -127, maximum: 20 }),
          medianRssi: Type.Number({ minimum: -127, maximum: 20 }),
          samples: Type.Integer({ minimum: 1 }),
          distanceM: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
        },
        closed,
      ),
    ),
    outbox: Type.Object(
      {
        path: Type.String({ minLength: 1, default: 'outbox.db' }),
        maxAgeHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 90, default: 72 }),
        maxBytes: Type.Integer({ minimum: 65_536, maximum: 8 * 1024 ** 3, default: 100 * 1024 ** 2 }),
        maxInFlight: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
      },
      { ...closed, default: {} },
    ),
    heartbeatSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 30 }),
    leds: Type.Object(
      {
        /**
         * auto = the Pi IO plugin on a Raspberry Pi, the no-hardware IO elsewhere; none = always the
         * no-hardware IO (LED logic runs, nothing is driven). `fake` is the older spelling of `none`.
         */
        io: Type.Union([Type.Literal('auto'), Type.Literal('raspi'), Type.Literal('none'), Type.Literal('fake')], {
          default: 'auto',
        }),
        scanning: Type.String({ default: 'GPIO17' }),
        hubLink: Type.String({ default: 'GPIO27' }),
        buffering: Type.String({ default: 'GPIO22' }),
        fault: Type.String({ default: 'GPIO23' }),
        button: Type.String({ default: 'GPIO24' }),
      },
      { ...closed, default: {} },
    ),
    /** Prometheus figures on a local port (docs/field-guide.md#metrics); off by default. */
    metrics: Type.Object(
      {
        enabled: Type.Boolean({ default: false }),
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 9464 }),
      },
      { ...closed, default: {} },
    ),
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

export type GatewayConfig = Static<typeof GatewayConfigSchema>;

function semanticCheck(config: GatewayConfig): Problem[] {
  const problems: Problem[] = [];
  if (config.window.midDbm > config.window.nearDbm) {
    problems.push({
      path: '/window/midDbm',
      message: `is ${config.window.midDbm}, expected at most nearDbm (${config.window.nearDbm})`,
    });
  }
  if (config.window.minHits > config.window.maxHits) {
    problems.push({
      path: '/window/minHits',
      message: `is ${config.window.minHits}, expected at most maxHits (${config.window.maxHits})`,
    });
  }
  if (config.hub.reconnectMinMs > config.hub.reconnectMaxMs) {
    problems.push({
      path: '/hub/reconnectMinMs',
      message: `is ${config.hub.reconnectMinMs}, expected at most reconnectMaxMs (${config.hub.reconnectMaxMs})`,
    });
  }
  if (config.hub.url.startsWith('mqtts://') && config.hub.caFile === undefined) {
    problems.push({ path: '/hub/caFile', message: 'is required with an mqtts:// hub URL (the store CA certificate)' });
  }
  return problems;
}

export const gatewayRole: RoleSchema<GatewayConfig> = { role: 'gateway', schema: GatewayConfigSchema, semanticCheck };
