import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, mkdirSync, openSync, symlinkSync, writeSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { AppError } from '../../shared/errors.ts';
import { decodeFrame, encodeFrame, ENVELOPE_FORMAT, SIGNATURE_CONTEXT, type Envelope } from './core/framing.ts';
import {
  DEFAULT_LIMITS,
  MANIFEST_FORMAT,
  parseManifest,
  type BuildPlatform,
  type BundleLimits,
  type ManifestFile,
  type ManifestLink,
  type ReleaseManifest,
} from './core/manifest.ts';
import { keyIdOf } from './signing.ts';

/**
 * Packing and opening bundle bytes (docs/updates.md#the-bundle): the manifest is signed with
 * Ed25519 (node:crypto), the files travel gzip-compressed in manifest order, and opening checks,
 * in this order, the framing and limits, the key id, the signature, the manifest, the unpacked
 * size and every file's SHA-256 — a first streamed pass that writes nothing, before a second
 * pass unpacks (and hashes again) into a staging folder.
 */

export interface ReleaseFile {
  path: string;
  bytes: Uint8Array;
  executable: boolean;
}

export interface PackInput {
  version: string;
  created: Date;
  build: BuildPlatform;
  entry: string;
  files: readonly ReleaseFile[];
  links: readonly ManifestLink[];
}

export interface OpenedBundle {
  manifest: ReleaseManifest;
  /** Each file's verified bytes, in manifest order. */
  files: ReleaseFile[];
  keyId: string;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function signedBytes(manifest: string): Buffer {
  return Buffer.from(SIGNATURE_CONTEXT + manifest, 'utf8');
}

/** The manifest text for `input` (files sorted by path, so the same release packs the same way). */
export function manifestFor(input: PackInput): string {
  const files = [...input.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const lock = files.find((f) => f.path === 'package-lock.json');
  if (lock === undefined) throw new AppError('UPDATE_BAD_BUNDLE', 'the release has no package-lock.json, expected one');
  const manifest: ReleaseManifest = {
    format: MANIFEST_FORMAT,
    v: 1,
    version: input.version,
    created: input.created.toISOString(),
    build: input.build,
    lockfileSha256: sha256(lock.bytes),
    entry: input.entry,
    files: files.map((f) => ({
      path: f.path,
      size: f.bytes.length,
      sha256: sha256(f.bytes),
      executable: f.executable,
    })),
    links: [...input.links].sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
  const text = JSON.stringify(manifest);
  parseManifest(text); // the packer never makes a bundle the installer would refuse
  return text;
}

/** Signs and packs a release; returns the bundle's bytes. */
export function packBundle(input: PackInput, privateKey: KeyObject): Buffer {
  const manifest = manifestFor(input);
  const order = new Map(input.files.map((f) => [f.path, f]));
  const parsed = parseManifest(manifest);
  const payload = gzipSync(Buffer.concat(parsed.files.map((f) => order.get(f.path)?.bytes ?? new Uint8Array())));
  const envelope: Envelope = {
    format: ENVELOPE_FORMAT,
    v: 1,
    alg: 'ed25519',
    keyId: keyIdOf(createPublicKey(privateKey)),
    signature: sign(null, signedBytes(manifest), privateKey).toString('base64'),
    manifest,
  };
  return Buffer.from(encodeFrame(envelope, payload));
}

/** Re-packs a bundle's envelope with another payload (tests and the fuzz target make tampered bundles with it). */
export function repackPayload(bundle: Uint8Array, files: readonly Uint8Array[]): Buffer {
  const { envelope } = decodeFrame(bundle, DEFAULT_LIMITS);
  return Buffer.from(encodeFrame(envelope, gzipSync(Buffer.concat(files))));
}

export interface AuthenticatedBundle {
  manifest: ReleaseManifest;
  /** The gzip stream of the files (not yet checked against the manifest's hashes). */
  payload: Uint8Array;
  keyId: string;
}

/** Checks the framing, the key id, the signature and the manifest; the files are checked separately. */
export function authenticateBundle(
  bytes: Uint8Array,
  trusted: KeyObject,
  limits: BundleLimits = DEFAULT_LIMITS,
): AuthenticatedBundle {
  const { envelope, payload } = decodeFrame(bytes, limits);
  const keyId = keyIdOf(trusted);
  if (envelope.keyId !== keyId)
    throw new AppError(
      'UPDATE_BAD_SIGNATURE',
      `bundle is signed by key ${envelope.keyId}, expected the trusted key ${keyId} (is it another store's bundle?)`,
    );
  const signature = Buffer.from(envelope.signature, 'base64');
  if (!verify(null, signedBytes(envelope.manifest), trusted, signature))
    throw new AppError(
      'UPDATE_BAD_SIGNATURE',
      `bundle signature does not verify with key ${keyId}: the manifest or the signature was changed after signing`,
    );
  return { manifest: parseManifest(envelope.manifest, limits), payload, keyId };
}

/** Receives the unpacked files one after the other, in manifest order. */
interface FileSink {
  open(file: ManifestFile): void;
  write(chunk: Buffer): void;
  close(file: ManifestFile): void;
}

/**
 * Inflates the payload as a stream (64 KiB at a time, never the whole release in memory) and
 * cuts it into the manifest's files; more or fewer bytes than the manifest declares, or a broken
 * gzip stream, is UPDATE_BAD_BUNDLE.
 */
async function eachFile(bundle: AuthenticatedBundle, sink: FileSink): Promise<void> {
  const files = bundle.manifest.files;
  const total = files.reduce((n, f) => n + f.size, 0);
  let index = 0;
  let left = 0;
  const next = (): void => {
    while (index < files.length && left === 0) {
      sink.close(files[index] as ManifestFile);
      index++;
      if (index < files.length) {
        sink.open(files[index] as ManifestFile);
        left = (files[index] as ManifestFile).size;
      }
    }
  };
  if (files.length > 0) {
    sink.open(files[0] as ManifestFile);
    left = (files[0] as ManifestFile).size;
    next();
  }
  const payload = bundle.payload;
  const gunzip = Readable.from([Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)]).pipe(
    createGunzip(),
  );
  let seen = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      seen += chunk.length;
      if (seen > total)
        throw new AppError('UPDATE_BAD_BUNDLE', `bundle payload unpacks to more than the manifest's ${total} bytes`);
      for (let offset = 0; offset < chunk.length;) {
        const n = Math.min(left, chunk.length - offset);
        sink.write(chunk.subarray(offset, offset + n));
        offset += n;
        left -= n;
        next();
      }
    }
  } catch (error) {
    gunzip.destroy();
    if (error instanceof AppError) throw error;
    throw new AppError('UPDATE_BAD_BUNDLE', `bundle payload is not a valid gzip stream (${(error as Error).message})`);
  }
  if (seen !== total)
    throw new AppError(
      'UPDATE_BAD_BUNDLE',
      `bundle payload unpacks to ${seen} bytes, expected the manifest's ${total}`,
    );
}

