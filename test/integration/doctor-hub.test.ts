import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../shared/cli/command.ts';
import { loadConfig } from '../../shared/config/load-config.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { createStoreCa, issueServerCertificate } from '../../shared/tls/certificates.ts';
import { hubRole } from '../../hub/mod.ts';
import { createHub, type Hub } from '../../hub/app.ts';
import { addGatewayToStore, initStore } from '../../provisioning/mod.ts';
import { runDoctor, type DoctorOptions } from '../../provisioning/doctor/run-doctor.ts';
import { doctorCommand } from '../../cli/commands/doctor.ts';

/**
 * `hushpoint doctor` on a provisioned hub.yaml: the certificate, tokens, database and the live
 * TLS listener pass while the hub runs; a stopped hub, a certificate from another CA and a
 * world-readable token (FAIL: the hub refuses it) are each reported with the fix.
 */

const root = mkdtempSync(join(tmpdir(), 'hp-doctor-hub-'));
const storeDir = join(root, 'store-1');
const hubFile = join(storeDir, 'hub.yaml');
let hub: Hub | null = null;
let port = 0;

const synced: DoctorOptions = {
  probes: {
    ntp: async () => ({ available: true, synchronized: true, ntpEnabled: true }),
    service: async () => ({ systemd: false }),
  },
};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as { port: number };
      server.close(() => resolve(free));
    });
  });
}

beforeAll(async () => {
  port = await freePort();
  await initStore({
    store: 'store-1',
    out: storeDir,
    hostnames: ['localhost'],
    ips: ['127.0.0.1'],
    mqttPort: port,
    apiPort: 0,
  });
  await addGatewayToStore({ storeDir, gateway: 'gw-1', zone: 'produce' });
  const loaded = loadConfig(hubRole, hubFile);
  hub = createHub({ config: loaded.config, resolvePath: loaded.resolvePath, logger: silentLogger() });
  await hub.start();
});

afterAll(async () => {
  await hub?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('hushpoint doctor on a provisioned hub', () => {
  it('passes while the hub runs: certificate, tokens, database, TLS listener trusted by the store CA, clock, disk', async () => {
    const report = await runDoctor(hubFile, synced);
    expect(report.checks.map((c) => c.name)).toEqual([
      'config',
      'node',
      'tls-certificate',
      'tokens',
      'database',
      'broker',
      'clock',
      'disk',
      'service',
    ]);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName['tls-certificate']).toMatchObject({
      status: 'PASS',
      detail: expect.stringContaining('hub-cert.pem for localhost, 127.0.0.1, key matches, signed by ca.pem'),
    });
    expect(byName.tokens).toMatchObject({ status: 'PASS' });
    expect(byName.database).toMatchObject({ status: 'PASS', detail: expect.stringContaining('1 gateway registered') });
    expect(byName.broker).toMatchObject({
      status: 'PASS',
      detail: `listening on 127.0.0.1:${port}, certificate trusted by ca.pem`,
    });
    expect(report).toMatchObject({ role: 'hub', exitCode: 0 });
  });

  it('the CLI with the real NTP probe reports the clock state, or that it cannot tell, and exits 0', async () => {
    const out: string[] = [];
    const code = await runCommand(doctorCommand, ['--config', hubFile], {
      io: { out: (t) => out.push(t), err: (t) => out.push(t) },
      path: 'hushpoint doctor',
    });
    const clock = out.find((l) => l.startsWith('PASS  clock') || l.startsWith('WARN  clock')) ?? '';
    // Either this machine reports NTP state, or doctor says it cannot tell; never a FAIL.
    expect(clock).toMatch(/^(PASS {2}clock +system clock synchronised by NTP|WARN {2}clock +(cannot tell|NTP is))/);
    expect(code).toBe(0);
  });

  it('a world-readable token is a FAIL (the hub would refuse it) with chmod as the fix', async () => {
    chmodSync(join(storeDir, 'admin.token'), 0o644);
    try {
      const report = await runDoctor(hubFile, synced);
      expect(report.checks.find((c) => c.name === 'tokens')).toMatchObject({
        status: 'FAIL',
        fix: `\`chmod 600 ${join(storeDir, 'admin.token')}\``,
      });
    } finally {
      chmodSync(join(storeDir, 'admin.token'), 0o600);
    }
  });

  it('a hub certificate from another CA FAILs: the gateways would refuse it', async () => {
    const copy = join(root, 'foreign');
    mkdirSync(copy);
    for (const f of ['hub.yaml', 'ca.pem', 'technician.token', 'admin.token', 'hub.db'])
      copyFileSync(join(storeDir, f), join(copy, f));
    const other = createStoreCa('store-x');
    const server = issueServerCertificate(other, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
    writeFileSync(join(copy, 'hub-cert.pem'), server.certPem);
    writeFileSync(join(copy, 'hub-key.pem'), server.keyPem, { mode: 0o600 });
    const report = await runDoctor(join(copy, 'hub.yaml'), synced);
    expect(report.checks.find((c) => c.name === 'tls-certificate')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining('not signed by the store CA'),
    });
    // The running hub still serves the store's own certificate, which this copy's file is not.
    expect(report.checks.find((c) => c.name === 'broker')).toMatchObject({
      status: 'WARN',
      detail: expect.stringContaining('serves another certificate'),
    });
    expect(report.exitCode).toBe(1);
  });

  it('a stopped hub FAILs the broker check with how to start it', async () => {
    await hub?.stop();
    hub = null;
    const report = await runDoctor(hubFile, synced);
    expect(report.checks.find((c) => c.name === 'broker')).toMatchObject({
      status: 'FAIL',
      detail: `the hub's MQTT TLS listener does not answer on 127.0.0.1:${port} (ECONNREFUSED)`,
      fix: expect.stringContaining('sudo systemctl start hushpoint-hub'),
    });
    expect(report.exitCode).toBe(1);
  });
});
