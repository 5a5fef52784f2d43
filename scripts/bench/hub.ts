import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { computeEidHex } from '../../shared/eid/eid.ts';
import { CryptoRandomSource, uniformInt } from '../../shared/ports/random.ts';
import { presenceTopic } from '../../shared/protocol/topics.ts';
import { createStoreCa, issueServerCertificate } from '../../shared/tls/certificates.ts';
import { EidResolver } from '../../hub/shoppers/core/eid-resolver.ts';
import { hashCredential, importShoppers, openHubDatabase } from '../../hub/mod.ts';
import { benchPosImport } from './pos-import.ts';
import { peakRssMb } from './process-memory.ts';
import { buildRelease } from './release-build.ts';
import { median } from './stats.ts';

/**
 * `npm run bench -- hub [--json] [--runs N]`
 *
 *   sightingsPerSec        durable ingest end to end: 64 mqtt.js clients (one per gateway) publish
 *                          QoS 1 presence batches of 100 resolvable sightings over TLS to a hub in
 *                          its own process; sightings acknowledged per second (every PUBACK follows
 *                          the SQLite commit)
 *   bareSqliteRowsPerSec   the same rows inserted with better-sqlite3 alone into the same schema,
 *                          100 rows per transaction, measured in the same run right after
 *   resolverRebuildMs100k  rebuilding all the EID tables (previous, current, next period) for
 *                          100,000 shoppers with the ciphers cached (the boundary timer itself only
 *                          computes the one new period; printed too)
 *   peakRssMb              the hub process's peak resident set (VmHWM) during the ingest run
 *   posImportSeconds       the POS import of the whole Online Retail training file (370,931 lines)
 *                          into a fresh hub database, with its baseline posBareInsertSeconds (the
 *                          same rows, a bare better-sqlite3 INSERT in one transaction) measured in
 *                          the same run (pos-import.ts; docs/purchases.md#performance)
 *
 * The hub process runs the compiled release (release-build.ts: tsc output in .bench/release,
 * started as `node dist/cli/main.js hub`), which is what a store runs — not the sources under
 * the tsx dev loader, which adds ~55 MB of RSS and its own start-up work. One extra ingest run
 * under the dev loader (`node cli/hushpoint.mjs hub` in this checkout) is printed for
 * comparison; it is not part of the figures.
 *
 * Medians of `runs` runs. The presence finaliser's timer is set out of the way (this measures
 * ingest; a store's presence work is a few thousand sightings per window, not 250,000 per second).
 */

const CLIENTS = 64;
const SIGHTINGS_PER_BATCH = 100;
const BATCHES_PER_CLIENT = 80;
const IN_FLIGHT = 16;
const SHOPPERS = 10_000;
const RESOLVER_SHOPPERS = 100_000;
const STORE = 'bench-store';
/** The development launcher: the TypeScript sources under the tsx loader. */
const DEV_CLI = join(import.meta.dirname, '../../cli/hushpoint.mjs');

/** How the hub child is started: the compiled release's entry, or the dev launcher. */
interface HubLauncher {
  entry: string;
  label: string;
}

function randomKeys(n: number, rng: CryptoRandomSource): Buffer[] {
  const all = Buffer.alloc(n * 16);
  rng.fillBytes(all);
  return Array.from({ length: n }, (_, i) => all.subarray(i * 16, i * 16 + 16));
}

function resolverRebuild(runs: number, progress: (line: string) => void): number {
  const rng = new CryptoRandomSource();
  const resolver = new EidResolver();
  randomKeys(RESOLVER_SHOPPERS, rng).forEach((identityKey, pk) => resolver.upsert({ pk, identityKey, exponent: 9 }));
  const now = Math.floor(Date.now() / 1000);
  let started = performance.now();
  resolver.rebuild(now);
  progress(
    `resolver: first build for ${RESOLVER_SHOPPERS} shoppers (creating ciphers) ${(performance.now() - started).toFixed(0)} ms`,
  );
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    started = performance.now();
    resolver.rebuild(now + (i + 1) * 512);
    times.push(performance.now() - started);
  }
  progress(
    `resolver: full rebuild (3 periods), median of ${runs}: ${median(times).toFixed(1)} ms (${resolver.stats().entries} table entries)`,
  );
  // What the hub's boundary timer does: previous and current are cached, only the next period is new.
  const boundary: number[] = [];
  for (let i = 0; i < runs; i++) {
    started = performance.now();
    resolver.prepare(now + (runs + i + 1) * 512);
    boundary.push(performance.now() - started);
  }
  progress(`resolver: at a rotation boundary (1 new period), median of ${runs}: ${median(boundary).toFixed(1)} ms`);
  return median(times);
}

