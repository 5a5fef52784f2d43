/**
 * The gateway's link to the hub (docs/gateway.md): the MQTT connection (TLS, backoff, last
 * will), the delivery that drains the outbox at QoS 1, and what the hub sends back (its clock,
 * commands).
 */
export { readHubSecrets, type HubSecrets } from './hub-secrets.ts';
export {
  createHubConnection,
  gatewayTopics,
  type GatewayTopics,
  type HubConnection,
  type HubConnectionDeps,
} from './hub-connection.ts';
export { createHubMessages, type HubMessages, type HubMessagesDeps } from './hub-messages.ts';
