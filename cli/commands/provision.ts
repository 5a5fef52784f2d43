import { relative } from 'node:path';
import {
  intOption,
  requireString,
  usageError,
  type CliIo,
  type Command,
  type OptionValues,
} from '../../shared/cli/command.ts';
import { EXIT } from '../../shared/errors.ts';
import {
  addGatewayToStore,
  buildUpdateBundle,
  initStore,
  listStoreGateways,
  revokeGatewayInStore,
  rotateGatewayInStore,
  PI_PATHS,
  type FileSummary,
  type ListedGateway,
} from '../../provisioning/mod.ts';
import { DEVICE_UPDATE_KEY } from '../../provisioning/update/mod.ts';

/**
 * `hushpoint provision`: make a store folder (CA, hub certificate and config, secrets) and one
 * bundle per gateway; revoke, rotate and list gateways. Human text on stdout, errors on stderr,
 * `--json` for scripts, non-zero exit on failure, nothing overwritten without --force.
 */

const json = { type: 'boolean', description: 'print one JSON object on stdout (for scripts)' } as const;
const storeDir = { type: 'string', value: 'DIR', description: 'the store folder made by init-store' } as const;

function strings(values: OptionValues, name: string): string[] {
  const raw = values[name];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String);
}

function printFiles(io: CliIo, files: FileSummary[], base: string): void {
  const width = Math.max(...files.map((f) => relative(base, f.path).length));
  for (const f of files) io.out(`  ${f.mode}  ${relative(base, f.path).padEnd(width)}  ${f.description}`);
}

const initStoreCommand: Command = {
  name: 'init-store',
  summary: 'create a store folder: store CA, hub certificate, hub.yaml, signing key, tokens, database',
  description: `Creates DIR (mode 0700) with the store CA (ca.pem, ca-key.pem), the hub's TLS
certificate for the given host names and IPs, hub.yaml, the upstream signing key, the technician
and admin tokens, and the hub database. Secrets are 0600. Existing files are never replaced
without --force (a new CA means every gateway bundle needs the new ca.pem).`,
  options: {
    store: { type: 'string', value: 'ID', description: 'the store id ([a-z0-9-], e.g. store-1)' },
    out: { type: 'string', value: 'DIR', description: 'the store folder to create' },
    hostname: {
      type: 'string',
      multiple: true,
      value: 'NAME',
      description: 'a host name the gateways use for the hub (repeatable)',
    },
    ip: {
      type: 'string',
      multiple: true,
      value: 'ADDR',
      description: 'an IP address the gateways use for the hub (repeatable)',
    },
    'mqtt-port': { type: 'string', value: 'PORT', description: "the broker's MQTT TLS port (default 8883)" },
    'api-port': { type: 'string', value: 'PORT', description: 'the HTTPS API port (default 8443)' },
    force: { type: 'boolean', description: 'replace existing files' },
    json,
  },
  async run({ values }, { io }) {
    const result = await initStore({
      store: requireString(values, 'store', 'the store id, e.g. --store store-1'),
      out: requireString(values, 'out', 'the store folder to create, e.g. --out ./store-1'),
      hostnames: strings(values, 'hostname'),
      ips: strings(values, 'ip'),
      mqttPort: intOption(values, 'mqtt-port', { min: 0, max: 65535 }, 8883),
      apiPort: intOption(values, 'api-port', { min: 0, max: 65535 }, 8443),
      force: values.force === true,
    });
    if (values.json) {
      io.out(JSON.stringify(result));
      return EXIT.OK;
    }
    io.out(
      `Store ${result.store} created in ${result.dir} (folder 0700${result.tightenedDir ? ', permissions tightened' : ''}):`,
    );
    printFiles(io, result.files, result.dir);
    io.out('');
    io.out(
      `Hub certificate names: ${[...result.hostnames, ...result.ips].join(', ')} (valid until ${result.hubCertificateExpires.slice(0, 10)})`,
    );
    io.out(`Store CA SHA-256 fingerprint: ${result.caFingerprint256}`);
    io.out(`Broker: TLS port ${result.mqttPort}; API: HTTPS port ${result.apiPort}`);
    io.out('');
    io.out('Next:');
    io.out(`  hushpoint provision add-gateway --store-dir ${result.dir} --gateway gw-1 --zone entrance`);
    io.out(`  hushpoint hub --config ${result.hubConfig}`);
    io.out('Keep ca-key.pem, the tokens and the signing key secret; back up this folder.');
    return EXIT.OK;
  },
};

