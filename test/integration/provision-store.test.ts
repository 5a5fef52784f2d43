import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand, type Command } from '../../shared/cli/command.ts';
import { provisionCommand } from '../../cli/commands/provision.ts';
import { checkConfigCommand } from '../../cli/commands/check-config.ts';
import { openHubDatabase, getGateway, verifyCredential } from '../../hub/mod.ts';

/**
 * `hushpoint provision` end to end on a real temp folder and the hub's real SQLite registry:
 * file permissions, configs that pass check-config, install.sh that bash can parse, never
 * overwriting without --force, and errors that name the problem.
 */

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(command: Command, argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(command, argv, {
    io: { out: (t) => out.push(t), err: (t) => err.push(t) },
    path: `hushpoint ${command.name}`,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const provision = (...argv: string[]): Promise<Run> => run(provisionCommand, argv);
const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');

const root = mkdtempSync(join(tmpdir(), 'hp-provision-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('hushpoint provision init-store and add-gateway', () => {
  const dir = join(root, 'store-7');

  it('init-store writes the store folder with safe permissions and a hub.yaml that passes check-config', async () => {
    const result = await provision(
      'init-store',
      '--store',
      'store-7',
      '--out',
      dir,
      '--hostname',
      'hub.store-7.local',
      '--ip',
      '10.7.0.2',
      '--json',
    );
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.out) as {
      store: string;
      dir: string;
      hostnames: string[];
      ips: string[];
      files: Array<{ path: string; mode: string }>;
    };
    expect(summary).toMatchObject({ store: 'store-7', dir, hostnames: ['hub.store-7.local'], ips: ['10.7.0.2'] });
    expect(mode(dir)).toBe('0700');
    for (const [file, expected] of [
      ['ca.pem', '0644'],
      ['ca-key.pem', '0600'],
      ['hub-cert.pem', '0644'],
      ['hub-key.pem', '0600'],
      ['upstream-signing.key', '0600'],
      ['purchases-link.key', '0600'],
      ['technician.token', '0600'],
      ['admin.token', '0600'],
      ['hub.yaml', '0600'],
      ['hub.db', '0600'],
    ] as const) {
      expect(mode(join(dir, file)), file).toBe(expected);
      expect(summary.files.find((f) => f.path === join(dir, file))?.mode, file).toBe(expected);
    }
    expect(mode(join(dir, 'gateways'))).toBe('0700');
    expect(readFileSync(join(dir, 'upstream-signing.key'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(readFileSync(join(dir, 'purchases-link.key'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(readFileSync(join(dir, 'purchases-link.key'), 'utf8')).not.toBe(
      readFileSync(join(dir, 'upstream-signing.key'), 'utf8'),
    );
    expect(readFileSync(join(dir, 'technician.token'), 'utf8').trim()).not.toBe(
      readFileSync(join(dir, 'admin.token'), 'utf8').trim(),
    );
    const check = await run(checkConfigCommand, [join(dir, 'hub.yaml')]);
    expect(check).toMatchObject({ code: 0, out: `${join(dir, 'hub.yaml')}: valid hub config` });
    // The certificate names exactly what was asked for and is issued by the store CA.
    const cert = new X509Certificate(readFileSync(join(dir, 'hub-cert.pem')));
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
    expect(cert.subjectAltName).toBe('DNS:hub.store-7.local, IP Address:10.7.0.2');
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    expect(ca.ca).toBe(true);
  });

  it('init-store never overwrites without --force, and names the files', async () => {
    const caBefore = readFileSync(join(dir, 'ca.pem'), 'utf8');
    const again = await provision('init-store', '--store', 'store-7', '--out', dir, '--hostname', 'hub.store-7.local');
    expect(again.code).toBe(1);
    expect(again.err).toContain('PROV_EXISTS');
    expect(again.err).toContain(join(dir, 'ca.pem'));
    expect(again.err).toContain('--force');
    expect(readFileSync(join(dir, 'ca.pem'), 'utf8')).toBe(caBefore);
  });

  it('add-gateway writes a bundle whose gateway.yaml passes check-config and whose install.sh bash accepts, and registers only a hash', async () => {
    const result = await provision(
      'add-gateway',
      '--store-dir',
      dir,
      '--gateway',
      'gw-1',
      '--zone',
      'produce',
      '--json',
    );
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.out) as { bundle: string; hubUrl: string; zone: string };
    const bundle = join(dir, 'gateways', 'gw-1');
    expect(summary).toMatchObject({ bundle, hubUrl: 'mqtts://hub.store-7.local:8883', zone: 'produce' });
    expect(mode(bundle)).toBe('0700');
    for (const [file, expected] of [
      ['gateway.yaml', '0644'],
      ['ca.pem', '0644'],
      ['credential', '0600'],
      ['hushpoint-gateway.service', '0644'],
      ['install.sh', '0755'],
    ] as const) {
      expect(mode(join(bundle, file)), file).toBe(expected);
    }
    expect(readFileSync(join(bundle, 'ca.pem'), 'utf8')).toBe(readFileSync(join(dir, 'ca.pem'), 'utf8'));
    // The store's public update key (made with the first bundle); the private half stays in the store folder.
    expect(readFileSync(join(bundle, 'update-signing.pub.pem'), 'utf8')).toBe(
      readFileSync(join(dir, 'update-signing.pub.pem'), 'utf8'),
    );
    expect(mode(join(dir, 'update-signing-key.pem'))).toBe('0600');
    expect(existsSync(join(bundle, 'update-signing-key.pem'))).toBe(false);
    const credential = readFileSync(join(bundle, 'credential'), 'utf8').trim();
    expect(credential).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.out).not.toContain(credential);
    expect(await run(checkConfigCommand, [join(bundle, 'gateway.yaml')])).toMatchObject({ code: 0 });
    execFileSync('bash', ['-n', join(bundle, 'install.sh')]);

    const db = openHubDatabase(join(dir, 'hub.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT credential_hash AS hash FROM gateways WHERE id = ?').get('gw-1') as {
        hash: string;
      };
      expect(row.hash.startsWith('scrypt$')).toBe(true);
      expect(row.hash).not.toContain(credential);
      expect(await verifyCredential(row.hash, credential)).toBe(true);
      expect(getGateway(db, 'gw-1')).toMatchObject({ zone: 'produce', revokedMs: null });
    } finally {
      db.close();
    }
  });

  it('add-gateway never replaces a gateway without --force; with --force it makes a new credential and zone', async () => {
    const bundle = join(dir, 'gateways', 'gw-1');
    const before = readFileSync(join(bundle, 'credential'), 'utf8');
    const again = await provision('add-gateway', '--store-dir', dir, '--gateway', 'gw-1', '--zone', 'dairy');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/PROV_EXISTS: Gateway "gw-1" already exists .*rotate-gateway.*--force/);
    expect(readFileSync(join(bundle, 'credential'), 'utf8')).toBe(before);

    const forced = await provision(
      'add-gateway',
      '--store-dir',
      dir,
      '--gateway',
      'gw-1',
      '--zone',
      'dairy',
      '--force',
    );
    expect(forced.code).toBe(0);
    expect(forced.out).toContain('re-made');
    expect(readFileSync(join(bundle, 'credential'), 'utf8')).not.toBe(before);
    expect(readFileSync(join(bundle, 'gateway.yaml'), 'utf8')).toContain('zone: dairy');
    const list = JSON.parse((await provision('list', '--store-dir', dir, '--json')).out) as {
      gateways: Array<{ id: string; zone: string; revoked: boolean; rotatedAt: string | null }>;
    };
    expect(list.gateways).toEqual([
      expect.objectContaining({ id: 'gw-1', zone: 'dairy', revoked: false, rotatedAt: expect.any(String) }),
    ]);
    // No staging folders are left behind.
    expect(readdirNames(join(dir, 'gateways'))).toEqual(['gw-1']);
  });

  it('revoke, rotate and list report what happened, in text and JSON', async () => {
    await provision(
      'add-gateway',
      '--store-dir',
      dir,
      '--gateway',
      'gw-2',
      '--zone',
      'entrance',
      '--hub-url',
      'mqtts://10.7.0.2:8883',
    );
    const revoked = await provision('revoke-gateway', '--store-dir', dir, '--gateway', 'gw-2', '--json');
    expect(JSON.parse(revoked.out)).toMatchObject({ gateway: 'gw-2', alreadyRevoked: false });
    const twice = await provision('revoke-gateway', '--store-dir', dir, '--gateway', 'gw-2');
    expect(twice.out).toContain('already revoked');
    const text = await provision('list', '--store-dir', dir);
    expect(text.out).toMatch(/^GATEWAY\s+ZONE\s+STATUS\s+CREATED\s+ROTATED\s+REVOKED\s+BUNDLE$/m);
    expect(text.out).toMatch(/^gw-2\s+entrance\s+revoked\s/m);
    const rotated = await provision('rotate-gateway', '--store-dir', dir, '--gateway', 'gw-2', '--json');
    expect(JSON.parse(rotated.out)).toMatchObject({
      gateway: 'gw-2',
      wasRevoked: true,
      credentialFile: join(dir, 'gateways', 'gw-2', 'credential'),
    });
    expect(mode(join(dir, 'gateways', 'gw-2', 'credential'))).toBe('0600');
    expect((await provision('list', '--store-dir', dir)).out).toMatch(/^gw-2\s+entrance\s+unknown\s/m);
  });
});

describe('hushpoint provision errors name what was wrong and what was expected', () => {
  const dir = join(root, 'store-errors');

  it.each([
    [['init-store', '--out', dir, '--hostname', 'h.local'], 64, /--store is required: the store id/],
    [
      ['init-store', '--store', 'Store 1', '--out', dir, '--hostname', 'h.local'],
      64,
      /--store is "Store 1", expected 1-64 of \[a-z0-9-\]/,
    ],
    [['init-store', '--store', 'store-1', '--out', dir], 64, /no --hostname or --ip given: expected at least one/],
    [
      ['init-store', '--store', 'store-1', '--out', dir, '--ip', '300.1.1.1'],
      64,
      /--ip is "300.1.1.1", expected an IPv4 address/,
    ],
    [
      ['init-store', '--store', 'store-1', '--out', dir, '--ip', '10.0.0.1', '--mqtt-port', 'x'],
      64,
      /--mqtt-port is "x", expected an integer 0..65535/,
    ],
    [
      ['add-gateway', '--store-dir', join(root, 'nope'), '--gateway', 'gw-1', '--zone', 'a'],
      1,
      /PROV_NOT_FOUND: The store folder ".*nope" does not exist; expected a store folder made by `hushpoint provision init-store`/,
    ],
    [
      ['add-gateway', '--store-dir', join(root, 'store-7'), '--gateway', 'gw_1', '--zone', 'a'],
      64,
      /--gateway is "gw_1"/,
    ],
    [
      [
        'add-gateway',
        '--store-dir',
        join(root, 'store-7'),
        '--gateway',
        'gw-9',
        '--zone',
        'a',
        '--hub-url',
        'mqtt://10.7.0.2:1883',
      ],
      64,
      /--hub-url .*scheme is "mqtt".*gateways always use TLS/,
    ],
    [
      [
        'add-gateway',
        '--store-dir',
        join(root, 'store-7'),
        '--gateway',
        'gw-9',
        '--zone',
        'a',
        '--hub-url',
        'mqtts://other.local:8883',
      ],
      64,
      /host "other.local" is not named by the hub certificate \(hub-cert.pem names: hub.store-7.local, 10.7.0.2\)/,
    ],
    [
      ['revoke-gateway', '--store-dir', join(root, 'store-7'), '--gateway', 'gw-404'],
      1,
      /PROV_NOT_FOUND: Gateway "gw-404" is not registered/,
    ],
    [
      ['rotate-gateway', '--store-dir', join(root, 'store-7'), '--gateway', 'gw-404'],
      1,
      /PROV_NOT_FOUND: Gateway "gw-404" is not registered/,
    ],
    [
      ['frobnicate'],
      64,
      /unknown command "frobnicate", expected one of: init-store, add-gateway, revoke-gateway, rotate-gateway, list/,
    ],
  ])('provision %j exits %i', async (argv, code, message) => {
    const result = await provision(...argv);
    expect(result.err).toMatch(message);
    expect(result.code).toBe(code);
    expect(existsSync(join(root, 'store-7', 'gateways', 'gw-9'))).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)(
    "as root, refuses a store folder owned by another user (the hub's) and says how to run it",
    async () => {
      const owned = join(root, 'store-owned');
      await provision('init-store', '--store', 'store-o', '--out', owned, '--ip', '10.0.0.8');
      chownSync(owned, 65534, 65534);
      const result = await provision('list', '--store-dir', owned);
      expect(result.err).toMatch(
        /AUTH_FORBIDDEN: The store folder ".*store-owned" belongs to uid 65534 but this runs as root.*sudo -u '#65534' hushpoint provision/,
      );
      expect(result.code).toBe(1);
    },
  );

  it('a store folder with a broken hub.yaml is reported with the file, field and exit code 78', async () => {
    const broken = join(root, 'store-broken');
    await provision('init-store', '--store', 'store-b', '--out', broken, '--ip', '10.0.0.9');
    writeFileSync(
      join(broken, 'hub.yaml'),
      readFileSync(join(broken, 'hub.yaml'), 'utf8').replace('port: 8883', 'port: 88883'),
    );
    const result = await provision('add-gateway', '--store-dir', broken, '--gateway', 'gw-1', '--zone', 'a');
    expect(result.code).toBe(78);
    expect(result.err).toMatch(/hub\.yaml: \/broker\/tls\/port /);
  });
});

function readdirNames(path: string): string[] {
  return readdirSync(path).sort();
}
