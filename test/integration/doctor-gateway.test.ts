import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../shared/cli/command.ts';
import { loadConfig } from '../../shared/config/load-config.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { createStoreCa } from '../../shared/tls/certificates.ts';
import { hubRole } from '../../hub/mod.ts';
import { createHub, type Hub } from '../../hub/app.ts';
import { addGatewayToStore, initStore, revokeGatewayInStore } from '../../provisioning/mod.ts';
import { runDoctor, type DoctorOptions } from '../../provisioning/doctor/run-doctor.ts';
import { probeMqtt } from '../../provisioning/doctor/probes/hub-connection.ts';
import { doctorCommand } from '../../cli/commands/doctor.ts';

/**
 * `hushpoint doctor` on a provisioned gateway bundle against a real hub (started from the
 * provisioned hub.yaml): healthy → exit 0; a wrong CA, a refused or revoked credential, an
 * unreachable hub, a bad config and a skewed hub clock each FAIL with the fix named.
 */

const root = mkdtempSync(join(tmpdir(), 'hp-doctor-gw-'));
const storeDir = join(root, 'store-1');
const hubs: Hub[] = [];
let port: number;

/** This machine has no Bluetooth adapter: the adapter fact is injected (the BLE verdict has its own tests). */
const withAdapter: DoctorOptions = {
  probes: {
    ble: async ({ adapterIndex }) => ({ source: 'noble', adapterIndex, adapters: ['hci0'], rfkill: [], up: true }),
    service: async () => ({ systemd: false }),
  },
};

async function startHub(clock?: { now(): number }): Promise<{ hub: Hub; port: number }> {
  const loaded = loadConfig(hubRole, join(storeDir, 'hub.yaml'));
  const hub = createHub({
    config: loaded.config,
    resolvePath: loaded.resolvePath,
    logger: silentLogger(),
    ...(clock ? { clock } : {}),
  });
  await hub.start();
  hubs.push(hub);
  return { hub, port: hub.ports.mqtts ?? 0 };
}

beforeAll(async () => {
  await initStore({
    store: 'store-1',
    out: storeDir,
    hostnames: ['localhost'],
    ips: ['127.0.0.1'],
    mqttPort: 0,
    apiPort: 0,
  });
  ({ port } = await startHub());
  await addGatewayToStore({ storeDir, gateway: 'gw-1', zone: 'produce', hubUrl: `mqtts://127.0.0.1:${port}` });
  await addGatewayToStore({ storeDir, gateway: 'gw-2', zone: 'dairy', hubUrl: `mqtts://localhost:${port}` });
});

afterAll(async () => {
  for (const hub of hubs) await hub.stop();
  rmSync(root, { recursive: true, force: true });
});

