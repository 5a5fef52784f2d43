import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway } from '../../gateway/app.ts';
import { gatewayWorkspace, recordMessages } from '../../gateway/testing/harness.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { parseTopic } from '../../shared/protocol/topics.ts';
import { startBroker } from '../helpers/broker.ts';
import { STORE_MORNING, buildStoreMorningTrace } from '../fixtures/traces/store-morning.ts';

/**
 * A stolen gateway SD card (docs/security.md, "A stolen gateway"): after a morning of real adverts
 * through noble into a real broker, the gateway's folder holds its config, its credential
 * (owner-only), the store CA and the outbox (owner-only) — no advertiser address in any spelling,
 * no identity key (the gateway never has one), and no EID of a window already delivered (the
 * outbox overwrites what it deletes). What was not delivered is exactly what is still there.
 */

const TRACE = fileURLToPath(STORE_MORNING.file);
let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** Every file under `dir` with its bytes (as hex and as text, lower case) and its mode. */
function sdCard(dir: string): Array<{ name: string; mode: number; hex: string; text: string }> {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const path = join(e.parentPath, e.name);
      const bytes = readFileSync(path);
      return {
        name: path.slice(dir.length + 1),
        mode: statSync(path).mode & 0o777,
        hex: bytes.toString('hex'),
        text: bytes.toString('latin1').toLowerCase(),
      };
    });
}

function addressForms(address: string): string[] {
  const bytes = address.toLowerCase().split(':');
  return [address.toLowerCase(), bytes.join(''), [...bytes].reverse().join(''), [...bytes].reverse().join(':')];
}

describe('a stolen gateway SD card', () => {
  it('after delivery: config, credential and an emptied outbox; no address and no delivered EID in any byte', async () => {
    const broker = await startBroker();
    cleanup.push(() => broker.close());
    const recorder = await recordMessages(broker.url, ['#']);
    cleanup.push(() => recorder.close());
    const ws = gatewayWorkspace({
      gateway: 'gw-entrance',
      hub: { url: broker.url },
      ble: { source: `replay:${TRACE}`, replaySpeed: 0 },
      window: { seconds: STORE_MORNING.windowSeconds, ...STORE_MORNING.settings },
    });
    cleanup.push(() => ws.remove());
    ws.writeConfig();
    const gateway = createGateway({ config: ws.config, resolvePath: ws.resolvePath, logger: silentLogger() });
    await gateway.start();
    await gateway.replayFinished;
    await recorder.until(
      (m) => m.filter((x) => parseTopic(x.topic)?.kind === 'presence').length >= STORE_MORNING.windows,
    );
    const deadline = Date.now() + 10_000;
    while (gateway.stats().outboxDepth > 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(gateway.stats().outboxDepth).toBe(0);
    await gateway.stop();

    const built = buildStoreMorningTrace();
    const files = sdCard(ws.dir);
    expect(files.map((f) => f.name).sort()).toEqual(['credential', 'gateway.yaml', 'outbox.db']);
    for (const f of files.filter((x) => x.name === 'credential' || x.name.startsWith('outbox')))
      expect(f.mode, f.name).toBe(0o600);
    for (const f of files) {
      for (const address of built.addresses)
        for (const form of addressForms(address)) {
          expect(f.text.includes(form), `${f.name} holds ${form}`).toBe(false);
          expect(f.hex.includes(form.replaceAll(':', '')), `${f.name} holds the bytes of ${address}`).toBe(false);
        }
      for (const eid of new Set(built.hits.map((h) => h.eid.toLowerCase()))) {
        expect(f.hex.includes(eid), `${f.name} still holds delivered EID ${eid}`).toBe(false);
        expect(f.text.includes(eid), `${f.name} still holds delivered EID ${eid} as text`).toBe(false);
      }
    }
  });

  it('with the hub away: the outbox holds the undelivered windows and nothing else', async () => {
    const ws = gatewayWorkspace({
      gateway: 'gw-entrance',
      hub: { url: 'mqtt://127.0.0.1:1' },
      ble: { source: `replay:${TRACE}`, replaySpeed: 0 },
      window: { seconds: STORE_MORNING.windowSeconds, ...STORE_MORNING.settings },
    });
    cleanup.push(() => ws.remove());
    const gateway = createGateway({ config: ws.config, resolvePath: ws.resolvePath, logger: silentLogger() });
    await gateway.start();
    await gateway.replayFinished;
    const deadline = Date.now() + 10_000;
    while (gateway.stats().windowsClosed < STORE_MORNING.windows && Date.now() < deadline)
      await new Promise((r) => setImmediate(r));
    expect(gateway.stats().outboxDepth).toBe(STORE_MORNING.windows);
    await gateway.stop();
    const built = buildStoreMorningTrace();
    const outbox = sdCard(ws.dir).filter((f) => f.name.startsWith('outbox'));
    // The windows waiting for the hub are there (their EIDs, coarse bands, counts) …
    const eids = [...new Set(built.hits.map((h) => h.eid.toLowerCase()))];
    expect(eids.some((eid) => outbox.some((f) => f.hex.includes(eid) || f.text.includes(eid)))).toBe(true);
    // … but no advertiser address, in any spelling.
    for (const f of outbox)
      for (const address of built.addresses)
        for (const form of addressForms(address)) expect(f.hex.includes(form.replaceAll(':', ''))).toBe(false);
  });
});
