import { chmodSync, existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { loadConfig } from '../shared/config/load-config.ts';
import { AppError } from '../shared/errors.ts';
import { CryptoRandomSource, type RandomSource } from '../shared/ports/random.ts';
import { createStoreCa, issueServerCertificate } from '../shared/tls/certificates.ts';
import {
  addGateway,
  getGateway,
  HubConfigSchema,
  hubRole,
  listGateways,
  newCredential,
  openHubDatabase,
  revokeGateway,
  rotateGatewayCredential,
  setGatewayZone,
  type Database,
  type HubConfig,
} from '../hub/mod.ts';
import { formatMode, SECRET_MODE } from './core/file-plan.ts';
import { planGatewayBundle, credentialFile } from './core/gateway-bundle.ts';
import { BUNDLE_FILES } from './core/gateway-config.ts';
import { STORE_FILES } from './core/hub-config.ts';
import {
  certificateNames,
  checkHostname,
  checkId,
  checkIp,
  checkPort,
  hubUrlFor,
  parseHubUrl,
  DEFAULT_MQTTS_PORT,
  type HubUrl,
} from './core/names.ts';
import { planStoreFiles } from './core/store-plan.ts';
import { certificateInfo } from './adapters/certificate-info.ts';
import { conflictError, ensurePrivateDir, writeFileAtomic, writePlan } from './adapters/fs-writer.ts';
import { ensureStoreUpdateKey } from './update/signing.ts';

/**
 * Provisioning operations on a store folder (made by initStore): the store CA, the hub's
 * certificate and config, and one bundle per gateway. Gateway credentials are registered with
 * the hub through the hub's own registry code (hub/mod.ts) on the database named in hub.yaml,
 * which keeps only their scrypt hashes; the clear credential exists only in the bundle.
 */

export interface ProvisionDeps {
  random?: RandomSource;
  now?: () => Date;
}

function depsOf(deps: ProvisionDeps): { random: RandomSource; now: () => Date } {
  return { random: deps.random ?? new CryptoRandomSource(), now: deps.now ?? (() => new Date()) };
}

function randomToken(random: RandomSource): string {
  const bytes = new Uint8Array(32);
  random.fillBytes(bytes);
  return Buffer.from(bytes).toString('base64url');
}

export interface FileSummary {
  path: string;
  mode: string;
  description: string;
}

function summarise(files: Array<{ path: string; mode: number; description: string }>): FileSummary[] {
  return files.map((f) => ({ path: f.path, mode: formatMode(f.mode), description: f.description }));
}

/** Restricts the hub database (and its WAL files) to the owner. */
function protectDatabase(file: string): void {
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(path)) chmodSync(path, SECRET_MODE);
  }
}

// ---------------------------------------------------------------------------------------------
// init-store

export interface InitStoreOptions {
  store: string;
  /** The store folder to create (mode 0700). */
  out: string;
  /** Host names and IP addresses the gateways use to reach the hub (at least one). */
  hostnames?: string[];
  ips?: string[];
  /** The broker's TLS port (default 8883) and the API's HTTPS port (default 8443); 0 = ephemeral (tests). */
  mqttPort?: number;
  apiPort?: number;
  force?: boolean;
}

export interface InitStoreResult {
  store: string;
  dir: string;
  hubConfig: string;
  database: string;
  hostnames: string[];
  ips: string[];
  mqttPort: number;
  apiPort: number;
  caFingerprint256: string;
  hubCertificateExpires: string;
  files: FileSummary[];
  /** An existing folder's permissions were tightened to 0700. */
  tightenedDir: boolean;
}

