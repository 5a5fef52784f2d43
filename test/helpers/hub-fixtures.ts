import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { stringify } from 'yaml';
import { validateConfig } from '../../shared/config/load-config.ts';
import { createStoreCa, issueServerCertificate, type KeyAndCert } from '../../shared/tls/certificates.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { RandomSource } from '../../shared/ports/random.ts';
import { hubRole, type HubConfig } from '../../hub/mod.ts';
import { createHub, type Hub } from '../../hub/app.ts';

/**
 * Test helpers for the hub: a store CA and server certificate (generated once per test file),
 * a temp folder with hub.yaml, certificate, key and admin token, and a real hub on port 0.
 *
 *   const t = await startTestHub({ gateways: [{ id: 'gw-1', zone: 'produce' }] });
 *   const client = await t.connectGateway('gw-1');   // mqtt.js over TLS with the store CA
 *   ...
 *   await t.stop();
 */

export const TEST_STORE = 'store-1';

let certificates: { ca: KeyAndCert; server: KeyAndCert } | null = null;

/** The store CA and a server certificate for localhost / 127.0.0.1 (memoised: RSA keygen is slow). */
export function testCertificates(): { ca: KeyAndCert; server: KeyAndCert } {
  if (certificates === null) {
    const ca = createStoreCa(TEST_STORE);
    certificates = { ca, server: issueServerCertificate(ca, { hostnames: ['localhost'], ips: ['127.0.0.1'] }) };
  }
  return certificates;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function merge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] =
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current !== null &&
      typeof current === 'object'
        ? merge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

export interface HubFiles {
  dir: string;
  configFile: string;
  caFile: string;
  caPem: string;
  adminToken: string;
  /** The config document written (before defaults). */
  document: Record<string, unknown>;
  config: HubConfig;
}

/**
 * Writes hub.yaml (TLS listener on 127.0.0.1:0, API on 127.0.0.1:0, admin token) and the PEM
 * files into `dir` (a new temp folder when omitted). `overrides` are merged into the document.
 */
export function writeHubFiles(
  overrides: DeepPartial<HubConfig> = {},
  dir = mkdtempSync(join(tmpdir(), 'hp-hub-')),
): HubFiles {
  const { ca, server } = testCertificates();
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  writeFileSync(join(dir, 'hub-cert.pem'), server.certPem);
  writeFileSync(join(dir, 'hub-key.pem'), server.keyPem, { mode: 0o600 });
  const adminToken = randomBytes(24).toString('base64url');
  writeFileSync(join(dir, 'admin.token'), `${adminToken}\n`, { mode: 0o600 });
  const document = merge(
    {
      role: 'hub',
      store: TEST_STORE,
      database: 'hub.db',
      broker: {
        tls: { host: '127.0.0.1', port: 0, certFile: 'hub-cert.pem', keyFile: 'hub-key.pem' },
        publishRatePerSecond: 10_000,
        publishBurst: 10_000,
      },
      api: { host: '127.0.0.1', port: 0, adminTokenFile: 'admin.token' },
      presence: { finalizeIntervalMs: 200 },
      log: { level: 'silent' },
    },
    overrides as Record<string, unknown>,
  );
  const configFile = join(dir, 'hub.yaml');
  writeFileSync(configFile, stringify(document));
  const checked = validateConfig(hubRole, document);
  if (!checked.ok) throw new Error(`test hub config is invalid: ${JSON.stringify(checked.problems)}`);
  return {
    dir,
    configFile,
    caFile: join(dir, 'ca.pem'),
    caPem: ca.certPem,
    adminToken,
    document,
    config: checked.config,
  };
}

export interface TestHubOptions {
  config?: DeepPartial<HubConfig>;
  gateways?: Array<{ id: string; zone: string }>;
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
  /** Start the hub (default true). */
  start?: boolean;
}

export interface TestHub extends HubFiles {
  hub: Hub;
  /** Credentials of the gateways added through the fixture. */
  credentials: Map<string, string>;
  addGateway(id: string, zone: string): Promise<string>;
  /** An mqtt.js client for `gateway` over TLS with the store CA (resolves once connected). */
  connectGateway(gateway: string, options?: IClientOptions & { credential?: string }): Promise<MqttClient>;
  mqttsUrl(): string;
  apiUrl(path?: string): string;
  /** fetch() against the hub API, trusting the store CA. */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null },
  ): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

export async function startTestHub(options: TestHubOptions = {}): Promise<TestHub> {
  const files = writeHubFiles(options.config);
  const hub = createHub({
    config: files.config,
    resolvePath: (p) => (p.startsWith('/') ? p : join(files.dir, p)),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const credentials = new Map<string, string>();
  const clients: MqttClient[] = [];
  const addGateway = async (id: string, zone: string): Promise<string> => {
    const { credential } = await hub.gateways.add({ id, zone });
    credentials.set(id, credential);
    return credential;
  };
  for (const gw of options.gateways ?? []) await addGateway(gw.id, gw.zone);
  if (options.start !== false) await hub.start();
  const test: TestHub = {
    ...files,
    hub,
    credentials,
    addGateway,
    mqttsUrl: () => `mqtts://127.0.0.1:${hub.ports.mqtts}`,
    apiUrl: (path = '') => `https://127.0.0.1:${hub.ports.api}${path}`,
    async connectGateway(gateway, clientOptions = {}) {
      const client = await mqtt.connectAsync(test.mqttsUrl(), {
        clientId: `${gateway}-${randomBytes(3).toString('hex')}`,
        username: gateway,
        password: clientOptions.credential ?? credentials.get(gateway) ?? '',
        ca: files.caPem,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        ...clientOptions,
      });
      clients.push(client);
      return client;
    },
    async request(method, path, requestOptions = {}) {
      return httpsJson(test.apiUrl(path), files.caPem, method, requestOptions.body, requestOptions.token ?? null);
    },
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await hub.stop();
      rmSync(files.dir, { recursive: true, force: true });
    },
  };
  return test;
}

/** One HTTPS JSON request trusting `caPem` (node:https; fetch has no per-request CA). */
export async function httpsJson(
  url: string,
  caPem: string,
  method: string,
  body?: unknown,
  token?: string | null,
): Promise<{ status: number; body: unknown }> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        ca: caPem,
        headers: {
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text.length > 0 ? JSON.parse(text) : null;
          } catch {
            // not JSON (HTML page): keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
