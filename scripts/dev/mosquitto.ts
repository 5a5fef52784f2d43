import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { RandomSource } from '../../shared/ports/random.ts';
import { createStoreCa, issueServerCertificate } from '../../shared/tls/certificates.ts';
import { writeBrokerFiles, type BrokerFiles } from '../../hq/broker/mosquitto-files.ts';

/**
 * A chain broker for tests and benchmarks: Debian's mosquitto with the files HQ generates for
 * production (hq/broker: password file, ACL, persistence), TLS with a throw-away CA (shared/tls),
 * on a free port of 127.0.0.1. `restart()` stops it with SIGTERM (it saves its sessions) and
 * starts it again on the same port; `kill()` is SIGKILL.
 */

export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface TestMosquitto {
  readonly url: string;
  readonly port: number;
  readonly caPem: string;
  readonly caFile: string;
  readonly files: BrokerFiles;
  readonly log: string[];
  restart(): Promise<void>;
  stopBroker(): Promise<void>;
  startBroker(): Promise<void>;
  stop(): Promise<void>;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as import('node:net').AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startTestMosquitto(options: {
  stores: readonly string[];
  rng: RandomSource;
}): Promise<TestMosquitto> {
  if (!existsSync(MOSQUITTO))
    throw new Error(`${MOSQUITTO} is missing: install Debian's mosquitto package (apt-get install mosquitto)`);
  const dir = mkdtempSync(join(tmpdir(), 'hp-mosquitto-'));
  const ca = createStoreCa('chain-broker');
  const server = issueServerCertificate(ca, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
  const tls = {
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'broker-cert.pem'),
    keyFile: join(dir, 'broker-key.pem'),
  };
  writeFileSync(tls.caFile, ca.certPem);
  writeFileSync(tls.certFile, server.certPem);
  writeFileSync(tls.keyFile, server.keyPem, { mode: 0o600 });
  const port = await freePort();
  const files = await writeBrokerFiles(join(dir, 'broker'), {
    stores: options.stores,
    rng: options.rng,
    host: '127.0.0.1',
    port,
    tls,
    // As root (CI), stay root: the test's files are root's.
    ...(userInfo().uid === 0 ? { user: 'root' } : {}),
  });
  const log: string[] = [];
  let child: ChildProcess | null = null;

  async function startBroker(): Promise<void> {
    const c = spawn(MOSQUITTO, ['-c', files.confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    const collect = (d: Buffer) => log.push(...d.toString().trim().split('\n'));
    c.stdout?.on('data', collect);
    c.stderr?.on('data', collect);
    const started = Date.now();
    while (!(await listening(port))) {
      if (c.exitCode !== null || Date.now() - started > 10_000)
        throw new Error(`mosquitto did not start on ${port}: ${log.slice(-10).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async function stopBroker(): Promise<void> {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    await exited;
  }

  await startBroker();
  return {
    url: `mqtts://127.0.0.1:${port}`,
    port,
    caPem: ca.certPem,
    caFile: tls.caFile,
    files,
    log,
    async restart() {
      await stopBroker();
      await startBroker();
    },
    stopBroker,
    startBroker,
    async stop() {
      await stopBroker();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
