import { isAppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { encodePayload } from '../../shared/protocol/codec.ts';
import type { CommandReply } from '../../shared/protocol/messages.ts';
import { replyTopic } from '../../shared/protocol/topics.ts';
import { parseCommand, replyError, replyOk } from '../core/commands.ts';
import type { GatewayCounters } from '../gateway-stats.ts';
import type { HubConnection } from '../link/mod.ts';
import type { BleSource } from '../ports.ts';
import type { ReloadResult } from './live-reload.ts';

/**
 * The hub's commands (parsed in gateway/core/commands.ts): identify, rescan, status, reload.
 * Each is answered on its reply topic with the transaction id; a command that fails to parse is
 * answered when its transaction id could be read, and always counted and logged.
 */
export interface CommandHandlerDeps {
  store: string;
  gatewayId: string;
  ble: BleSource;
  clock: Clock;
  logger: Logger;
  counters: GatewayCounters;
  hub: Pick<HubConnection, 'send'>;
  /** All four LEDs blink until `untilMs`. */
  identify(untilMs: number): void;
  /** The `status` reply: the current status payload and the active faults. */
  status(): Record<string, unknown>;
  reload(): ReloadResult;
}

export function createCommandHandler(deps: CommandHandlerDeps): (name: string, payload: Buffer) => Promise<void> {
  const { ble, clock, logger: log, counters } = deps;

  function reply(name: string, payload: CommandReply): void {
    deps.hub.send(replyTopic(deps.store, deps.gatewayId, name), encodePayload('CommandReply', payload), { qos: 1 });
  }

  async function rescan(transaction: string): Promise<CommandReply> {
    try {
      await ble.restartScan();
      counters.scanRestarts++;
      return replyOk(transaction, { adapterState: ble.adapterState(), scanning: ble.scanning() });
    } catch (error) {
      return replyError(
        transaction,
        isAppError(error) ? error.code : 'BLE_ADAPTER_UNAVAILABLE',
        (error as Error).message,
      );
    }
  }

  return async (name, payload) => {
    const parsed = parseCommand(name, payload);
    if (!parsed.ok) {
      counters.rejectedMessages++;
      log.warn(
        { code: parsed.code, command: name.slice(0, 64), answered: parsed.transaction !== null },
        'command rejected',
      );
      if (parsed.transaction !== null) reply(name, replyError(parsed.transaction, parsed.code, parsed.message));
      return;
    }
    counters.commands++;
    log.info({ command: parsed.name, transaction: parsed.transaction }, 'command received');
    switch (parsed.name) {
      case 'identify':
        deps.identify(clock.now() + parsed.seconds * 1000);
        reply(parsed.name, replyOk(parsed.transaction, { seconds: parsed.seconds }));
        return;
      case 'rescan':
        reply(parsed.name, await rescan(parsed.transaction));
        return;
      case 'status':
        reply(parsed.name, replyOk(parsed.transaction, deps.status()));
        return;
      case 'reload': {
        const result = deps.reload();
        reply(
          parsed.name,
          result.ok
            ? replyOk(parsed.transaction, result.data)
            : replyError(parsed.transaction, result.code, result.message),
        );
        return;
      }
    }
  };
}
