/** The gateway's commands from the hub (docs/gateway.md): identify, rescan, status, reload. */
export { createCommandHandler, type CommandHandlerDeps } from './command-handler.ts';
export { createLiveReload, type LiveReloadDeps, type ReloadResult } from './live-reload.ts';
