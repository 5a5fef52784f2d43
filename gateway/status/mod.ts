/** The gateway's status heartbeat (docs/gateway.md): the retained status and its rates. */
export { createHeartbeat, type Heartbeat, type HeartbeatDeps } from './heartbeat.ts';