const addGatewayCommand: Command = {
  name: 'add-gateway',
  summary: 'make a gateway bundle (config, CA, credential, systemd unit, install.sh) and register its credential',
  description: `Writes DIR/gateways/ID/ and registers the credential's scrypt hash in the hub database
named by DIR/hub.yaml. The default hub URL is mqtts://<first name in the hub certificate>:<TLS port>.
An existing gateway is replaced only with --force (new bundle, new credential).`,
  options: {
    'store-dir': storeDir,
    gateway: { type: 'string', value: 'ID', description: 'the gateway id ([a-z0-9-], e.g. gw-1)' },
    zone: { type: 'string', value: 'Z', description: 'the zone it covers ([a-z0-9-], e.g. produce)' },
    'hub-url': { type: 'string', value: 'URL', description: 'mqtts://HOST:PORT the gateway connects to' },
    force: { type: 'boolean', description: 'replace an existing bundle and registration' },
    json,
  },
  async run({ values }, { io }) {
    const result = await addGatewayToStore({
      storeDir: requireString(values, 'store-dir', 'the store folder made by init-store'),
      gateway: requireString(values, 'gateway', 'the gateway id, e.g. --gateway gw-1'),
      zone: requireString(values, 'zone', 'the zone it covers, e.g. --zone produce'),
      ...(typeof values['hub-url'] === 'string' ? { hubUrl: values['hub-url'] } : {}),
      force: values.force === true,
    });
    if (values.json) {
      io.out(JSON.stringify(result));
      return EXIT.OK;
    }
    io.out(
      `Gateway ${result.gateway} (zone ${result.zone}) ${result.replaced ? 're-made' : 'added'} for store ${result.store}; its credential's scrypt hash is registered in ${result.database}.`,
    );
    io.out(`Hub URL: ${result.hubUrl}`);
    io.out(`Bundle ${result.bundle}:`);
    printFiles(io, result.files, result.bundle);
    io.out('');
    io.out('Next: copy the bundle folder and the hushpoint release to the Pi, then on the Pi run');
    io.out('  sudo ./install.sh /path/to/release');
    io.out(`  sudo hushpoint doctor --config ${PI_PATHS.configFile}`);
    io.out('The credential file is a secret: delete copies of the bundle once installed.');
    return EXIT.OK;
  },
};

const gatewayOptions = {
  'store-dir': storeDir,
  gateway: { type: 'string', value: 'ID', description: 'the gateway id' },
  json,
} as const;

const revokeGatewayCommand: Command = {
  name: 'revoke-gateway',
  summary: 'revoke a gateway: the hub refuses its credential from now on',
  options: gatewayOptions,
  async run({ values }, { io }) {
    const result = await revokeGatewayInStore({
      storeDir: requireString(values, 'store-dir', 'the store folder made by init-store'),
      gateway: requireString(values, 'gateway', 'the gateway id to revoke'),
    });
    if (values.json) {
      io.out(JSON.stringify(result));
      return EXIT.OK;
    }
    io.out(
      result.alreadyRevoked
        ? `Gateway ${result.gateway} was already revoked (since ${result.revokedAt}).`
        : `Gateway ${result.gateway} revoked at ${result.revokedAt}: the hub refuses its credential on every new connection.`,
    );
    io.out('A running hub also closes a connection open right now within a few seconds.');
    io.out(
      `To bring it back with a new credential: hushpoint provision rotate-gateway --store-dir ${values['store-dir'] as string} --gateway ${result.gateway}`,
    );
    return EXIT.OK;
  },
};

const rotateGatewayCommand: Command = {
  name: 'rotate-gateway',
  summary: 'issue a new credential (written into the bundle); the old one stops working at once',
  options: gatewayOptions,
  async run({ values }, { io }) {
    const result = await rotateGatewayInStore({
      storeDir: requireString(values, 'store-dir', 'the store folder made by init-store'),
      gateway: requireString(values, 'gateway', 'the gateway id to rotate'),
    });
    if (values.json) {
      io.out(JSON.stringify(result));
      return EXIT.OK;
    }
    io.out(
      `New credential for ${result.gateway} written to ${result.credentialFile} (0600) at ${result.rotatedAt}; the hub refuses the old one from now on.${result.wasRevoked ? ' The revocation is lifted.' : ''}`,
    );
    io.out(
      `On the Pi: copy it to ${PI_PATHS.configDir}/credential (root:hushpoint, 0640) and run sudo systemctl restart ${PI_PATHS.service}`,
    );
    io.out('(or run install.sh again from the bundle).');
    return EXIT.OK;
  },
};

