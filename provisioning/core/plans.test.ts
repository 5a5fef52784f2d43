import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfig } from '../../shared/config/load-config.ts';
import { gatewayRole } from '../../gateway/config.schema.ts';
import { hubRole } from '../../hub/config.schema.ts';
import { planStoreFiles } from './store-plan.ts';
import { planGatewayBundle } from './gateway-bundle.ts';
import { formatMode } from './file-plan.ts';

const NOW = new Date('2026-11-28T10:00:00Z');
const material = {
  ca: { certPem: 'CA CERT', keyPem: 'CA KEY' },
  server: { certPem: 'HUB CERT', keyPem: 'HUB KEY' },
  signingKey: Uint8Array.from({ length: 32 }, (_, i) => i),
  linkKey: Uint8Array.from({ length: 32 }, (_, i) => 255 - i),
  technicianToken: 'technician-token-xxxxxxxx',
  adminToken: 'admin-token-xxxxxxxxxxxx',
};
const hubInput = {
  store: 'store-1',
  mqttPort: 8883,
  apiPort: 8443,
  hostnames: ['hub.store-1.local'],
  ips: ['192.168.1.10'],
};

describe('store folder plan', () => {
  const files = planStoreFiles(hubInput, material, NOW);
  const byPath = new Map(files.map((f) => [f.path, f]));

  it.each([
    ['ca.pem', '0644'],
    ['ca-key.pem', '0600'],
    ['hub-cert.pem', '0644'],
    ['hub-key.pem', '0600'],
    ['upstream-signing.key', '0600'],
    ['purchases-link.key', '0600'],
    ['technician.token', '0600'],
    ['admin.token', '0600'],
    ['hub.yaml', '0600'],
  ])('%s has mode %s', (path, mode) => {
    const file = byPath.get(path);
    expect(file, path).toBeDefined();
    expect(formatMode(file?.mode ?? 0)).toBe(mode);
  });

  it('holds the upstream signing key as 64 hex digits and refuses a key of another size', () => {
    expect(byPath.get('upstream-signing.key')?.content).toBe(`${Buffer.from(material.signingKey).toString('hex')}\n`);
    expect(() => planStoreFiles(hubInput, { ...material, signingKey: new Uint8Array(16) }, NOW)).toThrow(
      /16 bytes, expected 32/,
    );
  });

  it('holds the purchases link key as 64 hex digits, named in hub.yaml, and refuses a key of another size', () => {
    expect(byPath.get('purchases-link.key')?.content).toBe(`${Buffer.from(material.linkKey).toString('hex')}\n`);
    const checked = validateConfig(hubRole, parse(byPath.get('hub.yaml')?.content ?? ''));
    expect(checked.ok && checked.config.purchases).toMatchObject({ link: 'linked', linkKeyFile: 'purchases-link.key' });
    expect(() => planStoreFiles(hubInput, { ...material, linkKey: new Uint8Array(31) }, NOW)).toThrow(
      /the purchases link key is 31 bytes, expected 32/,
    );
  });

  it('writes a commented hub.yaml that is valid against the hub schema, with the TLS listener, tokens and database', () => {
    const text = byPath.get('hub.yaml')?.content ?? '';
    expect(text).toMatch(/^# hushpoint hub — store store-1/);
    expect(text).toContain('hub.store-1.local, 192.168.1.10');
    const checked = validateConfig(hubRole, parse(text));
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    expect(checked.config.broker.tls).toEqual({
      host: '0.0.0.0',
      port: 8883,
      certFile: 'hub-cert.pem',
      keyFile: 'hub-key.pem',
    });
    expect(checked.config.api).toMatchObject({
      port: 8443,
      technicianTokenFile: 'technician.token',
      adminTokenFile: 'admin.token',
    });
    expect(checked.config.database).toBe('hub.db');
  });
});

describe('hub.yaml and the upstream section', () => {
  it('names the signing key file in upstream (sync off) when the hub schema has that section, and omits it otherwise', () => {
    const text = (upstreamSection: boolean): string =>
      planStoreFiles({ ...hubInput, upstreamSection }, material, NOW).find((f) => f.path === 'hub.yaml')?.content ?? '';
    expect(parse(text(true)).upstream).toEqual({
      enabled: false,
      transport: 'https',
      signingKeyFile: 'upstream-signing.key',
    });
    expect(text(true)).toContain('# DP releases to head office');
    expect(parse(text(false)).upstream).toBeUndefined();
    const current = 'upstream' in hubRole.schema.properties;
    expect(validateConfig(hubRole, parse(text(current))).ok).toBe(true);
  });
});

describe('gateway bundle plan', () => {
  const input = { store: 'store-1', gateway: 'gw-3', zone: 'produce', hubUrl: 'mqtts://hub.store-1.local:8883' };
  const files = planGatewayBundle(
    input,
    { caCertPem: 'CA CERT', credential: 'c'.repeat(43), updateKeyPem: 'UPDATE KEY' },
    NOW,
  );
  const text = (path: string): string => files.find((f) => f.path === path)?.content ?? '';
  const mode = (path: string): string => formatMode(files.find((f) => f.path === path)?.mode ?? 0);

  it('has every file with safe modes', () => {
    expect(files.map((f) => f.path).sort()).toEqual([
      'README.txt',
      'ca.pem',
      'credential',
      'gateway.yaml',
      'hushpoint-gateway.service',
      'install.sh',
      'update-signing.pub.pem',
    ]);
    expect([
      mode('credential'),
      mode('install.sh'),
      mode('gateway.yaml'),
      mode('ca.pem'),
      mode('update-signing.pub.pem'),
    ]).toEqual(['0600', '0755', '0644', '0644', '0644']);
    expect(text('credential')).toBe(`${'c'.repeat(43)}\n`);
  });

  it('writes gateway.yaml valid against the gateway schema, secrets as paths relative to /etc/hushpoint', () => {
    const checked = validateConfig(gatewayRole, parse(text('gateway.yaml')));
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    expect(checked.config).toMatchObject({
      store: 'store-1',
      gateway: 'gw-3',
      zone: 'produce',
      hub: { url: 'mqtts://hub.store-1.local:8883', caFile: 'ca.pem', credentialFile: 'credential' },
    });
    expect(checked.config.outbox.path).toBe('/var/lib/hushpoint/outbox.db');
    expect(text('gateway.yaml')).not.toContain('c'.repeat(43));
  });

  it('writes a systemd unit that restarts on failure but not on a bad config, with BLE capabilities and its own user', () => {
    const unit = text('hushpoint-gateway.service');
    for (const line of [
      'Restart=on-failure',
      'RestartPreventExitStatus=78',
      'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN',
      'User=hushpoint',
      'WorkingDirectory=/var/lib/hushpoint',
      'ExecStart=/usr/bin/node /opt/hushpoint/current/cli/hushpoint.mjs gateway --config /etc/hushpoint/gateway.yaml',
      'Environment=HUSHPOINT_HEALTH_FILE=/var/lib/hushpoint/health.json',
      'WantedBy=multi-user.target',
    ])
      expect(unit.split('\n')).toContain(line);
  });

  it('writes an install script for Raspberry Pi OS that installs Node 20 and the release and enables the service', () => {
    const script = text('install.sh');
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    for (const fragment of [
      'set -euo pipefail',
      'NODE_MAJOR=20',
      'deb.nodesource.com/setup_$NODE_MAJOR.x',
      'npm ci --omit=dev',
      'APP_DIR=/opt/hushpoint',
      'useradd --system',
      'install -m 0640 -o root -g "$SERVICE_USER"',
      'systemctl enable "$SERVICE.service"',
      'systemctl restart "$SERVICE.service"',
      // The releases/ layout that hushpoint update apply keeps up (docs/updates.md).
      'mv "$stage" "$APP_DIR/releases/$version"',
      'mv -Tf "$APP_DIR/.current.tmp" "$APP_DIR/current"',
      'mv -Tf "$APP_DIR/.previous.tmp" "$APP_DIR/previous"',
      '"$APP_DIR/current/cli/hushpoint.mjs" gateway --config',
      'install -m 0644 -o root -g root "$BUNDLE_DIR/update-signing.pub.pem" "$CONFIG_DIR/update-signing.pub.pem"',
    ]) {
      expect(script).toContain(fragment);
    }
    // No template placeholder leaked into the script.
    expect(script).not.toMatch(/undefined|\[object Object\]/);
  });
});
