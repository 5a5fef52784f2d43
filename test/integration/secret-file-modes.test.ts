import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHub } from '../../hub/app.ts';
import { readHubSecrets } from '../../gateway/link/hub-secrets.ts';
import { gatewayWorkspace } from '../../gateway/testing/harness.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { writeHubFiles } from '../helpers/hub-fixtures.ts';
import { startTestHq } from './hq-fixtures.ts';

/**
 * Secrets at rest (docs/security.md): hub, gateway and HQ refuse to start on a token, credential,
 * private key or signing key that other users of the machine can read, naming the file, its mode
 * and the chmod that fixes it; a service group may read (0640).
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function startHubIn(files: ReturnType<typeof writeHubFiles>): Promise<void> {
  const hub = createHub({
    config: files.config,
    resolvePath: (p) => (p.startsWith('/') ? p : join(files.dir, p)),
    logger: silentLogger(),
  });
  cleanups.push(() => hub.stop().catch(() => undefined));
  await hub.start();
}

describe('secret files readable by others are refused at start', () => {
  it('hub: the admin token and the TLS key', async () => {
    const files = writeHubFiles();
    cleanups.push(() => rmSync(files.dir, { recursive: true, force: true }));
    chmodSync(join(files.dir, 'admin.token'), 0o644);
    await expect(startHubIn(files)).rejects.toThrow(
      /admin token file ".*admin\.token" has mode 0644: other users can read it, expected 0600 \(or 0640\); run chmod 600/,
    );
    chmodSync(join(files.dir, 'admin.token'), 0o600);
    chmodSync(join(files.dir, 'hub-key.pem'), 0o604);
    await expect(startHubIn(files)).rejects.toThrow(/broker key ".*hub-key\.pem" has mode 0604/);
    chmodSync(join(files.dir, 'hub-key.pem'), 0o640);
    await expect(startHubIn(files)).resolves.toBeUndefined();
  });

  it('gateway: the hub credential (a group that may write it is refused too)', () => {
    const ws = gatewayWorkspace({ hub: { url: 'mqtt://127.0.0.1:1883' } });
    cleanups.push(() => ws.remove());
    expect(readHubSecrets(ws.config, ws.resolvePath).credential).toBe('test-credential-0123456789');
    chmodSync(join(ws.dir, 'credential'), 0o660);
    expect(() => readHubSecrets(ws.config, ws.resolvePath)).toThrow(/has mode 0660: other users can change it/);
    chmodSync(join(ws.dir, 'credential'), 0o644);
    expect(() => readHubSecrets(ws.config, ws.resolvePath)).toThrow(
      /\/hub\/credentialFile file ".*credential" has mode 0644/,
    );
  });

  it("HQ: a store's signing key and the analyst token", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hp-hq-secrets-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const chain = { stores: [{ id: 'store-001', group: 'north' }] };
    const ok = await startTestHq({ chain, token: 'analyst-token-0123456789', dir });
    await ok.stop();
    chmodSync(join(dir, 'store-001.key'), 0o644);
    await expect(startTestHq({ chain, token: 'analyst-token-0123456789', dir })).rejects.toThrow(
      /signing key of store "store-001" file ".*store-001\.key" has mode 0644/,
    );
    chmodSync(join(dir, 'store-001.key'), 0o600);
    writeFileSync(join(dir, 'analyst.token'), 'analyst-token-0123456789\n', { mode: 0o644 });
    chmodSync(join(dir, 'analyst.token'), 0o644);
    await expect(startTestHq({ chain, token: 'analyst-token-0123456789', dir })).rejects.toThrow(
      /analyst token file ".*analyst\.token" has mode 0644/,
    );
  });
});
