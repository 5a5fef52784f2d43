import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../shared/config/load-config.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { generateSigningKey } from '../../shared/upstream/signing.ts';
import { classifyRelease } from '../../hq/ingest/core/classify.ts';
import { createHq, hqRole, sha256Of, type Hq, type HqConfig, type IncomingRelease } from '../../hq/mod.ts';
import type { SimulatedChain } from '../../scripts/sim/chain/chain.ts';

/**
 * A real HQ for the integration tests: hq.yaml values for the simulated chain's stores (with
 * their groups), SQLite in a temporary directory or a PostgreSQL database, HTTP on loopback,
 * port 0; optionally an mqtt section.
 */

export interface TestHq {
  hq: Hq;
  dir: string;
  url: string;
  stop(): Promise<void>;
}

export interface TestHqOptions {
  readonly chain: Pick<SimulatedChain, 'stores'>;
  readonly postgresUrl?: string;
  readonly token?: string;
  readonly mqtt?: Record<string, unknown>;
  readonly clock?: Clock;
  readonly serve?: boolean;
  readonly consumerId?: string;
  readonly dir?: string;
  /** hq.yaml's databaseMaxMb (SQLite only). */
  readonly databaseMaxMb?: number;
}

export async function startTestHq(options: TestHqOptions): Promise<TestHq> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'hp-hq-'));
  if (options.postgresUrl !== undefined)
    writeFileSync(join(dir, 'postgres.url'), `${options.postgresUrl}\n`, { mode: 0o600 });
  if (options.token !== undefined) writeFileSync(join(dir, 'analyst.token'), `${options.token}\n`, { mode: 0o600 });
  for (const s of options.chain.stores)
    writeFileSync(join(dir, `${s.id}.key`), `${generateSigningKey(new SeededRandomSource(s.id))}\n`, { mode: 0o600 });
  const document = {
    role: 'hq',
    database: 'hq.db',
    ...(options.databaseMaxMb !== undefined ? { databaseMaxMb: options.databaseMaxMb } : {}),
    ...(options.postgresUrl !== undefined ? { postgres: { urlFile: 'postgres.url', poolSize: 4 } } : {}),
    listen: { host: '127.0.0.1', port: 0 },
    ...(options.token !== undefined ? { api: { tokenFile: 'analyst.token' } } : {}),
    ...(options.mqtt !== undefined ? { mqtt: options.mqtt } : {}),
    stores: options.chain.stores.map((s) => ({ id: s.id, group: s.group, signingKeyFile: `${s.id}.key` })),
    log: { level: 'silent' },
  };
  const checked = validateConfig(hqRole, document);
  if (!checked.ok) throw new Error(`test HQ config invalid: ${JSON.stringify(checked.problems)}`);
  const hq = createHq({
    config: checked.config as HqConfig,
    resolvePath: (p) => (p.startsWith('/') ? p : join(dir, p)),
    logger: silentLogger(),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.serve !== undefined ? { serve: options.serve } : {}),
    ...(options.consumerId !== undefined ? { consumerId: options.consumerId } : {}),
  });
  const port = await hq.start();
  return {
    hq,
    dir,
    url: `http://127.0.0.1:${port ?? 0}`,
    async stop() {
      await hq.stop();
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Simulated releases as HQ's ingest sees them (classified against their topic). */
export function incomingOf(releases: SimulatedChain['releases']): IncomingRelease[] {
  return releases.map((r) => {
    const classified = classifyRelease(r.body, { topic: r.topic, knownStores: null });
    if (!classified.ok) throw new Error(`simulated release refused: ${classified.reason}`);
    return { normalized: classified.release, body: r.body, sha256: sha256Of(r.body), source: 'file' };
  });
}

export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; type: string }> {
  const res = await fetch(url, { headers });
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  return { status: res.status, type, body: type.includes('json') ? (JSON.parse(text) as unknown) : text };
}