interface Workspace {
  dir: string;
  configFile: string;
  caPem: string;
  credential: string;
  batches: Buffer[][];
  rows: Array<[number, number, number]>;
}

async function prepare(tls: { ca: string; cert: string; key: string }, rng: CryptoRandomSource): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), 'hp-bench-hub-'));
  writeFileSync(join(dir, 'hub-cert.pem'), tls.cert);
  writeFileSync(join(dir, 'hub-key.pem'), tls.key, { mode: 0o600 });
  const configFile = join(dir, 'hub.yaml');
  writeFileSync(
    configFile,
    stringify({
      role: 'hub',
      store: STORE,
      database: 'hub.db',
      broker: {
        tls: { host: '127.0.0.1', port: 0, certFile: 'hub-cert.pem', keyFile: 'hub-key.pem' },
        publishRatePerSecond: 100_000,
        publishBurst: 100_000,
      },
      api: { enabled: false, port: 0 },
      presence: { finalizeIntervalMs: 600_000 },
      log: { level: 'info' },
    }),
  );
  const db = openHubDatabase(join(dir, 'hub.db'));
  // One credential for every bench gateway: one scrypt hash instead of 64.
  const credential = 'bench-credential-0123456789abcdef';
  const hash = await hashCredential(credential, rng);
  const insert = db.prepare('INSERT INTO gateways (id, zone, credential_hash, created_ms) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let c = 0; c < CLIENTS; c++) insert.run(`gw-${c}`, `zone-${c % 8}`, hash, Date.now());
  })();
  const keys = randomKeys(SHOPPERS, rng);
  importShoppers(
    db,
    keys.map((identityKey, i) => ({ id: `s-${i}`, identityKey, exponent: 9 })),
    Date.now(),
  );
  db.close();
  const now = Math.floor(Date.now() / 1000);
  const windowStart = now - (now % 10) - 10;
  const eids = keys.map((identityKey) => computeEidHex({ identityKey, exponent: 9, counter: windowStart }));
  const rows: Array<[number, number, number]> = [];
  const batches = Array.from({ length: CLIENTS }, (_, c) =>
    Array.from({ length: BATCHES_PER_CLIENT }, (_, b) => {
      const first = uniformInt(rng, SHOPPERS);
      const sightings = Array.from({ length: SIGHTINGS_PER_BATCH }, (_, i) => {
        const shopper = (first + i) % SHOPPERS;
        const band = uniformInt(rng, 3);
        const hits = 1 + uniformInt(rng, 20);
        rows.push([shopper + 1, band, hits]);
        return {
          eid: eids[shopper] as string,
          band: (['near', 'mid', 'far'] as const)[band] as 'near' | 'mid' | 'far',
          hits,
        };
      });
      return Buffer.from(
        JSON.stringify({ v: 1, gateway: `gw-${c}`, seq: b + 1, windowStart, windowSeconds: 10, sightings, dropped: 0 }),
      );
    }),
  );
  return { dir, configFile, caPem: tls.ca, credential, batches, rows };
}

function startHub(configFile: string, launcher: HubLauncher): Promise<{ child: ChildProcess; port: number }> {
  // HUSHPOINT_BENCH_HUB_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the hub process.
  const nodeArgs = (process.env.HUSHPOINT_BENCH_HUB_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
  // HUSHPOINT_CLI_ENTRY=1 is what cli/hushpoint.mjs sets before it imports dist/cli/main.js.
  const child = spawn(process.execPath, [...nodeArgs, launcher.entry, 'hub', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, HUSHPOINT_CLI_ENTRY: '1' },
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; ports?: { mqtts: number } };
        if (entry.msg === 'hub started' && entry.ports) resolve({ child, port: entry.ports.mqtts });
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`hub exited with ${code} before it started`)));
  });
}