export async function initStore(options: InitStoreOptions, deps: ProvisionDeps = {}): Promise<InitStoreResult> {
  const { random, now } = depsOf(deps);
  const store = checkId('store', options.store);
  const hostnames = [...new Set((options.hostnames ?? []).map(checkHostname))];
  const ips = [...new Set((options.ips ?? []).map(checkIp))];
  if (hostnames.length + ips.length === 0) {
    throw new AppError(
      'CLI_USAGE',
      'no --hostname or --ip given: expected at least one host name or IP address by which the gateways reach the hub (it goes into the hub certificate)',
    );
  }
  const mqttPort = checkPort('mqtt-port', options.mqttPort ?? DEFAULT_MQTTS_PORT);
  const apiPort = checkPort('api-port', options.apiPort ?? 8443);
  if (mqttPort !== 0 && mqttPort === apiPort)
    throw new AppError('CLI_USAGE', `--mqtt-port and --api-port are both ${mqttPort}, expected two different ports`);
  const dir = resolve(options.out);
  const input = { store, mqttPort, apiPort, hostnames, ips, upstreamSection: 'upstream' in HubConfigSchema.properties };

  // Check for conflicts before spending time on RSA keys.
  const probe = planStoreFiles(
    input,
    {
      ca: { certPem: '', keyPem: '' },
      server: { certPem: '', keyPem: '' },
      signingKey: new Uint8Array(32),
      linkKey: new Uint8Array(32),
      technicianToken: '',
      adminToken: '',
    },
    now(),
  );
  const hint = 'use --force to replace them (a new CA: every gateway bundle then needs the new ca.pem)';
  if (!options.force) {
    const conflicts = probe.map((f) => join(dir, f.path)).filter((p) => existsSync(p));
    if (conflicts.length > 0) throw conflictError(conflicts, hint);
  }

  const ca = createStoreCa(store, { now: now() });
  const server = issueServerCertificate(ca, { hostnames, ips }, { now: now() });
  const signingKey = new Uint8Array(32);
  random.fillBytes(signingKey);
  const linkKey = new Uint8Array(32);
  random.fillBytes(linkKey);
  const files = planStoreFiles(
    input,
    { ca, server, signingKey, linkKey, technicianToken: randomToken(random), adminToken: randomToken(random) },
    now(),
  );
  const written = writePlan(dir, files, { force: options.force === true, hint });
  ensurePrivateDir(join(dir, STORE_FILES.gateways));

  // The hub's database, created and migrated by the hub's own code, so `list` and `add-gateway` work at once.
  const database = join(dir, STORE_FILES.database);
  openHubDatabase(database).close();
  protectDatabase(database);
  const info = certificateInfo(server.certPem);
  return {
    store,
    dir,
    hubConfig: join(dir, STORE_FILES.hubConfig),
    database,
    hostnames,
    ips,
    mqttPort,
    apiPort,
    caFingerprint256: certificateInfo(ca.certPem).fingerprint256,
    hubCertificateExpires: info.validTo.toISOString(),
    files: [
      ...summarise(written.written),
      { path: database, mode: formatMode(SECRET_MODE), description: 'hub database (gateway registry)' },
    ],
    tightenedDir: written.tightened,
  };
}

// ---------------------------------------------------------------------------------------------
// the store folder

export interface OpenedStore {
  dir: string;
  hubConfigFile: string;
  config: Readonly<HubConfig>;
  caCertPem: string;
  databaseFile: string;
  gatewaysDir: string;
  resolvePath(path: string): string;
}

/**
 * Root must not work in a folder another user owns (the hub's service user): the database's
 * -wal/-shm files it would create belong to root, and the hub could no longer open them.
 */
function checkOwner(dir: string): void {
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  const owner = statSync(dir).uid;
  if (uid === 0 && owner !== 0) {
    throw new AppError(
      'AUTH_FORBIDDEN',
      `The store folder "${dir}" belongs to uid ${owner} but this runs as root; files it creates would lock the hub out. Run it as the folder's owner, e.g. sudo -u '#${owner}' hushpoint provision ...`,
    );
  }
}

export function openStore(storeDir: string): OpenedStore {
  const dir = resolve(storeDir);
  const made = 'expected a store folder made by `hushpoint provision init-store`';
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new AppError('PROV_NOT_FOUND', `The store folder "${dir}" does not exist; ${made}`);
  checkOwner(dir);
  const hubConfigFile = join(dir, STORE_FILES.hubConfig);
  if (!existsSync(hubConfigFile))
    throw new AppError('PROV_NOT_FOUND', `"${dir}" has no ${STORE_FILES.hubConfig}; ${made}`);
  const loaded = loadConfig(hubRole, hubConfigFile);
  const caFile = join(dir, STORE_FILES.caCert);
  if (!existsSync(caFile))
    throw new AppError('PROV_NOT_FOUND', `"${dir}" has no ${STORE_FILES.caCert} (the store CA certificate); ${made}`);
  return {
    dir,
    hubConfigFile,
    config: loaded.config,
    caCertPem: readFileSync(caFile, 'utf8'),
    databaseFile: loaded.resolvePath(loaded.config.database),
    gatewaysDir: join(dir, STORE_FILES.gateways),
    resolvePath: loaded.resolvePath,
  };
}

function withDatabase<T>(
  store: OpenedStore,
  use: (db: Database) => Promise<T> | T,
  options: { readonly?: boolean } = {},
): Promise<T> {
  if (options.readonly === true && !existsSync(store.databaseFile)) {
    throw new AppError(
      'PROV_NOT_FOUND',
      `The hub database "${store.databaseFile}" does not exist; expected the one init-store created (hub.yaml "database")`,
    );
  }
  const db = openHubDatabase(store.databaseFile, options);
  if (options.readonly !== true) protectDatabase(store.databaseFile);
  return Promise.resolve()
    .then(() => use(db))
    .finally(() => db.close());
}

