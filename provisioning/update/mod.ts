/**
 * Signed offline updates (docs/updates.md): `hushpoint provision update-bundle` packs and signs a
 * release on the technician's machine (build.ts — it compiles the checkout, so it loads the
 * store code); `hushpoint update apply|status|rollback` verifies and installs one on a device
 * (installer.ts — it loads neither the hub nor the compiler).
 */
export { compileRelease, RELEASE_ASSETS } from './compile-release.ts';
export {
  openBundle,
  packBundle,
  repackPayload,
  type OpenedBundle,
  type PackInput,
  type ReleaseFile,
} from './bundle.ts';
export {
  DEFAULT_LIMITS,
  compareVersions,
  parseManifest,
  type BundleLimits,
  type ReleaseManifest,
  type BuildPlatform,
} from './core/manifest.ts';
export { decodeFrame, MAGIC } from './core/framing.ts';
export {
  applyUpdate,
  rollbackUpdate,
  updateStatus,
  waitHealthy,
  linkedVersion,
  ROOT_FILES,
  type ApplyOptions,
  type ApplyResult,
  type HistoryEntry,
  type InstallerOptions,
  type RollbackResult,
  type UpdateStatus,
} from './installer.ts';
export { readHealthFile, systemdService, type ServiceControl } from './service.ts';
export {
  DEVICE_UPDATE_KEY,
  UPDATE_KEY_FILES,
  ensureStoreUpdateKey,
  keyIdOf,
  loadPrivateKey,
  loadPublicKey,
} from './signing.ts';
export { collectRelease, type CollectedRelease } from './release-files.ts';
export { thisPlatform } from './platform.ts';