let copies = 0;
/** A copy of gw's bundle with some parts changed; returns its gateway.yaml. */
function bundleCopy(
  gateway: string,
  change: { url?: string; caPem?: string; credential?: string; yaml?: (text: string) => string },
): string {
  const dir = join(root, `copy-${++copies}`);
  cpSync(join(storeDir, 'gateways', gateway), dir, { recursive: true });
  const file = join(dir, 'gateway.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (change.url !== undefined) doc.setIn(['hub', 'url'], change.url);
  writeFileSync(file, change.yaml ? change.yaml(doc.toString()) : doc.toString());
  if (change.caPem !== undefined) writeFileSync(join(dir, 'ca.pem'), change.caPem);
  if (change.credential !== undefined)
    writeFileSync(join(dir, 'credential'), `${change.credential}\n`, { mode: 0o600 });
  return file;
}

async function cli(...argv: string[]): Promise<{ code: number; lines: string[] }> {
  const out: string[] = [];
  const code = await runCommand(doctorCommand, argv, {
    io: { out: (t) => out.push(t), err: (t) => out.push(t) },
    path: 'hushpoint doctor',
  });
  return { code, lines: out };
}

function line(lines: string[], name: string): string {
  return (
    lines.find((l) => new RegExp(`^(PASS|WARN|FAIL|INFO)  ${name} `).test(l)) ??
    `(no ${name} line in:\n${lines.join('\n')})`
  );
}

describe('hushpoint doctor on a provisioned gateway', () => {
  it('passes on a healthy gateway: config, Node, files, adapter, TLS with the store CA, credential accepted, clock in step', async () => {
    const report = await runDoctor(join(storeDir, 'gateways', 'gw-1', 'gateway.yaml'), withAdapter);
    expect(report.checks.map((c) => c.name)).toEqual([
      'config',
      'node',
      'files',
      'ble-adapter',
      'calibration',
      'hub-tls',
      'hub-credential',
      'clock',
      'disk',
      'service',
    ]);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName['hub-tls']).toMatchObject({
      status: 'PASS',
      detail: `mqtts://127.0.0.1:${port}: TLS verified with ${join(storeDir, 'gateways', 'gw-1', 'ca.pem')}`,
    });
    expect(byName['hub-credential']).toMatchObject({ status: 'PASS' });
    expect(byName.clock?.status).toBe('PASS');
    expect(report.checks.filter((c) => c.status === 'FAIL')).toEqual([]);
    expect(report).toMatchObject({ role: 'gateway', ok: true, exitCode: 0 });
  });

  it('the CLI prints one line per check and exits 0 when nothing fails (host name URL, --skip ble-adapter)', async () => {
    const { code, lines } = await cli(
      '--config',
      join(storeDir, 'gateways', 'gw-2', 'gateway.yaml'),
      '--skip',
      'ble-adapter',
    );
    expect(
      lines.every((l) => /^(PASS|WARN|FAIL|INFO) {2}[a-z-]+ +\S/.test(l)),
      lines.join('\n'),
    ).toBe(true);
    expect(line(lines, 'ble-adapter')).toMatch(/^INFO {2}ble-adapter +skipped \(--skip\)$/);
    expect(line(lines, 'hub-credential')).toMatch(/^PASS /);
    expect(code).toBe(0);
  });

  it('names the fix for a wrong CA', async () => {
    const other = createStoreCa('store-other');
    const { code, lines } = await cli(
      '--config',
      bundleCopy('gw-1', { caPem: other.certPem }),
      '--skip',
      'ble-adapter',
      '--skip',
      'service',
    );
    expect(line(lines, 'hub-tls')).toMatch(
      /^FAIL {2}hub-tls +the hub's certificate is not trusted by .*ca\.pem \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\) at 127\.0\.0\.1:\d+ — wrong CA: .*ca\.pem must be this store's CA certificate/,
    );
    expect(line(lines, 'hub-credential')).toMatch(/^INFO /);
    expect(code).toBe(1);
  });

  it('names the fix for a refused credential and for a revoked gateway', async () => {
    const wrong = await runDoctor(bundleCopy('gw-1', { credential: 'not-the-credential-0123456789' }), withAdapter);
    expect(wrong.checks.find((c) => c.name === 'hub-credential')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining('CONNACK 4'),
      fix: expect.stringContaining('rotate-gateway --store-dir STORE --gateway gw-1'),
    });
    expect(wrong.exitCode).toBe(1);

    await addGatewayToStore({ storeDir, gateway: 'gw-3', zone: 'bakery', hubUrl: `mqtts://127.0.0.1:${port}` });
    await revokeGatewayInStore({ storeDir, gateway: 'gw-3' });
    const revoked = await runDoctor(join(storeDir, 'gateways', 'gw-3', 'gateway.yaml'), withAdapter);
    expect(revoked.checks.find((c) => c.name === 'hub-credential')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining('revoked'),
    });
  });

  it('names the fix for an unreachable hub', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    const report = await runDoctor(bundleCopy('gw-1', { url: `mqtts://127.0.0.1:${closed}` }), withAdapter);
    expect(report.checks.find((c) => c.name === 'hub-tls')).toMatchObject({
      status: 'FAIL',
      detail: `cannot reach the hub at 127.0.0.1:${closed} (ECONNREFUSED)`,
      fix: expect.stringContaining('is the hub running'),
    });
    expect(report.checks.find((c) => c.name === 'clock')?.status).toBe('INFO');
  });

  it('names the problems and the fix for a bad config, and exits 1', async () => {
    const file = bundleCopy('gw-1', {
      yaml: (text) =>
        text
          .replace('zone: produce', 'zone: Fresh Produce')
          .replace('adapterIndex: 0', 'adapterIndex: 0\n  scanMode: fast'),
    });
    const { code, lines } = await cli('--config', file);
    expect(line(lines, 'config')).toMatch(
      new RegExp(
        `^FAIL  config +${file.replace(/[.]/g, '\\.')} has 2 problems: .*/zone is "Fresh Produce", expected .*; /ble/scanMode is not allowed here.* — correct each field named .*hushpoint check-config`,
      ),
    );
    expect(line(lines, 'hub-tls')).toMatch(/^INFO {2}hub-tls +not checked: the config is invalid/);
    expect(code).toBe(1);
  });

  it('an injected clock-offset fact of 10 s gives a WARN, and JSON output carries it', async () => {
    const report = await runDoctor(join(storeDir, 'gateways', 'gw-2', 'gateway.yaml'), {
      probes: {
        ...withAdapter.probes,
        mqtt: async (options) => ({ ...(await probeMqtt(options)), clock: { offsetMs: -10_000 } }),
      },
    });
    expect(report.checks.find((c) => c.name === 'clock')).toMatchObject({
      status: 'WARN',
      detail: '10.0 s ahead of the hub clock (more than 2 s)',
      fix: expect.stringContaining('timedatectl set-ntp true'),
    });
    expect(report.exitCode).toBe(0);
  });

  it('end to end: a hub whose clock runs 45 s ahead publishes hub/clock, and doctor FAILs the clock with the fix', async () => {
    const skewed = await startHub({ now: () => Date.now() + 45_000 });
    const { code, lines } = await cli(
      '--config',
      bundleCopy('gw-1', { url: `mqtts://127.0.0.1:${skewed.port}` }),
      '--skip',
      'ble-adapter',
      '--json',
    );
    const report = JSON.parse(lines[0] ?? '{}') as {
      exitCode: number;
      checks: Array<{ name: string; status: string; detail: string; fix?: string }>;
    };
    const clock = report.checks.find((c) => c.name === 'clock');
    expect(clock?.status).toBe('FAIL');
    expect(clock?.detail).toMatch(/^4[45]\.\d s behind the hub clock \(limit 30 s/);
    expect(clock?.fix).toMatch(/sudo timedatectl set-ntp true/);
    expect(report.checks.find((c) => c.name === 'hub-credential')?.status).toBe('PASS');
    expect(report.exitCode).toBe(1);
    expect(code).toBe(1);
  });
});
