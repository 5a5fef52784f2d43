import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hushpoint } from '../test/helpers/cli.ts';
import { newKeyPair, snapshot, tinyBundle } from '../test/helpers/update-fixtures.ts';

/**
 * `hushpoint update` as a technician runs it, through the launcher: the service is restarted by
 * a shell command (--restart-command) that starts the tiny real release program from
 * ROOT/current in the background, as a supervisor other than systemd would.
 */

const dir = mkdtempSync(join(tmpdir(), 'hushpoint-update-cli-'));
const root = join(dir, 'root');
const health = join(dir, 'health.json');
const pidFile = join(dir, 'service.pid');
const keyFile = join(dir, 'update-signing.pub.pem');
const { privateKey, publicKey } = newKeyPair();
writeFileSync(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
const restart = [
  `if [ -f '${pidFile}' ]; then kill "$(cat '${pidFile}')" 2>/dev/null || true; fi`,
  `HUSHPOINT_HEALTH_FILE='${health}' nohup '${process.execPath}' '${root}/current/cli/hushpoint.mjs' >/dev/null 2>&1 &`,
  `echo $! > '${pidFile}'`,
].join('\n');
const common = ['--root', root, '--key', keyFile, '--health-file', health, '--restart-command', restart];

function write(name: string, bytes: Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

afterAll(() => {
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('hushpoint update', () => {
  it('applies a good bundle and reports the installed release', async () => {
    const file = write('1.0.0.hpu', tinyBundle('1.0.0', privateKey));
    const run = await hushpoint(['update', 'apply', file, ...common, '--deadline', '20']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Release 1\.0\.0 installed in .* \(4 files verified.*healthy/);
    const status = await hushpoint(['update', 'status', '--root', root, '--health-file', health, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ current: '1.0.0', health: { version: '1.0.0', role: 'tiny' } });
  }, 60_000);

  it('refuses a bundle signed with another key, naming the code, with nothing changed', async () => {
    const before = snapshot(root);
    const file = write('other.hpu', tinyBundle('1.1.0', newKeyPair().privateKey));
    const run = await hushpoint(['update', 'apply', file, ...common]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^hushpoint update apply: UPDATE_BAD_SIGNATURE: bundle is signed by key [0-9a-f]{16}, expected the trusted key/,
    );
    expect(snapshot(root)).toEqual(before);
  }, 60_000);

  it('rolls back a crashing bundle, and status shows why', async () => {
    const file = write('1.1.0.hpu', tinyBundle('1.1.0', privateKey, 'crash'));
    const run = await hushpoint(['update', 'apply', file, ...common, '--deadline', '3']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /UPDATE_UNHEALTHY: release 1\.1\.0 did not report healthy: no health line from 1\.1\.0 within 3 s; rolled back to 1\.0\.0, which reports healthy again/,
    );
    const status = await hushpoint(['update', 'status', '--root', root, '--health-file', health]);
    expect(status.stdout).toMatch(/current: {2}1\.0\.0/);
    expect(status.stdout).toMatch(
      /apply 1\.0\.0 -> 1\.1\.0: rolled-back after 3\.\d s \(no health line from 1\.1\.0 within 3 s\)/,
    );
    expect(status.stdout).toMatch(/health: {3}tiny 1\.0\.0/);
  }, 60_000);

  it('says what is missing or wrong in the arguments', async () => {
    const none = await hushpoint(['update', 'apply', '--root', root]);
    expect(none.code).toBe(64);
    expect(none.stderr).toMatch(/no bundle given, expected FILE/);
    const both = await hushpoint(['update', 'rollback', '--root', root, '--service', 'x', '--restart-command', 'true']);
    expect(both.code).toBe(64);
    expect(both.stderr).toMatch(/--service and --restart-command are exclusive/);
    const missingKey = await hushpoint([
      'update',
      'apply',
      join(dir, '1.0.0.hpu'),
      '--root',
      root,
      '--key',
      join(dir, 'nope.pem'),
    ]);
    expect(missingKey.code).toBe(1);
    expect(missingKey.stderr).toMatch(/PROV_NOT_FOUND: the trusted update key .*nope\.pem does not exist/);
  }, 60_000);
});