function statusOf(g: ListedGateway): string {
  return g.revoked ? 'revoked' : g.state;
}

const listCommand: Command = {
  name: 'list',
  summary: "list the store's gateways: zone, revoked, created and rotated times",
  options: { 'store-dir': storeDir, json },
  async run({ values }, { io }) {
    const result = await listStoreGateways({
      storeDir: requireString(values, 'store-dir', 'the store folder made by init-store'),
    });
    if (values.json) {
      io.out(JSON.stringify(result));
      return EXIT.OK;
    }
    if (result.gateways.length === 0) {
      io.out(`Store ${result.store} has no gateways yet (hushpoint provision add-gateway).`);
      return EXIT.OK;
    }
    const time = (t: string | null): string => (t === null ? '-' : `${t.slice(0, 19).replace('T', ' ')}Z`);
    const rows = [
      ['GATEWAY', 'ZONE', 'STATUS', 'CREATED', 'ROTATED', 'REVOKED', 'BUNDLE'],
      ...result.gateways.map((g) => [
        g.id,
        g.zone,
        statusOf(g),
        time(g.createdAt),
        time(g.rotatedAt),
        time(g.revokedAt),
        g.bundle === null ? '-' : 'yes',
      ]),
    ];
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
    for (const row of rows)
      io.out(
        row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      );
    return EXIT.OK;
  },
};

const updateBundleCommand: Command = {
  name: 'update-bundle',
  summary:
    "pack this checkout's release (compiled JS + lockfile-pinned dependencies), signed with the store's update key",
  description: `Compiles this checkout, adds the launcher, package-lock.json and exactly the production
dependencies it pins (as installed here: build on a machine of the devices' platform, CPU and Node
major, e.g. one Pi), and signs the manifest (every file's SHA-256) with DIR/update-signing-key.pem
(Ed25519; made on first use, with its public half DIR/update-signing.pub.pem, which every device needs
at /etc/hushpoint/update-signing.pub.pem). Install it on a device with hushpoint update apply FILE.`,
  options: {
    store: { type: 'string', value: 'DIR', description: 'the store folder made by init-store (or --store-dir)' },
    'store-dir': storeDir,
    out: { type: 'string', value: 'FILE', description: 'the bundle file to write (e.g. hushpoint-0.2.0.hpu)' },
    version: { type: 'string', value: 'V', description: "the release version (default: package.json's)" },
    force: { type: 'boolean', description: 'replace an existing FILE' },
    json,
  },
  async run({ values }, { io }) {
    if (typeof values.store === 'string' && typeof values['store-dir'] === 'string')
      throw usageError('--store and --store-dir are the same option, expected one of them');
    const store =
      typeof values.store === 'string'
        ? values.store
        : requireString(values, 'store-dir', 'the store folder made by init-store, e.g. --store ./store-1');
    const result = await buildUpdateBundle({
      storeDir: store,
      out: requireString(values, 'out', 'the bundle file to write, e.g. --out hushpoint-0.2.0.hpu'),
      ...(typeof values.version === 'string' ? { version: values.version } : {}),
      force: values.force === true,
    });
    if (values.json) {
      io.out(JSON.stringify(result));
      return EXIT.OK;
    }
    io.out(
      `Bundle ${result.file}: release ${result.version}, ${(result.bytes / 2 ** 20).toFixed(1)} MiB, ${result.files} files and ${result.links} links (${result.dependencies} pinned packages), built in ${result.seconds.toFixed(0)} s.`,
    );
    io.out(
      `Built for ${result.build.platform}-${result.build.arch}, Node ${result.build.node} (ABI ${result.build.modules}): devices must match.`,
    );
    io.out(`Signed with update key ${result.keyId}.`);
    if (result.createdKey)
      io.out(
        `This store had no update key: made one. Copy ${result.publicKeyFile} to ${DEVICE_UPDATE_KEY} on every device (root, 0644) before its first update.`,
      );
    io.out(`On the device: sudo hushpoint update apply ${result.file}`);
    return EXIT.OK;
  },
};

export const provisionCommand: Command = {
  name: 'provision',
  summary: 'create a store and its gateway bundles; revoke, rotate and list gateways; sign update bundles',
  subcommands: () => [
    initStoreCommand,
    addGatewayCommand,
    revokeGatewayCommand,
    rotateGatewayCommand,
    listCommand,
    updateBundleCommand,
  ],
};
