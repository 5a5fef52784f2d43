import { randomBytes, type KeyObject } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import type { HealthRecord } from '../../shared/health-file.ts';
import { authenticateBundle, unpackFiles, verifyFiles, type AuthenticatedBundle } from './bundle.ts';
import { compareVersions, DEFAULT_LIMITS, isReleaseVersion, type BundleLimits } from './core/manifest.ts';
import { readHealthFile, type ServiceControl } from './service.ts';
import { thisPlatform } from './platform.ts';

/**
 * The device side of an offline update (docs/updates.md#what-the-installer-does). The release
 * root holds
 *
 *   releases/<version>/     one folder per installed release (the current one and the previous)
 *   current -> releases/V   what the service runs; switched by renaming a new link over it
 *   previous -> releases/U  what a rollback returns to
 *   update-history.jsonl    one line per apply or rollback: what, when, the outcome and why
 *
 * A bundle is verified completely (signature, manifest, every file's SHA-256, platform, version)
 * before anything under the root changes; it is unpacked into a staging folder inside releases/
 * and renamed into place; then `current` is switched, the service restarted, and the new release
 * must write its health line within the deadline — else `current` goes back to the old release,
 * the service is restarted on it, and the history says why.
 */

export const ROOT_FILES = {
  releases: 'releases',
  current: 'current',
  previous: 'previous',
  history: 'update-history.jsonl',
  lock: '.update.lock',
} as const;

export interface InstallerOptions {
  root: string;
  service: ServiceControl;
  /** The health file the service writes (HUSHPOINT_HEALTH_FILE in its environment). */
  healthFile: string;
  deadlineMs: number;
  pollMs?: number;
  now?: () => Date;
}

export interface ApplyOptions extends InstallerOptions {
  trustedKey: KeyObject;
  allowDowngrade?: boolean;
  limits?: BundleLimits;
}

export interface HistoryEntry {
  at: string;
  action: 'apply' | 'rollback';
  from: string | null;
  to: string;
  outcome: 'healthy' | 'rolled-back';
  /** Seconds from the switch to the health line (or to giving up). */
  seconds: number;
  reason?: string;
}

export interface ApplyResult {
  version: string;
  previous: string | null;
  files: number;
  /** Seconds from the switch until the new release reported healthy. */
  healthySeconds: number;
  /** Seconds from reading the bundle to the verified release on disk (before the switch). */
  unpackSeconds: number;
  pruned: string[];
}

function clock(options: InstallerOptions): () => Date {
  return options.now ?? (() => new Date());
}

/** The version a link (`current` or `previous`) names, or null when there is no such link. */
export function linkedVersion(root: string, link: 'current' | 'previous'): string | null {
  const path = join(root, link);
  let target: string;
  try {
    if (!lstatSync(path).isSymbolicLink())
      throw new AppError(
        'UPDATE_BAD_BUNDLE',
        `${path} is not a symbolic link; expected the updater's layout (${ROOT_FILES.releases}/<version> and a ${link} link)`,
      );
    target = readlinkSync(path);
  } catch (error) {
    if (error instanceof AppError) throw error;
    return null;
  }
  const match = /^releases\/([^/]+)$/.exec(target);
  if (match === null || !isReleaseVersion(match[1] ?? ''))
    throw new AppError('UPDATE_BAD_BUNDLE', `${path} points to "${target}", expected releases/<version>`);
  return match[1] as string;
}

/** Points `link` at releases/<version> atomically: a new link beside it, renamed over the old one. */
function switchLink(root: string, link: 'current' | 'previous', version: string | null): void {
  const path = join(root, link);
  if (version === null) {
    rmSync(path, { force: true });
    return;
  }
  const temp = join(root, `.${link}.tmp-${randomBytes(4).toString('hex')}`);
  symlinkSync(`${ROOT_FILES.releases}/${version}`, temp);
  renameSync(temp, path);
}

function record(root: string, entry: HistoryEntry): void {
  appendFileSync(join(root, ROOT_FILES.history), `${JSON.stringify(entry)}\n`, { mode: 0o644 });
}

