/**
 * Provisioning's public API (for the `hushpoint provision` command, the demo and tests):
 * create a store folder, add, revoke, rotate and list gateways; and `hushpoint doctor`.
 */
export {
  initStore,
  openStore,
  addGatewayToStore,
  revokeGatewayInStore,
  rotateGatewayInStore,
  listStoreGateways,
  type InitStoreOptions,
  type InitStoreResult,
  type AddGatewayOptions,
  type AddGatewayResult,
  type RevokeGatewayResult,
  type RotateGatewayResult,
  type ListedGateway,
  type OpenedStore,
  type ProvisionDeps,
  type FileSummary,
} from './store.ts';
export { STORE_FILES } from './core/hub-config.ts';
export { BUNDLE_FILES, PI_PATHS } from './core/gateway-config.ts';
export {
  buildUpdateBundle,
  collectDependencies,
  RELEASE_ENTRY,
  type BuildBundleOptions,
  type BuildBundleResult,
} from './update/build.ts';