function mismatch(file: ManifestFile, actual: string): AppError {
  return new AppError(
    'UPDATE_HASH_MISMATCH',
    `bundle file ${JSON.stringify(file.path)} has SHA-256 ${actual}, expected ${file.sha256} from the signed manifest`,
  );
}

/** Checks every file's SHA-256 against the signed manifest, writing nothing. */
export async function verifyFiles(bundle: AuthenticatedBundle): Promise<void> {
  let hash = createHash('sha256');
  await eachFile(bundle, {
    open: () => void (hash = createHash('sha256')),
    write: (chunk) => void hash.update(chunk),
    close: (file) => {
      const actual = hash.digest('hex');
      if (actual !== file.sha256) throw mismatch(file, actual);
    },
  });
}

/**
 * Writes the files and links into `dir` (a fresh, empty folder), hashing them again on the way;
 * every path is checked to resolve inside `dir`. The caller removes `dir` if this throws.
 */
export async function unpackFiles(bundle: AuthenticatedBundle, dir: string): Promise<void> {
  const base = resolve(dir);
  const inside = (path: string): string => {
    const full = resolve(base, path);
    if (!full.startsWith(base + sep))
      throw new AppError('UPDATE_UNSAFE_PATH', `bundle path "${path}" resolves outside the release folder`);
    mkdirSync(dirname(full), { recursive: true, mode: 0o755 });
    return full;
  };
  let fd = -1;
  let hash = createHash('sha256');
  try {
    await eachFile(bundle, {
      open: (file) => {
        fd = openSync(inside(file.path), 'wx', file.executable ? 0o755 : 0o644);
        hash = createHash('sha256');
      },
      write: (chunk) => {
        writeSync(fd, chunk);
        hash.update(chunk);
      },
      close: (file) => {
        closeSync(fd);
        fd = -1;
        const actual = hash.digest('hex');
        if (actual !== file.sha256) throw mismatch(file, actual);
      },
    });
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  for (const link of bundle.manifest.links) symlinkSync(link.target, inside(link.path));
}

/**
 * Verifies a bundle against the trusted key and returns its manifest and files in memory, or
 * throws with an UPDATE_* code. For small bundles and tests; the installer streams instead
 * (authenticateBundle, verifyFiles, unpackFiles).
 */
export function openBundle(bytes: Uint8Array, trusted: KeyObject, limits: BundleLimits = DEFAULT_LIMITS): OpenedBundle {
  const { manifest, payload, keyId } = authenticateBundle(bytes, trusted, limits);
  const total = manifest.files.reduce((n, f) => n + f.size, 0);
  let unpacked: Buffer;
  try {
    unpacked = gunzipSync(payload, { maxOutputLength: total + 1 });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      throw new AppError('UPDATE_BAD_BUNDLE', `bundle payload unpacks to more than the manifest's ${total} bytes`);
    throw new AppError('UPDATE_BAD_BUNDLE', `bundle payload is not a valid gzip stream (${(error as Error).message})`);
  }
  if (unpacked.length !== total)
    throw new AppError(
      'UPDATE_BAD_BUNDLE',
      `bundle payload unpacks to ${unpacked.length} bytes, expected the manifest's ${total}`,
    );
  let offset = 0;
  const files = manifest.files.map((f) => {
    const content = unpacked.subarray(offset, offset + f.size);
    offset += f.size;
    const actual = sha256(content);
    if (actual !== f.sha256)
      throw new AppError(
        'UPDATE_HASH_MISMATCH',
        `bundle file ${JSON.stringify(f.path)} has SHA-256 ${actual}, expected ${f.sha256} from the signed manifest`,
      );
    return { path: f.path, bytes: content, executable: f.executable };
  });
  return { manifest, files, keyId };
}