async function ingestRun(
  ws: Workspace,
  launcher: HubLauncher,
): Promise<{ sightingsPerSec: number; peakRssMb: number; stored: number }> {
  const hub = await startHub(ws.configFile, launcher);
  const clients: MqttClient[] = [];
  try {
    for (let c = 0; c < CLIENTS; c++) {
      clients.push(
        await mqtt.connectAsync(`mqtts://127.0.0.1:${hub.port}`, {
          clientId: `gw-${c}`,
          username: `gw-${c}`,
          password: ws.credential,
          ca: ws.caPem,
          reconnectPeriod: 0,
        }),
      );
    }
    const started = performance.now();
    await Promise.all(
      clients.map(
        (client, c) =>
          new Promise<void>((resolve, reject) => {
            const batches = ws.batches[c] as Buffer[];
            const topic = presenceTopic(STORE, `gw-${c}`);
            let next = 0;
            let acked = 0;
            const send = (): void => {
              const payload = batches[next++] as Buffer;
              client.publish(topic, payload, { qos: 1 }, (error) => {
                if (error) return reject(error);
                acked++;
                if (acked === batches.length) resolve();
                else if (next < batches.length) send();
              });
            };
            for (let i = 0; i < IN_FLIGHT && next < batches.length; i++) send();
          }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const peak = peakRssMb(hub.child.pid as number);
    await Promise.all(clients.map((client) => client.endAsync()));
    hub.child.kill('SIGTERM');
    await new Promise((resolve) => hub.child.once('exit', resolve));
    const db = openHubDatabase(join(ws.dir, 'hub.db'), { readonly: true });
    const stored = (db.prepare('SELECT COUNT(*) AS n FROM sightings').get() as { n: number }).n;
    db.close();
    return { sightingsPerSec: ws.rows.length / seconds, peakRssMb: peak, stored };
  } finally {
    if (hub.child.exitCode === null) hub.child.kill('SIGKILL');
  }
}

/** The same rows, straight into the same schema with better-sqlite3: 100 rows per transaction. */
function bareSqlite(ws: Workspace): number {
  const file = join(ws.dir, 'bare.db');
  const db = openHubDatabase(file);
  const insert = db.prepare(
    'INSERT INTO sightings (window_start, window_seconds, shopper_pk, gateway, zone, band, hits) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const batch = db.transaction((rows: Array<[number, number, number]>, gateway: string) => {
    for (const [pk, band, hits] of rows) insert.run(1_790_000_000, 10, pk, gateway, 'zone-0', band, hits);
  });
  const started = performance.now();
  for (let i = 0; i < ws.rows.length; i += SIGHTINGS_PER_BATCH)
    batch(ws.rows.slice(i, i + SIGHTINGS_PER_BATCH), `gw-${(i / SIGHTINGS_PER_BATCH) % CLIENTS}`);
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return ws.rows.length / seconds;
}

export async function runBench(options: {
  runs: number;
  progress: (line: string) => void;
}): Promise<Record<string, number>> {
  const { runs, progress } = options;
  const rng = new CryptoRandomSource();
  const ca = createStoreCa(STORE);
  const server = issueServerCertificate(ca, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
  const tls = { ca: ca.certPem, cert: server.certPem, key: server.keyPem };
  const release: HubLauncher = { entry: join(await buildRelease(), 'cli', 'main.js'), label: 'compiled release' };
  const dev: HubLauncher = { entry: DEV_CLI, label: 'tsx dev loader' };

  const ingest: number[] = [];
  const bare: number[] = [];
  const rss: number[] = [];
  for (let run = 0; run < runs; run++) {
    const ws = await prepare(tls, rng);
    try {
      const result = await ingestRun(ws, release);
      if (result.stored !== ws.rows.length)
        throw new Error(`hub stored ${result.stored} sightings, expected ${ws.rows.length}`);
      const baseline = bareSqlite(ws);
      ingest.push(result.sightingsPerSec);
      bare.push(baseline);
      rss.push(result.peakRssMb);
      progress(
        `run ${run + 1}/${runs} (${release.label}): hub ${Math.round(result.sightingsPerSec)} sightings/s, bare SQLite ${Math.round(baseline)} rows/s (ratio ${(result.sightingsPerSec / baseline).toFixed(2)}), hub peak RSS ${result.peakRssMb.toFixed(0)} MB`,
      );
    } finally {
      rmSync(ws.dir, { recursive: true, force: true });
    }
  }
  const ws = await prepare(tls, rng);
  try {
    const result = await ingestRun(ws, dev);
    progress(
      `for comparison, one run under the ${dev.label} (not in the figures): hub ${Math.round(result.sightingsPerSec)} sightings/s, peak RSS ${result.peakRssMb.toFixed(0)} MB (compiled release, median: ${median(rss).toFixed(0)} MB)`,
    );
  } finally {
    rmSync(ws.dir, { recursive: true, force: true });
  }
  const resolverMs = resolverRebuild(runs, progress);
  const pos = benchPosImport(runs, progress);
  const figures = {
    sightingsPerSec: Math.round(median(ingest)),
    bareSqliteRowsPerSec: Math.round(median(bare)),
    resolverRebuildMs100k: Number(resolverMs.toFixed(1)),
    peakRssMb: Number(median(rss).toFixed(1)),
    ...pos,
  };
  progress(`median ratio hub / bare SQLite: ${median(ingest.map((v, i) => v / (bare[i] as number))).toFixed(2)}`);
  return figures;
}
