import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../shared/errors.ts';
import { openStore } from '../store.ts';
import { packBundle, type PackInput } from './bundle.ts';
import { compileRelease } from './compile-release.ts';
import { isReleaseVersion, type BuildPlatform } from './core/manifest.ts';
import { thisPlatform } from './platform.ts';
import { collectRelease, type CollectedRelease } from './release-files.ts';
import { ensureStoreUpdateKey } from './signing.ts';

/**
 * `hushpoint provision update-bundle`: compiles this checkout (compileRelease), adds the launcher,
 * the lockfile and exactly the production dependencies the lockfile pins (as installed here:
 * native modules are built for this machine's platform, CPU and Node ABI, which the manifest
 * records and the installer checks), and signs the lot with the store's update key.
 */

const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url));
export const RELEASE_ENTRY = 'cli/hushpoint.mjs';

interface LockPackage {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  link?: boolean;
}

/** Build outputs a native module does not load at run time (object files, dependency lists). */
function buildLeftover(path: string, isDir: boolean): boolean {
  const parts = path.split('/');
  const name = parts[parts.length - 1] ?? '';
  if (isDir && (name === 'node_modules' || name === '.bin')) return true;
  const inBuild = parts.includes('build');
  if (isDir && inBuild && (name === 'obj' || name === 'obj.target' || name === '.deps')) return true;
  return !isDir && inBuild && /\.(o|a|d|mk|tlog)$/.test(name);
}

/**
 * The production packages of package-lock.json, copied from the installed node_modules. A
 * package the lockfile pins that is missing (and not optional) or installed at another version
 * stops the build: the bundle must be what the lockfile says.
 */
export function collectDependencies(root: string, into: CollectedRelease): number {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages?: Record<string, LockPackage>;
  };
  let count = 0;
  for (const [key, pkg] of Object.entries(lock.packages ?? {})) {
    if (!key.startsWith('node_modules/') || pkg.dev === true) continue;
    const optional = pkg.optional === true || pkg.devOptional === true;
    const dir = join(root, key);
    if (!existsSync(join(dir, 'package.json'))) {
      if (optional) continue;
      throw new AppError(
        'PROV_NOT_FOUND',
        `${key} (pinned by package-lock.json at ${pkg.version ?? '?'}) is not installed in ${root}; run npm ci first`,
      );
    }
    if (pkg.link === true)
      throw new AppError('UPDATE_BAD_BUNDLE', `${key} is a linked package; expected installed packages only`);
    const installed = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
    if (pkg.version !== undefined && installed !== pkg.version)
      throw new AppError(
        'UPDATE_BAD_BUNDLE',
        `${key} is installed at ${installed ?? '?'} but package-lock.json pins ${pkg.version}; run npm ci first`,
      );
    collectRelease(dir, { prefix: key, skip: buildLeftover }, into);
    count++;
  }
  return count;
}

/** Writes bytes to `path` atomically (temp file, fsync, rename); refuses to replace a file unless `force`. */
export function writeBundleFile(path: string, bytes: Uint8Array, force: boolean): void {
  if (existsSync(path) && !force)
    throw new AppError('PROV_EXISTS', `${path} already exists; use --force to replace it, or choose another --out`);
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(temp, 'wx', 0o644);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

export interface BuildBundleOptions {
  storeDir: string;
  out: string;
  /** Default: package.json's version. */
  version?: string;
  force?: boolean;
  /** The checkout to build (default: this one). */
  root?: string;
  now?: () => Date;
}

export interface BuildBundleResult {
  file: string;
  version: string;
  bytes: number;
  files: number;
  links: number;
  dependencies: number;
  keyId: string;
  publicKeyFile: string;
  /** The store had no update key: one was made, and every device needs its public half. */
  createdKey: boolean;
  build: BuildPlatform;
  seconds: number;
}

export async function buildUpdateBundle(options: BuildBundleOptions): Promise<BuildBundleResult> {
  const started = performance.now();
  const root = resolve(options.root ?? CHECKOUT);
  const store = openStore(options.storeDir);
  const pkgText = readFileSync(join(root, 'package.json'), 'utf8');
  const pkg = JSON.parse(pkgText) as { version?: string };
  const version = options.version ?? pkg.version ?? '';
  if (!isReleaseVersion(version))
    throw new AppError('CLI_USAGE', `--version is "${version}", expected a semantic version like 1.4.0 or 1.4.0-rc.1`);
  const out = resolve(options.out);
  if (existsSync(out) && options.force !== true)
    throw new AppError('PROV_EXISTS', `${out} already exists; use --force to replace it, or choose another --out`);
  const key = ensureStoreUpdateKey(store.dir);

  const staging = join(root, '.bench', `update-bundle-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await compileRelease(root, staging);
    const release = collectRelease(staging, {
      skip: (path) => path === 'tsconfig.json' || path === 'package.json',
    });
    // The running code reports its version from package.json (shared/version.ts): it says the bundle's.
    const shipped = { ...(JSON.parse(pkgText) as Record<string, unknown>), version };
    release.files.push(
      { path: 'package.json', bytes: Buffer.from(`${JSON.stringify(shipped, null, 2)}\n`), executable: false },
      { path: 'package-lock.json', bytes: readFileSync(join(root, 'package-lock.json')), executable: false },
      { path: RELEASE_ENTRY, bytes: readFileSync(join(root, RELEASE_ENTRY)), executable: true },
    );
    if (existsSync(join(root, 'docs'))) collectRelease(join(root, 'docs'), { prefix: 'docs' }, release);
    const dependencies = collectDependencies(root, release);
    const input: PackInput = {
      version,
      created: (options.now ?? (() => new Date()))(),
      build: thisPlatform(),
      entry: RELEASE_ENTRY,
      files: release.files,
      links: release.links,
    };
    const bytes = packBundle(input, key.privateKey);
    writeBundleFile(out, bytes, options.force === true);
    return {
      file: out,
      version,
      bytes: bytes.length,
      files: release.files.length,
      links: release.links.length,
      dependencies,
      keyId: key.keyId,
      publicKeyFile: key.publicKeyFile,
      createdKey: key.created,
      build: input.build,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
