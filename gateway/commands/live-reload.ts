import { isAppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { GatewayConfig } from '../config.schema.ts';
import { applyLiveSettings, changedSettings, splitReload } from '../core/config-reload.ts';

export type ReloadResult =
  { ok: true; data: { applied: string[]; restartRequired: string[] } } | { ok: false; code: string; message: string };

/**
 * The `reload` command: re-reads the config file and applies the settings that may change live
 * (gateway/core/config-reload.ts); the reply lists what was applied and what needs a restart.
 */
export interface LiveReloadDeps {
  /** Re-reads the config file; undefined when the gateway was started without one. */
  read: (() => GatewayConfig) | undefined;
  current: () => GatewayConfig;
  /** Hands the new config (the live settings changed) to the features, before it is logged. */
  apply(next: GatewayConfig, live: readonly string[]): void;
  logger: Logger;
}

export function createLiveReload(deps: LiveReloadDeps): () => ReloadResult {
  return () => {
    if (deps.read === undefined)
      return { ok: false, code: 'CFG_UNREADABLE', message: 'this gateway was started without a config file to reload' };
    let next: GatewayConfig;
    try {
      next = deps.read();
    } catch (error) {
      return { ok: false, code: isAppError(error) ? error.code : 'CFG_INVALID', message: (error as Error).message };
    }
    const current = deps.current();
    const { live, restartRequired } = splitReload(changedSettings(current, next));
    deps.apply(applyLiveSettings(current, next, live), live);
    deps.logger.info({ applied: live, restartRequired }, 'config reloaded');
    return { ok: true, data: { applied: live, restartRequired } };
  };
}
