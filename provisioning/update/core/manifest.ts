import { AppError } from '../../../shared/errors.ts';

/**
 * The manifest of a release bundle (docs/updates.md#the-bundle): what the signature covers. It
 * names the release version, when and with which Node it was built, the SHA-256 of the lockfile
 * its dependencies were pinned by, and every file (size, SHA-256, executable bit) and symbolic
 * link of the release folder. Parsing is strict: an unknown field, a path that could leave the
 * release folder or a size past a limit is an error with its own code, never ignored.
 */

export const MANIFEST_FORMAT = 'hushpoint-release';

export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly executable: boolean;
}

export interface ManifestLink {
  readonly path: string;
  /** Relative to the link's own folder; must resolve inside the release folder. */
  readonly target: string;
}

export interface BuildPlatform {
  /** process.version of the machine that built the bundle, e.g. "v20.20.0". */
  readonly node: string;
  /** process.versions.modules: the ABI of the native modules in node_modules. */
  readonly modules: string;
  readonly platform: string;
  readonly arch: string;
}

export interface ReleaseManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly v: 1;
  readonly version: string;
  /** ISO 8601 UTC. */
  readonly created: string;
  readonly build: BuildPlatform;
  /** SHA-256 (hex) of package-lock.json, which is also one of the files. */
  readonly lockfileSha256: string;
  /** The program the service runs, relative to the release folder. */
  readonly entry: string;
  readonly files: readonly ManifestFile[];
  readonly links: readonly ManifestLink[];
}

export interface BundleLimits {
  /** The bundle file as a whole. */
  readonly maxBundleBytes: number;
  /** The signed envelope (manifest and signature). */
  readonly maxEnvelopeBytes: number;
  readonly maxEntries: number;
  readonly maxFileBytes: number;
  /** All files together, unpacked. */
  readonly maxTotalBytes: number;
}

export const DEFAULT_LIMITS: BundleLimits = {
  maxBundleBytes: 512 * 2 ** 20,
  maxEnvelopeBytes: 16 * 2 ** 20,
  maxEntries: 100_000,
  maxFileBytes: 256 * 2 ** 20,
  maxTotalBytes: 1024 * 2 ** 20,
};

