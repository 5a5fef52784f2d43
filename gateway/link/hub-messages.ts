import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { decodePayload } from '../../shared/protocol/codec.ts';
import { parseTopic } from '../../shared/protocol/topics.ts';
import type { GatewayCounters } from '../gateway-stats.ts';
import type { GatewayTopics } from './hub-connection.ts';

/** A clock offset beyond this is a fault (logged at warn; the fault LED). */
const LARGE_OFFSET_MS = 30_000;

/**
 * What the hub sends: its clock (the gateway keeps the offset for the heartbeat and the fault
 * LED, logging when it first becomes known and when it crosses 30 s) and commands for this
 * gateway. Anything else, or a payload that fails its schema, is counted, logged and dropped.
 */
export interface HubMessages {
  onMessage(topic: string, payload: Buffer): void;
  /** Hub time minus this gateway's clock, from the last HubClock message; null before the first. */
  clockOffsetMs(): number | null;
}

export interface HubMessagesDeps {
  topics: GatewayTopics;
  store: string;
  gatewayId: string;
  clock: Clock;
  logger: Logger;
  counters: GatewayCounters;
  /** A message on one of this gateway's command topics. */
  command(name: string, payload: Buffer): void;
}

export function createHubMessages(deps: HubMessagesDeps): HubMessages {
  const { clock, logger: log, counters } = deps;
  let clockOffsetMs: number | null = null;

  function onClock(topic: string, payload: Buffer): void {
    const decoded = decodePayload('HubClock', payload);
    if (!decoded.ok) {
      counters.rejectedMessages++;
      log.warn({ code: 'PROTO_BAD_PAYLOAD', topic, problems: decoded.problems.slice(0, 5) }, 'hub clock rejected');
      return;
    }
    const previous = clockOffsetMs;
    const offset = decoded.value.hubTimeMs - clock.now();
    clockOffsetMs = offset;
    const large = Math.abs(offset) > LARGE_OFFSET_MS;
    if (previous === null || large !== Math.abs(previous) > LARGE_OFFSET_MS) {
      (large ? log.warn.bind(log) : log.info.bind(log))(
        { clockOffsetMs: Math.round(offset) },
        large ? 'clock offset large' : 'clock offset',
      );
    }
  }

  return {
    onMessage(topic, payload) {
      if (topic === deps.topics.clock) {
        onClock(topic, payload);
        return;
      }
      const parsed = parseTopic(topic);
      if (parsed?.kind === 'cmd' && parsed.store === deps.store && parsed.gateway === deps.gatewayId) {
        deps.command(parsed.command, payload);
        return;
      }
      counters.rejectedMessages++;
      log.warn({ code: 'PROTO_BAD_TOPIC', topic: topic.slice(0, 200) }, 'unexpected message');
    },
    clockOffsetMs: () => clockOffsetMs,
  };
}
