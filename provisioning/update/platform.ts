import type { BuildPlatform } from './core/manifest.ts';

/** This machine as a bundle's build platform: the installer refuses a bundle built for another. */
export function thisPlatform(): BuildPlatform {
  return {
    node: process.version,
    modules: process.versions.modules,
    platform: process.platform,
    arch: process.arch,
  };
}
