import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon, { type Request } from 'autocannon';
import { stringify } from 'yaml';
import { createStoreCa, issueServerCertificate } from '../../shared/tls/certificates.ts';
import { compileRelease, buildRelease } from './release-build.ts';
import { median } from './stats.ts';

/**
 * `npm run bench -- api [--json] [--runs N]`: requests per second of the hub's HTTPS API, this
 * checkout against a baseline commit, in the same run on the same machine.
 *
 * Both hubs run the compiled release (release-build.ts) in their own process with TLS, as a
 * store runs them; the baseline is the commit HUSHPOINT_BENCH_API_BASELINE names (default
 * API_BASELINE below: the last commit with the hand-written router on node:https), unpacked with
 * `git archive` into a temporary folder and compiled the same way. Load: autocannon, 16
 * keep-alive connections, DURATION_S seconds per route, the variants interleaved (their order
 * alternates by run), each with 50 shoppers enrolled through the API. Every response must carry
 * the route's expected status, or the run fails.
 *
 *   <route>PerSec, <route>BaselinePerSec, <route>Ratio   medians of `runs` runs
 */

/** The last commit of the hub's hand-written HTTP router (before Fastify, docs/http-api.md). */
const API_BASELINE = 'b5f39ba405cd6ac5a99a878cbd86b48decd39695';
const DURATION_S = 3;
const CONNECTIONS = 16;
const SHOPPERS = 50;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TECHNICIAN_TOKEN = 'bench-technician-token-0123456789abcdef';
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

interface RouteLoad {
  name: string;
  method: 'GET' | 'PUT';
  path: string;
  /** Whose bearer token: a shopper's (rotating), the technician's, or none. */
  auth: 'shopper' | 'technician' | 'none';
  body?: string;
  expect: number;
}

const ROUTES: RouteLoad[] = [
  { name: 'me', method: 'GET', path: '/v1/me', auth: 'shopper', expect: 200 },
  {
    name: 'preferencesPut',
    method: 'PUT',
    path: '/v1/me/preferences',
    auth: 'shopper',
    body: JSON.stringify({ categories: ['shoes', 'coats'], brands: ['Acme'] }),
    expect: 200,
  },
  {
    name: 'badRequest',
    method: 'PUT',
    path: '/v1/me/preferences',
    auth: 'shopper',
    body: JSON.stringify({ categories: 'shoes' }),
    expect: 400,
  },
  { name: 'unauthorized', method: 'GET', path: '/v1/me', auth: 'none', expect: 401 },
  { name: 'technicianStatus', method: 'GET', path: '/v1/technician/status', auth: 'technician', expect: 200 },
];

interface RunningHub {
  label: string;
  child: ChildProcess;
  port: number;
  tokens: string[];
  dir: string;
}

/** The baseline checkout, unpacked and compiled; returns its compiled CLI entry. */
async function baselineEntry(ref: string, progress: (line: string) => void): Promise<{ entry: string; sha: string }> {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `hushpoint-bench-api-${sha.slice(0, 12)}`);
  const entry = join(dir, '.bench', 'release', 'dist', 'cli', 'main.js');
  if (!existsSync(entry)) {
    progress(`baseline ${ref} (${sha.slice(0, 12)}): unpacking and compiling in ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['archive', '--format=tar', sha], { cwd: ROOT, maxBuffer: 256 << 20 });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    await compileRelease(dir, join(dir, '.bench', 'release'));
  }
  return { entry, sha };
}

function startHub(label: string, entry: string, tls: { cert: string; key: string }): Promise<RunningHub> {
  const dir = mkdtempSync(join(tmpdir(), 'hp-bench-api-'));
  writeFileSync(join(dir, 'hub-cert.pem'), tls.cert);
  writeFileSync(join(dir, 'hub-key.pem'), tls.key, { mode: 0o600 });
  writeFileSync(join(dir, 'technician.token'), `${TECHNICIAN_TOKEN}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'admin.token'), `${ADMIN_TOKEN}\n`, { mode: 0o600 });
  const configFile = join(dir, 'hub.yaml');
  writeFileSync(
    configFile,
    stringify({
      role: 'hub',
      store: 'bench-store',
      database: 'hub.db',
      broker: { tls: { host: '127.0.0.1', port: 0, certFile: 'hub-cert.pem', keyFile: 'hub-key.pem' } },
      api: {
        host: '127.0.0.1',
        port: 0,
        technicianTokenFile: 'technician.token',
        adminTokenFile: 'admin.token',
        // The 401 route measures the router, not the failed-auth limit (the baseline has none).
        ...(label === 'current' ? { failedAuth: { perMinute: 1_000_000, burst: 1_000_000 } } : {}),
      },
      log: { level: 'info' },
    }),
  );
  // HUSHPOINT_CLI_ENTRY=1 is what cli/hushpoint.mjs sets before it imports dist/cli/main.js.
  const child = spawn(process.execPath, [entry, 'hub', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, HUSHPOINT_CLI_ENTRY: '1' },
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; ports?: { api: number | null } };
        if (entry.msg === 'hub started' && typeof entry.ports?.api === 'number')
          resolve({ label, child, port: entry.ports.api, tokens: [], dir });
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`the ${label} hub exited with ${code} before it started`)));
  });
}

