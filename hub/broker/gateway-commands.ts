import { AppError } from '../../shared/errors.ts';
import { randomHex, type RandomSource } from '../../shared/ports/random.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import { commandTopic, type CommandName } from '../../shared/protocol/topics.ts';
import type { CommandReply, GatewayCommand } from '../../shared/protocol/messages.ts';
import type { RunningBroker } from './aedes-broker.ts';

/**
 * Commands to gateways (identify, rescan, status, reload) and their replies: a command carries a
 * random transaction id; the reply the ingest committed resolves the waiting promise, or the
 * wait fails after `timeoutMs`.
 */
export interface GatewayCommands {
  send(
    gateway: string,
    name: CommandName,
    args?: GatewayCommand['args'],
    options?: { timeoutMs?: number },
  ): Promise<CommandReply>;
  /** A reply was committed: resolves its command's promise (unknown transactions are ignored). */
  replied(reply: CommandReply): void;
  /** Fails every waiting command (the hub is stopping). */
  cancelAll(reason: string): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export function createGatewayCommands(deps: {
  store: string;
  random: RandomSource;
  broker: () => RunningBroker | null;
}): GatewayCommands {
  const pending = new Map<
    string,
    { resolve: (reply: CommandReply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();
  return {
    send(gateway, name, args, options = {}) {
      const broker = deps.broker();
      if (broker === null) return Promise.reject(new AppError('MQTT_UNREACHABLE', 'the hub is not running'));
      const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const transaction = randomHex(deps.random, 8);
      const command: GatewayCommand = { v: 1, transaction, ...(args !== undefined ? { args } : {}) };
      return new Promise<CommandReply>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(transaction);
          reject(
            new AppError('MQTT_UNREACHABLE', `gateway "${gateway}" did not reply to "${name}" within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        pending.set(transaction, { resolve, reject, timer });
        broker
          .publish(commandTopic(deps.store, gateway, name), encodePayload('Command', command), { qos: 1 })
          .catch((error: unknown) => {
            clearTimeout(timer);
            pending.delete(transaction);
            reject(error as Error);
          });
      });
    },
    replied(reply) {
      const waiter = pending.get(reply.transaction);
      if (waiter === undefined) return;
      pending.delete(reply.transaction);
      clearTimeout(waiter.timer);
      waiter.resolve(reply);
    },
    cancelAll(reason) {
      for (const [id, waiter] of pending) {
        clearTimeout(waiter.timer);
        waiter.reject(new AppError('MQTT_UNREACHABLE', reason));
        pending.delete(id);
      }
    },
  };
}
