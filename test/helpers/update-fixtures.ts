import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  encodeFrame,
  ENVELOPE_FORMAT,
  SIGNATURE_CONTEXT,
  type Envelope,
} from '../../provisioning/update/core/framing.ts';
import {
  keyIdOf,
  openBundle,
  packBundle,
  thisPlatform,
  type PackInput,
  type ReleaseFile,
  type ServiceControl,
} from '../../provisioning/update/mod.ts';

/**
 * Fixtures for the update tests: small real release programs packed into real signed bundles,
 * a supervisor that runs the release `current` points to as a child process (as systemd runs
 * /opt/hushpoint/current/cli/hushpoint.mjs), and a snapshot of a release root to prove that a
 * refused bundle changed nothing.
 */

export function newKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

/** How the tiny program behaves: report healthy and run, exit at once, or run without reporting. */
export type ProgramKind = 'good' | 'crash' | 'silent';

function program(kind: ProgramKind): string {
  const common = `import { readFileSync, renameSync, writeFileSync } from 'node:fs';
const here = new URL('..', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', here), 'utf8'));
const message = readFileSync(new URL('latest', here), 'utf8').trim();
process.on('SIGTERM', () => process.exit(0));
setInterval(() => undefined, 1000);
`;
  if (kind === 'crash') return `${common}console.error('tiny: failing on purpose', version);\nprocess.exit(3);\n`;
  if (kind === 'silent') return `${common}console.log('tiny: running without a health line', version, message);\n`;
  return `${common}const file = process.env.HUSHPOINT_HEALTH_FILE;
const line = JSON.stringify({ v: 1, version, pid: process.pid, role: 'tiny', at: new Date().toISOString() });
writeFileSync(file + '.tmp', line + '\\n');
renameSync(file + '.tmp', file);
console.log('tiny: healthy', version, message);
`;
}

export function tinyRelease(version: string, kind: ProgramKind = 'good'): PackInput {
  const text = (path: string, content: string, executable = false): ReleaseFile => ({
    path,
    bytes: Buffer.from(content),
    executable,
  });
  return {
    version,
    created: new Date('2026-12-04T18:00:00.000Z'),
    build: thisPlatform(),
    entry: 'cli/hushpoint.mjs',
    files: [
      text('package.json', `${JSON.stringify({ name: 'hushpoint', version, type: 'module', private: true })}\n`),
      text(
        'package-lock.json',
        `${JSON.stringify({ name: 'hushpoint', version, lockfileVersion: 3, packages: {} })}\n`,
      ),
      text('cli/hushpoint.mjs', program(kind), true),
      text('lib/message.txt', `release ${version}\n`),
    ],
    links: [{ path: 'latest', target: 'lib/message.txt' }],
  };
}

export function tinyBundle(version: string, key: KeyObject, kind: ProgramKind = 'good'): Buffer {
  return packBundle(tinyRelease(version, kind), key);
}

/** Every path under `dir` with its kind and content hash or link target (the lock file excluded). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string): void => {
    for (const name of readdirSync(abs).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const full = join(abs, name);
      const stat = lstatSync(full);
      if (stat.isSymbolicLink()) out[path] = `link ${readlinkSync(full)}`;
      else if (stat.isDirectory()) {
        out[path] = 'dir';
        walk(full, path);
      } else
        out[path] =
          `file ${(stat.mode & 0o777).toString(8)} ${createHash('sha256').update(readFileSync(full)).digest('hex')}`;
    }
  };
  walk(dir, '');
  return out;
}

/**
 * Runs `node <root>/current/<entry> ...args` as a child process, like a systemd unit with
 * Restart=no: restart() stops the running child (SIGTERM, waits for its exit) and starts a new
 * one on whatever `current` names now; failure() says how the child ended if it did.
 */
export class ProcessSupervisor implements ServiceControl {
  #child: ChildProcess | null = null;
  #exit: string | null = null;
  #output: string[] = [];
  readonly root: string;
  readonly entry: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;

  constructor(options: { root: string; entry?: string; args?: string[]; env: NodeJS.ProcessEnv }) {
    this.root = options.root;
    this.entry = options.entry ?? 'cli/hushpoint.mjs';
    this.args = options.args ?? [];
    this.env = options.env;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** The release folder the running child was started from. */
  runningFrom: string | null = null;

  get output(): string {
    return this.#output.join('');
  }

  async restart(): Promise<void> {
    await this.stop();
    this.#exit = null;
    this.runningFrom = realpathSync(join(this.root, 'current'));
    const child = spawn(process.execPath, [join(this.root, 'current', this.entry), ...this.args], {
      cwd: this.root,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => this.#output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.#output.push(d.toString()));
    child.once('exit', (code, signal) => {
      if (this.#child === child) this.#exit = `exited with ${signal === null ? `code ${String(code)}` : signal}`;
    });
    this.#child = child;
  }

  failure(): string | null {
    return this.#exit;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  }
}

/**
 * A bundle around any manifest text, properly signed: what a holder of the store key (or a bug
 * in the packer) could produce, so the checks behind the signature are tested on their own.
 */
export function signedBundle(manifest: string, files: readonly Uint8Array[], key: KeyObject): Buffer {
  const envelope: Envelope = {
    format: ENVELOPE_FORMAT,
    v: 1 as const,
    alg: 'ed25519' as const,
    keyId: keyIdOf(createPublicKey(key)),
    signature: sign(null, Buffer.from(SIGNATURE_CONTEXT + manifest, 'utf8'), key).toString('base64'),
    manifest,
  };
  return Buffer.from(encodeFrame(envelope, gzipSync(Buffer.concat(files))));
}

/** The tiny release's manifest as an object, and its files in manifest order, for crafting variants. */
export function tinyManifest(version: string, key: KeyObject): { manifest: Record<string, unknown>; files: Buffer[] } {
  const bundle = tinyBundle(version, key);
  const opened = openBundle(bundle, createPublicKey(key));
  return {
    manifest: JSON.parse(JSON.stringify(opened.manifest)) as Record<string, unknown>,
    files: opened.files.map((f) => Buffer.from(f.bytes)),
  };
}