async function enroll(hub: RunningHub): Promise<void> {
  const result = await autocannon({
    url: `https://127.0.0.1:${hub.port}`,
    connections: 1,
    amount: SHOPPERS,
    requests: [
      {
        method: 'POST',
        path: '/v1/shoppers',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ consent: { presenceForOffers: true, analytics: true } }),
        onResponse: (status: number, body: string) => {
          if (status === 201) hub.tokens.push((JSON.parse(body) as { token: string }).token);
        },
      },
    ],
  });
  if (hub.tokens.length !== SHOPPERS)
    throw new Error(
      `the ${hub.label} hub enrolled ${hub.tokens.length} shoppers, expected ${SHOPPERS} (${result.non2xx} non-2xx answers)`,
    );
}

async function load(hub: RunningHub, route: RouteLoad): Promise<number> {
  let next = 0;
  const authorization = (): string | undefined =>
    route.auth === 'shopper'
      ? `Bearer ${hub.tokens[next++ % hub.tokens.length] as string}`
      : route.auth === 'technician'
        ? `Bearer ${TECHNICIAN_TOKEN}`
        : undefined;
  const result = await autocannon({
    url: `https://127.0.0.1:${hub.port}`,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [
      {
        method: route.method,
        path: route.path,
        setupRequest: (request: Request): Request => {
          const auth = authorization();
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (auth !== undefined) headers.authorization = auth;
          return { ...request, headers, ...(route.body === undefined ? {} : { body: route.body }) };
        },
      },
    ],
  });
  const codes = Object.entries(result.statusCodeStats as Record<string, { count: number }>);
  const wrong = codes.filter(([code]) => Number(code) !== route.expect);
  if (wrong.length > 0 || result.errors > 0 || result.timeouts > 0)
    throw new Error(
      `${hub.label} ${route.method} ${route.path}: expected only ${route.expect}, got ${JSON.stringify(Object.fromEntries(codes.map(([c, v]) => [c, v.count])))}, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  return result.requests.total / (result.duration as number);
}

async function stop(hub: RunningHub): Promise<void> {
  if (hub.child.exitCode === null) {
    hub.child.kill('SIGTERM');
    await new Promise((resolve) => hub.child.once('exit', resolve));
  }
  rmSync(hub.dir, { recursive: true, force: true });
}

export async function runBench(options: {
  runs: number;
  progress: (line: string) => void;
}): Promise<Record<string, number | string>> {
  const { runs, progress } = options;
  const ref = process.env.HUSHPOINT_BENCH_API_BASELINE ?? API_BASELINE;
  const ca = createStoreCa('bench-store');
  const server = issueServerCertificate(ca, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
  const tls = { cert: server.certPem, key: server.keyPem };
  const current = join(await buildRelease(), 'cli', 'main.js');
  const baseline = await baselineEntry(ref, progress);
  const hubs = [await startHub('baseline', baseline.entry, tls), await startHub('current', current, tls)];
  const rates = new Map<string, { current: number[]; baseline: number[] }>(
    ROUTES.map((r) => [r.name, { current: [], baseline: [] }]),
  );
  try {
    for (const hub of hubs) await enroll(hub);
    for (let run = 0; run < runs; run++) {
      for (const route of ROUTES) {
        const order = run % 2 === 0 ? hubs : [...hubs].reverse();
        for (const hub of order) {
          const rate = await load(hub, route);
          rates.get(route.name)?.[hub.label as 'current' | 'baseline'].push(rate);
        }
        const r = rates.get(route.name) as { current: number[]; baseline: number[] };
        progress(
          `run ${run + 1}/${runs} ${route.method} ${route.path} (${route.expect}): ${Math.round(r.current.at(-1) as number)}/s, baseline ${Math.round(r.baseline.at(-1) as number)}/s`,
        );
      }
    }
  } finally {
    await Promise.all(hubs.map(stop));
  }
  const figures: Record<string, number | string> = { baselineCommit: baseline.sha.slice(0, 12) };
  for (const [name, r] of rates) {
    figures[`${name}PerSec`] = Math.round(median(r.current));
    figures[`${name}BaselinePerSec`] = Math.round(median(r.baseline));
    figures[`${name}Ratio`] = Number(median(r.current.map((v, i) => v / (r.baseline[i] as number))).toFixed(2));
  }
  return figures;
}
