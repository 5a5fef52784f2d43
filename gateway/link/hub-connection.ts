import type { Logger } from '../../shared/ports/logger.ts';
import type { RandomSource } from '../../shared/ports/random.ts';
import { clockTopic, filters, presenceTopic, statusTopic } from '../../shared/protocol/topics.ts';
import type { GatewayConfig } from '../config.schema.ts';
import { HubLink, type HubLinkEvents, type PublishOptions } from '../adapters/hub-link.ts';
import type { SqliteOutbox } from '../adapters/sqlite-outbox.ts';
import { Delivery } from './delivery.ts';
import type { HubSecrets } from './hub-secrets.ts';

/** The topics a gateway publishes and subscribes to (built in shared/protocol/topics.ts). */
export interface GatewayTopics {
  presence: string;
  status: string;
  clock: string;
  commands: string;
}

export function gatewayTopics(store: string, gatewayId: string): GatewayTopics {
  return {
    presence: presenceTopic(store, gatewayId),
    status: statusTopic(store, gatewayId),
    clock: clockTopic(store),
    commands: filters.gatewayCommands(store, gatewayId),
  };
}

/**
 * The MQTT link to the hub and the delivery that drains the outbox over it, built at each start
 * (the credential is read then) and kept after stop for the figures. The last will is the
 * offline status; every connection subscribes to the gateway's commands and the hub's clock.
 */
export interface HubConnection {
  readonly connected: boolean;
  readonly reconnects: number;
  /** Batches the hub acknowledged on the last started link, and those awaiting a PUBACK. */
  readonly acked: number;
  readonly inFlight: number;
  /** Builds the link and the delivery for the outbox just opened. */
  open(config: GatewayConfig, secrets: HubSecrets, outbox: SqliteOutbox): void;
  /** Connects (and reconnects with backoff until stop). */
  start(): void;
  /** Publishes when connected; a failed publish is dropped (the next heartbeat or reply supersedes it). */
  send(topic: string, payload: Buffer, options: PublishOptions): boolean;
  /** Sends what the in-flight bound allows (after a window was stored). */
  kick(): void;
  setMaxInFlight(maxInFlight: number): void;
  /** Publishes `goodbye` (retained) if connected, then disconnects. */
  stop(goodbye: { topic: string; payload: Buffer }): Promise<void>;
}

export interface HubConnectionDeps {
  topics: GatewayTopics;
  gatewayId: string;
  /** The retained last will (the offline status). */
  will: Buffer;
  rng: RandomSource;
  logger: Logger;
  /** After the delivery has restarted on a new connection. */
  connected(): void;
  disconnected(): void;
  message: HubLinkEvents['message'];
}

export function createHubConnection(deps: HubConnectionDeps): HubConnection {
  const { topics, logger: log } = deps;
  let link: HubLink | undefined;
  let delivery: Delivery | undefined;

  function buildLink(config: GatewayConfig, secrets: HubSecrets): HubLink {
    return new HubLink(
      {
        url: config.hub.url,
        gatewayId: deps.gatewayId,
        password: secrets.credential,
        ...(secrets.ca !== undefined ? { ca: secrets.ca } : {}),
        ...(config.hub.serverName !== undefined ? { serverName: config.hub.serverName } : {}),
        keepaliveSeconds: config.hub.keepaliveSeconds,
        backoff: { minMs: config.hub.reconnectMinMs, maxMs: config.hub.reconnectMaxMs },
        will: { topic: topics.status, payload: deps.will },
        subscriptions: [
          { filter: topics.commands, qos: 1 },
          { filter: topics.clock, qos: 0 },
        ],
        rng: deps.rng,
        logger: log.child({ component: 'hub' }),
      },
      {
        connected: () => {
          delivery?.connected();
          deps.connected();
        },
        disconnected: () => {
          delivery?.disconnected();
          deps.disconnected();
        },
        message: deps.message,
      },
    );
  }

  return {
    get connected() {
      return link?.connected ?? false;
    },
    get reconnects() {
      return link?.reconnects ?? 0;
    },
    get acked() {
      return delivery?.acked ?? 0;
    },
    get inFlight() {
      return delivery?.inFlight ?? 0;
    },
    open(config, secrets, outbox) {
      link = buildLink(config, secrets);
      delivery = new Delivery({
        outbox,
        link,
        topic: topics.presence,
        maxInFlight: config.outbox.maxInFlight,
        logger: log.child({ component: 'delivery' }),
      });
    },
    start() {
      link?.start();
    },
    send(topic, payload, options) {
      if (link === undefined || !link.connected) return false;
      link.publish(topic, payload, options).catch(() => undefined);
      return true;
    },
    kick() {
      delivery?.kick();
    },
    setMaxInFlight(maxInFlight) {
      delivery?.setMaxInFlight(maxInFlight);
    },
    async stop(goodbye) {
      await link?.stop(goodbye);
    },
  };
}
