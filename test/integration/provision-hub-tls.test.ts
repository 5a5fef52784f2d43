import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/load-config.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { createInjectedHciSource, gatewayRole } from '../../gateway/mod.ts';
import { createGateway } from '../../gateway/app.ts';
import { waitFor } from '../../gateway/testing/harness.ts';
import { hubRole } from '../../hub/mod.ts';
import { createHub, type Hub } from '../../hub/app.ts';
import { addGatewayToStore, initStore, revokeGatewayInStore, rotateGatewayInStore } from '../../provisioning/mod.ts';

/**
 * The done-when of provisioning: a hub started from the provisioned hub.yaml and a gateway
 * started from its provisioned bundle (gateway.yaml, ca.pem, credential) connect over TLS; after
 * rotate-gateway or revoke-gateway the hub refuses the old credential.
 */

const root = mkdtempSync(join(tmpdir(), 'hp-provision-tls-'));
const storeDir = join(root, 'store-1');
let hub: Hub;
let port: number;

beforeAll(async () => {
  await initStore({
    store: 'store-1',
    out: storeDir,
    hostnames: ['localhost'],
    ips: ['127.0.0.1'],
    mqttPort: 0,
    apiPort: 0,
  });
  const loaded = loadConfig(hubRole, join(storeDir, 'hub.yaml'));
  hub = createHub({ config: loaded.config, resolvePath: loaded.resolvePath, logger: silentLogger() });
  await hub.start();
  port = hub.ports.mqtts ?? 0;
  expect(port).toBeGreaterThan(0);
});

afterAll(async () => {
  await hub?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Connects like a gateway; resolves "connected" or the refusal/error code. */
async function tryConnect(options: { gateway: string; credential: string; host?: string }): Promise<string> {
  const client = mqtt.connect(`mqtts://${options.host ?? '127.0.0.1'}:${port}`, {
    protocolVersion: 4,
    clientId: `${options.gateway}-probe-${Math.floor(performance.now())}`,
    username: options.gateway,
    password: options.credential,
    ca: readFileSync(join(storeDir, 'ca.pem')),
    rejectUnauthorized: true,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  try {
    return await new Promise<string>((resolve) => {
      client.once('connect', () => resolve('connected'));
      client.once('error', (error: Error & { code?: string | number }) => resolve(String(error.code ?? error.message)));
    });
  } finally {
    await client.endAsync(true);
  }
}

function bundleCredential(gateway: string): string {
  return readFileSync(join(storeDir, 'gateways', gateway, 'credential'), 'utf8').trim();
}

describe('a provisioned store: hub and gateway over TLS', () => {
  it('the gateway started from its bundle connects to the hub started from hub.yaml, by IP and by host name', async () => {
    await addGatewayToStore({ storeDir, gateway: 'gw-1', zone: 'produce', hubUrl: `mqtts://127.0.0.1:${port}` });
    const loaded = loadConfig(gatewayRole, join(storeDir, 'gateways', 'gw-1', 'gateway.yaml'));
    expect(loaded.config.hub).toMatchObject({ caFile: 'ca.pem', credentialFile: 'credential' });
    // The bundle's outbox path is the Pi's /var/lib/hushpoint; this test keeps it in its temp folder.
    const config = { ...loaded.config, outbox: { ...loaded.config.outbox, path: join(root, 'outbox.db') } };
    const gateway = createGateway({
      config,
      resolvePath: loaded.resolvePath,
      ble: createInjectedHciSource().source,
      leds: null,
      logger: silentLogger(),
    });
    await gateway.start();
    try {
      await waitFor(() => gateway.stats().hubConnected, 'the provisioned gateway to connect');
      await waitFor(() => hub.gateways.get('gw-1')?.state === 'online', 'the hub to record the gateway online');
    } finally {
      await gateway.stop();
    }
    expect(await tryConnect({ gateway: 'gw-1', credential: bundleCredential('gw-1'), host: 'localhost' })).toBe(
      'connected',
    );
  });

  it('after rotate-gateway the old credential is refused and the new one in the bundle is accepted', async () => {
    const old = bundleCredential('gw-1');
    expect(await tryConnect({ gateway: 'gw-1', credential: old })).toBe('connected');
    await rotateGatewayInStore({ storeDir, gateway: 'gw-1' });
    const fresh = bundleCredential('gw-1');
    expect(fresh).not.toBe(old);
    expect(await tryConnect({ gateway: 'gw-1', credential: old })).toBe('4');
    expect(await tryConnect({ gateway: 'gw-1', credential: fresh })).toBe('connected');
  });

  it('after revoke-gateway its credential is refused; another gateway is unaffected', async () => {
    await addGatewayToStore({ storeDir, gateway: 'gw-2', zone: 'dairy', hubUrl: `mqtts://localhost:${port}` });
    const credential = bundleCredential('gw-1');
    await revokeGatewayInStore({ storeDir, gateway: 'gw-1' });
    expect(await tryConnect({ gateway: 'gw-1', credential })).toBe('5');
    expect(await tryConnect({ gateway: 'gw-2', credential: bundleCredential('gw-2') })).toBe('connected');
    // Another gateway's credential does not open gw-1, nor gw-1's open gw-2.
    expect(await tryConnect({ gateway: 'gw-2', credential })).toBe('4');
  });

  it('a running hub closes the live session of a gateway revoked or rotated by provisioning (another process)', async () => {
    await addGatewayToStore({ storeDir, gateway: 'gw-3', zone: 'bakery', hubUrl: `mqtts://127.0.0.1:${port}` });
    const live = async (): Promise<{ closed: Promise<void>; client: mqtt.MqttClient }> => {
      const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
        protocolVersion: 4,
        clientId: 'gw-3',
        username: 'gw-3',
        password: bundleCredential('gw-3'),
        ca: readFileSync(join(storeDir, 'ca.pem')),
        reconnectPeriod: 0,
      });
      return { client, closed: new Promise<void>((resolve) => client.once('close', () => resolve())) };
    };
    const first = await live();
    await rotateGatewayInStore({ storeDir, gateway: 'gw-3' });
    await first.closed; // within the hub's 2 s credential watch
    const second = await live(); // the new credential from the bundle works
    await revokeGatewayInStore({ storeDir, gateway: 'gw-3' });
    await second.closed;
    first.client.end(true);
    second.client.end(true);
  });
});