/** The URL gateways use by default: the first name in the hub certificate and the TLS port. */
function defaultHubUrl(store: OpenedStore): HubUrl {
  const tls = store.config.broker.tls;
  if (tls === undefined)
    throw new AppError(
      'CLI_USAGE',
      `${store.hubConfigFile} has no broker.tls listener, so there is no default hub URL; give --hub-url mqtts://HOST:PORT`,
    );
  if (tls.port === 0)
    throw new AppError(
      'CLI_USAGE',
      `${store.hubConfigFile} has broker.tls.port 0 (an ephemeral port), so there is no default hub URL; give --hub-url mqtts://HOST:PORT`,
    );
  const info = certificateInfo(readFileSync(store.resolvePath(tls.certFile)));
  const host = info.hostnames[0] ?? info.ips[0];
  if (host === undefined)
    throw new AppError(
      'CLI_USAGE',
      `the hub certificate ${tls.certFile} names no host or IP; give --hub-url mqtts://HOST:PORT`,
    );
  return hubUrlFor(host, tls.port);
}

function checkHubUrl(store: OpenedStore, hubUrl: HubUrl): void {
  const tls = store.config.broker.tls;
  if (tls === undefined) return;
  const info = certificateInfo(readFileSync(store.resolvePath(tls.certFile)));
  if (!certificateNames(hubUrl.host, info)) {
    const names = [...info.hostnames, ...info.ips].join(', ');
    throw new AppError(
      'CLI_USAGE',
      `--hub-url host "${hubUrl.host}" is not named by the hub certificate (${tls.certFile} names: ${names}); expected one of those, because gateways verify the hub's name`,
    );
  }
}

function bundleDir(store: OpenedStore, gateway: string): string {
  return join(store.gatewaysDir, gateway);
}

// ---------------------------------------------------------------------------------------------
// add-gateway

export interface AddGatewayOptions {
  storeDir: string;
  gateway: string;
  zone: string;
  /** mqtts://host:port; default: the hub certificate's first name and hub.yaml's TLS port. */
  hubUrl?: string;
  force?: boolean;
}

export interface AddGatewayResult {
  store: string;
  gateway: string;
  zone: string;
  hubUrl: string;
  bundle: string;
  database: string;
  /** The gateway existed (bundle or registration) and was replaced with --force. */
  replaced: boolean;
  files: FileSummary[];
}

