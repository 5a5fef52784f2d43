import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import type { GatewayStatus } from '../../shared/protocol/messages.ts';
import {
  initialMark,
  onlineStatus,
  type HeartbeatMark,
  type StatusCounters,
  type StatusIdentity,
} from '../core/status-report.ts';
import type { HubConnection } from '../link/mod.ts';

/**
 * The retained status heartbeat (docs/architecture.md, "Wire protocol"; the payload is gateway/core/status-report.ts): every
 * `heartbeatSeconds`, on each connection and when the identify button is pressed. Rates are
 * measured since the previous published heartbeat, so a heartbeat is computed only when it can
 * be sent.
 */
export interface Heartbeat {
  /** The status the next heartbeat would publish (rates since the last one; publishes nothing). */
  current(): GatewayStatus;
  /** Publishes one heartbeat now if the hub is connected. */
  publish(): void;
  /** (Re)starts the timer with the configured period. */
  start(): void;
  stop(): void;
}

export interface HeartbeatDeps {
  identity: StatusIdentity;
  clock: Clock;
  logger: Logger;
  /** The retained status topic. */
  topic: string;
  hub: Pick<HubConnection, 'connected' | 'send'>;
  /** The counters now (sampled for each status). */
  counters: () => StatusCounters;
  intervalSeconds: () => number;
}

export function createHeartbeat(deps: HeartbeatDeps): Heartbeat {
  const { identity, clock, logger: log, hub } = deps;
  let mark: HeartbeatMark = initialMark(clock.now());
  let timer: NodeJS.Timeout | undefined;

  function publish(): void {
    if (!hub.connected) return;
    const next = onlineStatus(identity, deps.counters(), mark, clock.now());
    mark = next.mark;
    hub.send(deps.topic, encodePayload('GatewayStatus', next.status), { qos: 1, retain: true });
    log.debug({ advertsPerSecond: next.status.advertsPerSecond, outboxDepth: next.status.outboxDepth }, 'heartbeat');
  }

  return {
    current: () => onlineStatus(identity, deps.counters(), mark, clock.now()).status,
    publish,
    start() {
      clearInterval(timer);
      timer = setInterval(publish, deps.intervalSeconds() * 1000);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