/** Holds the root's lock while `use` runs; a lock left by a process that is gone is taken over. */
async function withLock<T>(root: string, use: () => Promise<T>): Promise<T> {
  const path = join(root, ROOT_FILES.lock);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw busy(path, error);
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isSafeInteger(holder) && holder > 0 && alive(holder)) throw busy(path, error, holder);
      rmSync(path, { force: true });
    }
  }
  try {
    return await use();
  } finally {
    rmSync(path, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function busy(path: string, cause: unknown, pid?: number): AppError {
  return new AppError(
    'UPDATE_BUSY',
    `${path} is held${pid === undefined ? '' : ` by process ${pid}`}: another update or rollback is running here; wait for it to finish`,
    { cause },
  );
}

/** Refuses a bundle built for another platform: its native modules would not load here. */
function checkPlatform(opened: AuthenticatedBundle): void {
  const here = thisPlatform();
  const built = opened.manifest.build;
  const wrong = (['platform', 'arch', 'modules'] as const).filter((k) => built[k] !== here[k]);
  if (wrong.length > 0)
    throw new AppError(
      'UPDATE_INCOMPATIBLE',
      `bundle ${opened.manifest.version} was built for ${built.platform}-${built.arch} Node ABI ${built.modules} (${built.node}), but this device is ${here.platform}-${here.arch} Node ABI ${here.modules} (${here.node}); build the bundle on a machine like this device`,
    );
}

function checkVersion(version: string, current: string | null, allowDowngrade: boolean): void {
  if (current === null) return;
  const order = compareVersions(version, current);
  if (order === 0)
    throw new AppError(
      'UPDATE_DOWNGRADE',
      `bundle ${version} is the release already running here; expected a newer version (nothing to do)`,
    );
  if (order < 0 && !allowDowngrade)
    throw new AppError(
      'UPDATE_DOWNGRADE',
      `bundle ${version} is older than the current release ${current}; expected a newer version, or --allow-downgrade to install it anyway`,
    );
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

export interface HealthOutcome {
  healthy: boolean;
  seconds: number;
  reason: string;
  record: HealthRecord | null;
}

/**
 * Waits until the health file holds a line from `version` written at or after `sinceMs`, the
 * service reports a failure, or the deadline passes.
 */
export async function waitHealthy(version: string, sinceMs: number, options: InstallerOptions): Promise<HealthOutcome> {
  const now = clock(options);
  const deadline = sinceMs + options.deadlineMs;
  const seconds = (): number => (now().getTime() - sinceMs) / 1000;
  for (;;) {
    const health = readHealthFile(options.healthFile);
    if (health !== null && health.version === version && Date.parse(health.at) >= sinceMs)
      return { healthy: true, seconds: seconds(), reason: 'reported healthy', record: health };
    const failure = options.service.failure();
    if (failure !== null) return { healthy: false, seconds: seconds(), reason: failure, record: health };
    if (now().getTime() >= deadline)
      return {
        healthy: false,
        seconds: seconds(),
        reason: `no health line from ${version} within ${options.deadlineMs / 1000} s`,
        record: health,
      };
    await delay(options.pollMs ?? 50);
  }
}

/** Releases other than the ones kept, removed after a successful switch. */
function prune(root: string, keep: ReadonlyArray<string | null>): string[] {
  const dir = join(root, ROOT_FILES.releases);
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (keep.includes(name)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    if (!name.startsWith('.')) removed.push(name);
  }
  return removed;
}

/** Verifies, unpacks and switches to a bundle; rolls back when it does not report healthy. */
export async function applyUpdate(bundleFile: string, options: ApplyOptions): Promise<ApplyResult> {
  const now = clock(options);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const started = now().getTime();
  if (!existsSync(bundleFile) || !statSync(bundleFile).isFile())
    throw new AppError(
      'PROV_NOT_FOUND',
      `the bundle ${bundleFile} does not exist; expected a file made by update-bundle`,
    );
  const size = statSync(bundleFile).size;
  if (size > limits.maxBundleBytes)
    throw new AppError(
      'UPDATE_TOO_LARGE',
      `bundle ${bundleFile} is ${size} bytes, expected at most ${limits.maxBundleBytes}`,
    );
  const opened = authenticateBundle(readFileSync(bundleFile), options.trustedKey, limits);
  checkPlatform(opened);
  await verifyFiles(opened);
  const version = opened.manifest.version;
  const root = resolve(options.root);
  if (existsSync(join(root, 'package.json')) && linkedVersion(root, 'current') === null)
    throw new AppError(
      'UPDATE_INCOMPATIBLE',
      `${root} holds a release installed before the releases/ layout (its package.json is at the top, there is no current link); run install.sh from a new gateway bundle once (it moves it into releases/), then apply updates`,
    );
  try {
    mkdirSync(join(root, ROOT_FILES.releases), { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new AppError(
      'STORE_FAILED',
      `cannot make ${join(root, ROOT_FILES.releases)} (${(error as Error).message}); expected --root to be a writable folder (or none yet)`,
      { cause: error },
    );
  }

  return withLock(root, async () => {
    const current = linkedVersion(root, 'current');
    const previousBefore = linkedVersion(root, 'previous');
    checkVersion(version, current, options.allowDowngrade === true);
    const releases = join(root, ROOT_FILES.releases);
    const staging = join(releases, `.staging-${randomBytes(6).toString('hex')}`);
    const target = join(releases, version);
    try {
      mkdirSync(staging, { mode: 0o755 });
      await unpackFiles(opened, staging);
      if (existsSync(target)) {
        const aside = join(releases, `.replaced-${randomBytes(6).toString('hex')}`);
        renameSync(target, aside);
        rmSync(aside, { recursive: true, force: true });
      }
      renameSync(staging, target);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      if (error instanceof AppError) throw error;
      // A full disk or a read-only root: nothing was switched, the staging folder is gone.
      throw new AppError(
        'STORE_FAILED',
        `could not write release ${version} under ${releases} (${(error as Error).message}); nothing was switched, expected a writable root with room for the release`,
        { cause: error },
      );
    }
    const unpackSeconds = (now().getTime() - started) / 1000;

    if (current !== null) switchLink(root, 'previous', current);
    const switchedMs = now().getTime();
    switchLink(root, 'current', version);
    await options.service.restart();
    const outcome = await waitHealthy(version, switchedMs, options);
    if (outcome.healthy) {
      record(root, {
        at: now().toISOString(),
        action: 'apply',
        from: current,
        to: version,
        outcome: 'healthy',
        seconds: outcome.seconds,
      });
      return {
        version,
        previous: current,
        files: opened.manifest.files.length,
        healthySeconds: outcome.seconds,
        unpackSeconds,
        pruned: prune(root, [version, current]),
      };
    }
    // Roll back: the old release becomes current again, the old previous link comes back.
    switchLink(root, 'current', current);
    switchLink(root, 'previous', current === null ? null : previousBefore);
    let back: string;
    if (current !== null) {
      const backMs = now().getTime();
      await options.service.restart();
      const again = await waitHealthy(current, backMs, options);
      back = again.healthy
        ? `; rolled back to ${current}, which reports healthy again`
        : `; rolled back to ${current}, which did not report healthy either (${again.reason})`;
    } else {
      back = '; there was no earlier release to return to, so nothing is linked as current';
    }
    record(root, {
      at: now().toISOString(),
      action: 'apply',
      from: current,
      to: version,
      outcome: 'rolled-back',
      seconds: outcome.seconds,
      reason: outcome.reason,
    });
    throw new AppError('UPDATE_UNHEALTHY', `release ${version} did not report healthy: ${outcome.reason}${back}`, {
      details: { version, rolledBackTo: current, reason: outcome.reason },
    });
  });
}

export interface RollbackResult {
  from: string;
  to: string;
  healthySeconds: number;
}

/** Switches back to the previous release by hand; if that one does not report healthy, switches forward again. */
export async function rollbackUpdate(options: InstallerOptions): Promise<RollbackResult> {
  const now = clock(options);
  const root = resolve(options.root);
  if (!existsSync(root))
    throw new AppError(
      'UPDATE_NO_PREVIOUS',
      `${root} does not exist; expected a release root made by hushpoint update apply`,
    );
  return withLock(root, async () => {
    const current = linkedVersion(root, 'current');
    const previous = linkedVersion(root, 'previous');
    if (current === null || previous === null || !existsSync(join(root, ROOT_FILES.releases, previous)))
      throw new AppError(
        'UPDATE_NO_PREVIOUS',
        `${root} has ${current === null ? 'no current release' : `current ${current} but no previous release`} to roll back to`,
      );
    const switchedMs = now().getTime();
    switchLink(root, 'current', previous);
    switchLink(root, 'previous', current);
    await options.service.restart();
    const outcome = await waitHealthy(previous, switchedMs, options);
    if (outcome.healthy) {
      record(root, {
        at: now().toISOString(),
        action: 'rollback',
        from: current,
        to: previous,
        outcome: 'healthy',
        seconds: outcome.seconds,
      });
      return { from: current, to: previous, healthySeconds: outcome.seconds };
    }
    switchLink(root, 'current', current);
    switchLink(root, 'previous', previous);
    await options.service.restart();
    record(root, {
      at: now().toISOString(),
      action: 'rollback',
      from: current,
      to: previous,
      outcome: 'rolled-back',
      seconds: outcome.seconds,
      reason: outcome.reason,
    });
    throw new AppError(
      'UPDATE_UNHEALTHY',
      `the previous release ${previous} did not report healthy (${outcome.reason}); switched back to ${current}`,
    );
  });
}

export interface UpdateStatus {
  root: string;
  current: string | null;
  previous: string | null;
  releases: string[];
  health: HealthRecord | null;
  history: HistoryEntry[];
}

export function updateStatus(root: string, healthFile: string, last = 10): UpdateStatus {
  const dir = resolve(root);
  const releasesDir = join(dir, ROOT_FILES.releases);
  const historyFile = join(dir, ROOT_FILES.history);
  const history = existsSync(historyFile)
    ? readFileSync(historyFile, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(-last)
        .map((l) => JSON.parse(l) as HistoryEntry)
    : [];
  return {
    root: dir,
    current: existsSync(dir) ? linkedVersion(dir, 'current') : null,
    previous: existsSync(dir) ? linkedVersion(dir, 'previous') : null,
    releases: existsSync(releasesDir)
      ? readdirSync(releasesDir)
          .filter((n) => !n.startsWith('.'))
          .sort(compareVersionsSafe)
      : [],
    health: readHealthFile(healthFile),
    history,
  };
}

function compareVersionsSafe(a: string, b: string): number {
  return isReleaseVersion(a) && isReleaseVersion(b) ? compareVersions(a, b) : a < b ? -1 : 1;
}