export async function addGatewayToStore(
  options: AddGatewayOptions,
  deps: ProvisionDeps = {},
): Promise<AddGatewayResult> {
  const { random, now } = depsOf(deps);
  const gateway = checkId('gateway', options.gateway);
  const zone = checkId('zone', options.zone);
  const store = openStore(options.storeDir);
  const hubUrl = options.hubUrl === undefined ? defaultHubUrl(store) : parseHubUrl(options.hubUrl);
  if (options.hubUrl !== undefined) checkHubUrl(store, hubUrl);
  const target = bundleDir(store, gateway);

  return withDatabase(store, async (db) => {
    const registered = getGateway(db, gateway);
    const conflicts = [
      ...(existsSync(target) ? [target] : []),
      ...(registered !== null ? [`gateway "${gateway}" in ${store.databaseFile}`] : []),
    ];
    if (conflicts.length > 0 && options.force !== true) {
      throw new AppError(
        'PROV_EXISTS',
        `Gateway "${gateway}" already exists (${conflicts.join('; ')}); use rotate-gateway for a new credential, or --force to re-make its bundle and credential`,
        { details: { paths: conflicts } },
      );
    }
    const credential = newCredential(random);
    const updateKey = ensureStoreUpdateKey(store.dir);
    const files = planGatewayBundle(
      { store: store.config.store, gateway, zone, hubUrl: hubUrl.url },
      { caCertPem: store.caCertPem, credential, updateKeyPem: readFileSync(updateKey.publicKeyFile, 'utf8') },
      now(),
    );
    ensurePrivateDir(store.gatewaysDir);
    const partial = join(store.gatewaysDir, `.${gateway}.partial-${randomBytes(4).toString('hex')}`);
    try {
      writePlan(partial, files, { force: false, hint: 'internal: a fresh folder' });
      if (registered === null) {
        await addGateway(db, { id: gateway, zone, credential }, { random, nowMs: now().getTime() });
      } else {
        await rotateGatewayCredential(db, gateway, { random, nowMs: now().getTime(), credential });
        setGatewayZone(db, gateway, zone);
      }
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      throw error;
    }
    if (existsSync(target)) {
      const old = join(store.gatewaysDir, `.${gateway}.old-${randomBytes(4).toString('hex')}`);
      renameSync(target, old);
      renameSync(partial, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(partial, target);
    }
    return {
      store: store.config.store,
      gateway,
      zone,
      hubUrl: hubUrl.url,
      bundle: target,
      database: store.databaseFile,
      replaced: conflicts.length > 0,
      files: summarise(files.map((f) => ({ ...f, path: join(target, f.path) }))),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// revoke-gateway, rotate-gateway, list

export interface RevokeGatewayResult {
  store: string;
  gateway: string;
  revokedAt: string;
  /** It was already revoked (nothing changed). */
  alreadyRevoked: boolean;
}

function notRegistered(store: OpenedStore, gateway: string): AppError {
  return new AppError(
    'PROV_NOT_FOUND',
    `Gateway "${gateway}" is not registered in ${store.databaseFile}; expected one added with add-gateway (see \`hushpoint provision list --store-dir ${store.dir}\`)`,
  );
}

export async function revokeGatewayInStore(
  options: { storeDir: string; gateway: string },
  deps: ProvisionDeps = {},
): Promise<RevokeGatewayResult> {
  const { now } = depsOf(deps);
  const gateway = checkId('gateway', options.gateway);
  const store = openStore(options.storeDir);
  return withDatabase(store, (db) => {
    const before = getGateway(db, gateway);
    if (before === null) throw notRegistered(store, gateway);
    revokeGateway(db, gateway, now().getTime());
    const after = getGateway(db, gateway);
    return {
      store: store.config.store,
      gateway,
      revokedAt: new Date(after?.revokedMs ?? now().getTime()).toISOString(),
      alreadyRevoked: before.revokedMs !== null,
    };
  });
}

export interface RotateGatewayResult {
  store: string;
  gateway: string;
  credentialFile: string;
  rotatedAt: string;
  /** The gateway was revoked; rotating lifted the revocation. */
  wasRevoked: boolean;
}

export async function rotateGatewayInStore(
  options: { storeDir: string; gateway: string },
  deps: ProvisionDeps = {},
): Promise<RotateGatewayResult> {
  const { random, now } = depsOf(deps);
  const gateway = checkId('gateway', options.gateway);
  const store = openStore(options.storeDir);
  return withDatabase(store, async (db) => {
    const before = getGateway(db, gateway);
    if (before === null) throw notRegistered(store, gateway);
    const credential = newCredential(random);
    const dir = bundleDir(store, gateway);
    ensurePrivateDir(store.gatewaysDir);
    ensurePrivateDir(dir);
    const file = credentialFile(credential);
    const path = join(dir, file.path);
    // Written beside, registered, then renamed over the old file: a failure leaves the old pair working.
    const staged = `${path}.new-${randomBytes(4).toString('hex')}`;
    writeFileAtomic(staged, file.content, file.mode);
    try {
      await rotateGatewayCredential(db, gateway, { random, nowMs: now().getTime(), credential });
    } catch (error) {
      rmSync(staged, { force: true });
      throw error;
    }
    renameSync(staged, path);
    const after = getGateway(db, gateway);
    return {
      store: store.config.store,
      gateway,
      credentialFile: path,
      rotatedAt: new Date(after?.rotatedMs ?? now().getTime()).toISOString(),
      wasRevoked: before.revokedMs !== null,
    };
  });
}

export interface ListedGateway {
  id: string;
  zone: string;
  revoked: boolean;
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
  /** online / offline / unknown, from the gateway's last status message. */
  state: string;
  lastStatusAt: string | null;
  /** The bundle folder, when it is still in the store folder. */
  bundle: string | null;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export async function listStoreGateways(options: {
  storeDir: string;
}): Promise<{ store: string; database: string; gateways: ListedGateway[] }> {
  const store = openStore(options.storeDir);
  return withDatabase(
    store,
    (db) => ({
      store: store.config.store,
      database: store.databaseFile,
      gateways: listGateways(db).map((g) => {
        const dir = bundleDir(store, g.id);
        return {
          id: g.id,
          zone: g.zone,
          revoked: g.revokedMs !== null,
          createdAt: new Date(g.createdMs).toISOString(),
          rotatedAt: iso(g.rotatedMs),
          revokedAt: iso(g.revokedMs),
          state: g.state,
          lastStatusAt: iso(g.lastStatusMs),
          bundle: existsSync(join(dir, BUNDLE_FILES.config)) ? dir : null,
        };
      }),
    }),
    { readonly: true },
  );
}