const MAX_PATH = 1024;
const MAX_SEGMENT = 255;
const HEX64 = /^[0-9a-f]{64}$/;
/** Semantic versioning 2.0 without build metadata: the version also names a folder. */
const SEMVER =
  /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:-((?:0|[1-9]\d{0,8}|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d{0,8}|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function bad(path: string, message: string): AppError {
  return new AppError('UPDATE_BAD_BUNDLE', `manifest ${path === '' ? '' : `${path} `}${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Refuses any key outside `allowed` and any missing one: typos and additions are errors. */
function exactKeys(value: unknown, where: string, allowed: readonly string[]): Record<string, unknown> {
  if (!isRecord(value)) throw bad(where, `is ${describe(value)}, expected an object`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw bad(where, `has the unknown field ${JSON.stringify(key)}, expected only: ${allowed.join(', ')}`);
  }
  for (const key of allowed) {
    if (!Object.hasOwn(value, key)) throw bad(`${where}/${key}`, 'is required');
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function str(value: unknown, where: string, pattern?: RegExp, expected?: string): string {
  if (typeof value !== 'string') throw bad(where, `is ${describe(value)}, expected a string`);
  if (pattern !== undefined && !pattern.test(value)) throw bad(where, `is ${describe(value)}, expected ${expected}`);
  return value;
}

/**
 * A release-relative path: POSIX separators, no empty, "." or ".." segment, no leading "/",
 * no backslash or control character. Anything else could name a file outside the release.
 */
export function checkRelativePath(path: unknown, where: string): string {
  const text = str(path, where);
  const unsafe = (why: string): AppError =>
    new AppError(
      'UPDATE_UNSAFE_PATH',
      `manifest ${where} ${JSON.stringify(text.slice(0, 80))} ${why}, expected a relative path inside the release folder`,
    );
  if (text.length === 0 || text.length > MAX_PATH) throw unsafe(`is ${text.length} characters long (1..${MAX_PATH})`);
  if (text.startsWith('/')) throw unsafe('is absolute');
  if (text.includes('\\')) throw unsafe('contains a backslash');
  if (CONTROL.test(text)) throw unsafe('contains a control character');
  for (const segment of text.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') throw unsafe(`has a "${segment}" segment`);
    if (segment.length > MAX_SEGMENT) throw unsafe(`has a segment over ${MAX_SEGMENT} characters`);
  }
  return text;
}

/** Where a link's target resolves, as release-relative segments, or null when it leaves the release. */
export function resolveLinkTarget(linkPath: string, target: string): string[] | null {
  if (target.startsWith('/') || target.includes('\\') || CONTROL.test(target) || target.length === 0) return null;
  const parts = linkPath.split('/').slice(0, -1);
  for (const segment of target.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else {
      parts.push(segment);
    }
  }
  return parts;
}

function nat(value: unknown, where: string, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw bad(where, `is ${describe(value)}, expected a whole number of ${what} ≥ 0`);
  if (value > max)
    throw new AppError('UPDATE_TOO_LARGE', `manifest ${where} is ${value} ${what}, expected at most ${max}`);
  return value;
}

function parseFiles(value: unknown, limits: BundleLimits): ManifestFile[] {
  if (!Array.isArray(value)) throw bad('/files', `is ${describe(value)}, expected an array`);
  let total = 0;
  return value.map((raw, i) => {
    const where = `/files/${i}`;
    const f = exactKeys(raw, where, ['path', 'size', 'sha256', 'executable']);
    const size = nat(f.size, `${where}/size`, limits.maxFileBytes, 'bytes');
    total += size;
    if (total > limits.maxTotalBytes)
      throw new AppError(
        'UPDATE_TOO_LARGE',
        `manifest /files holds more than ${limits.maxTotalBytes} bytes in all (at ${where}), expected at most that`,
      );
    if (typeof f.executable !== 'boolean')
      throw bad(`${where}/executable`, `is ${describe(f.executable)}, expected true or false`);
    return {
      path: checkRelativePath(f.path, `${where}/path`),
      size,
      sha256: str(f.sha256, `${where}/sha256`, HEX64, '64 lowercase hex digits'),
      executable: f.executable,
    };
  });
}

function parseLinks(value: unknown): ManifestLink[] {
  if (!Array.isArray(value)) throw bad('/links', `is ${describe(value)}, expected an array`);
  return value.map((raw, i) => {
    const where = `/links/${i}`;
    const l = exactKeys(raw, where, ['path', 'target']);
    const path = checkRelativePath(l.path, `${where}/path`);
    const target = str(l.target, `${where}/target`);
    if (target.length > MAX_PATH || resolveLinkTarget(path, target) === null)
      throw new AppError(
        'UPDATE_UNSAFE_PATH',
        `manifest ${where} links ${JSON.stringify(path)} to ${JSON.stringify(target.slice(0, 80))}, which leaves the release folder; expected a relative target inside it`,
      );
    return { path, target };
  });
}

/**
 * No two entries at one path, and nothing beneath a file or a link: otherwise unpacking could
 * write through a link to outside the release, or one entry could silently replace another.
 */
function checkTree(files: readonly ManifestFile[], links: readonly ManifestLink[]): void {
  const leaves = new Map<string, string>();
  for (const entry of [...files, ...links]) {
    if (leaves.has(entry.path))
      throw new AppError(
        'UPDATE_BAD_BUNDLE',
        `manifest names ${JSON.stringify(entry.path)} twice, expected each path once`,
      );
    leaves.set(entry.path, 'target' in entry ? 'link' : 'file');
  }
  for (const entry of [...files, ...links]) {
    const segments = entry.path.split('/');
    for (let n = 1; n < segments.length; n++) {
      const parent = segments.slice(0, n).join('/');
      const kind = leaves.get(parent);
      if (kind !== undefined)
        throw new AppError(
          'UPDATE_UNSAFE_PATH',
          `manifest puts ${JSON.stringify(entry.path)} beneath the ${kind} ${JSON.stringify(parent)}, expected folders only above an entry`,
        );
    }
  }
}

/** Parses and checks a manifest's JSON text (already authenticated by the signature). */
export function parseManifest(text: string, limits: BundleLimits = DEFAULT_LIMITS): ReleaseManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AppError('UPDATE_BAD_BUNDLE', `manifest is not JSON (${(error as Error).message})`);
  }
  const m = exactKeys(value, '', [
    'format',
    'v',
    'version',
    'created',
    'build',
    'lockfileSha256',
    'entry',
    'files',
    'links',
  ]);
  if (m.format !== MANIFEST_FORMAT || m.v !== 1)
    throw bad('', `is format ${JSON.stringify(m.format)} v${String(m.v)}, expected "${MANIFEST_FORMAT}" v1`);
  const b = exactKeys(m.build, '/build', ['node', 'modules', 'platform', 'arch']);
  if (Array.isArray(m.files) && Array.isArray(m.links) && m.files.length + m.links.length > limits.maxEntries)
    throw new AppError(
      'UPDATE_TOO_LARGE',
      `manifest lists ${m.files.length + m.links.length} files and links, expected at most ${limits.maxEntries}`,
    );
  const files = parseFiles(m.files, limits);
  const links = parseLinks(m.links);
  checkTree(files, links);
  const entry = checkRelativePath(m.entry, '/entry');
  if (!files.some((f) => f.path === entry)) throw bad('/entry', `${JSON.stringify(entry)} is not one of the files`);
  const lockfileSha256 = str(m.lockfileSha256, '/lockfileSha256', HEX64, '64 lowercase hex digits');
  const lock = files.find((f) => f.path === 'package-lock.json');
  if (lock === undefined || lock.sha256 !== lockfileSha256)
    throw bad('/lockfileSha256', 'does not match the package-lock.json file entry, expected the two to agree');
  return {
    format: MANIFEST_FORMAT,
    v: 1,
    version: str(m.version, '/version', SEMVER, 'a semantic version like 1.4.0 or 1.4.0-rc.1'),
    created: str(m.created, '/created', ISO_UTC, 'an ISO 8601 UTC time like 2026-12-04T18:00:00.000Z'),
    build: {
      node: str(b.node, '/build/node', /^v\d{1,3}\.\d{1,4}\.\d{1,4}$/, 'a Node version like v20.20.0'),
      modules: str(b.modules, '/build/modules', /^\d{1,4}$/, 'a Node module ABI number like 115'),
      platform: str(b.platform, '/build/platform', /^[a-z0-9]{1,20}$/, 'a platform like linux'),
      arch: str(b.arch, '/build/arch', /^[a-z0-9]{1,20}$/, 'a CPU architecture like arm64'),
    },
    lockfileSha256,
    entry,
    files,
    links,
  };
}

export function isReleaseVersion(text: string): boolean {
  return SEMVER.test(text);
}

/** Semantic versioning 2.0 precedence: < 0, 0 or > 0 as a is older, the same or newer than b. */
export function compareVersions(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (pa === null || pb === null) throw new RangeError(`cannot compare "${a}" with "${b}": not semantic versions`);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const ra = pa[4];
  const rb = pb[4];
  if (ra === undefined || rb === undefined) return ra === rb ? 0 : ra === undefined ? 1 : -1;
  const xa = ra.split('.');
  const xb = rb.split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const ia = xa[i];
    const ib = xb[i];
    if (ia === undefined) return -1;
    if (ib === undefined) return 1;
    const na = /^\d+$/.test(ia);
    const nb = /^\d+$/.test(ib);
    if (na && nb && Number(ia) !== Number(ib)) return Math.sign(Number(ia) - Number(ib));
    if (na !== nb) return na ? -1 : 1;
    if (!na && ia !== ib) return ia < ib ? -1 : 1;
  }
  return 0;
}
