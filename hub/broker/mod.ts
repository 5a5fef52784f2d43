/**
 * The broker feature (docs/architecture.md#wire-protocol, docs/hub.md): the embedded aedes broker and its policy (scrypt
 * credentials, the topic ACL, rate and client limits), the gateway registry, commands to
 * gateways and their replies, and the admin route that lists the gateways.
 */
export { createBrokerService, type BrokerService, type BrokerServiceDeps } from './broker-service.ts';
export { startBroker, type RunningBroker, type Session } from './aedes-broker.ts';
export { createBrokerPolicy, type GatewayMessageSink } from './broker-policy.ts';
export { createGatewayCommands, type GatewayCommands } from './gateway-commands.ts';
export { createGatewayAdmin, type GatewayAdmin } from './gateway-admin.ts';
export { registerGatewayRoutes } from './gateway-routes.ts';
export {
  addGateway,
  credentialOf,
  gatewaysOnline,
  getGateway,
  listGateways,
  recordGatewayStatus,
  revokeGateway,
  rotateGatewayCredential,
  setGatewayZone,
  type GatewayRecord,
  type GatewayState,
} from './gateway-registry.ts';
export { hashCredential, newCredential, verifyCredential } from './credential-hash.ts';
