import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { HqStore } from '../../hq/mod.ts';
import type { SimulatedChain, SimulatedRelease } from '../../scripts/sim/chain/chain.ts';
import type { TestMosquitto } from '../../scripts/dev/mosquitto.ts';
import { LAUNCHER } from '../helpers/cli.ts';

/**
 * Helpers for HQ's chain tests on real Mosquitto and PostgreSQL: hq.yaml for consumers that run
 * as their own processes (`hushpoint hq consume`), waiting on HQ's counts with a deadline, and the
 * check that HQ's totals equal the sums of what the stores sent.
 */

export function writeHqYaml(
  dir: string,
  options: { chain: Pick<SimulatedChain, 'stores'>; broker: TestMosquitto; postgresUrl: string; connections?: number },
): string {
  writeFileSync(join(dir, 'postgres.url'), `${options.postgresUrl}\n`, { mode: 0o600 });
  const file = join(dir, 'hq.yaml');
  writeFileSync(
    file,
    stringify({
      role: 'hq',
      postgres: { urlFile: 'postgres.url', poolSize: 4 },
      listen: { host: '127.0.0.1', port: 0 },
      mqtt: {
        url: options.broker.url,
        caFile: options.broker.caFile,
        username: options.broker.files.consumer.username,
        passwordFile: options.broker.files.consumer.passwordFile,
        connections: options.connections ?? 8,
      },
      stores: options.chain.stores.map((s) => ({ id: s.id, group: s.group })),
      log: { level: 'warn' },
    }),
  );
  return file;
}

export interface ConsumerProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `hushpoint hq consume --config FILE --consumer-id ID` as a child process, once it is consuming. */
export async function startConsumerProcess(config: string, id: string): Promise<ConsumerProcess> {
  const child = spawn(process.execPath, [LAUNCHER, 'hq', 'consume', '--config', config, '--consumer-id', id], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HUSHPOINT_CLI_ENTRY: '' },
  });
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (output.join('').includes(`hq consumer ${id} consuming`)) resolve();
    };
    child.stderr?.on('data', check);
    child.once('exit', (code) => reject(new Error(`consumer ${id} exited with ${code}: ${output.join('')}`)));
  });
  return {
    child,
    output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      await exited;
    },
  };
}

/** `hushpoint hq consume --leave`: drains the consumer's sessions, ends them, exits; its output. */
export async function leaveConsumer(config: string, id: string): Promise<string> {
  const child = spawn(
    process.execPath,
    [LAUNCHER, 'hq', 'consume', '--config', config, '--consumer-id', id, '--leave'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HUSHPOINT_CLI_ENTRY: '' },
    },
  );
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  if (code !== 0) throw new Error(`consumer ${id} --leave exited with ${code}: ${output.join('')}`);
  return output.join('');
}

/** Polls `condition` until it holds or the deadline passes (then throws with `describe()`). */
export async function until(
  condition: () => Promise<boolean>,
  options: { ms: number; describe: () => Promise<string> | string },
) {
  const deadline = Date.now() + options.ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${options.ms} ms: ${await options.describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Σ value per (store, kind, metric, window, cell) of what the stores sent. */
export function sentTotals(releases: readonly SimulatedRelease[]): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const r of releases) {
    const p = JSON.parse(r.body.toString()) as {
      window: { start: string };
      cells: string[];
      measures: Array<{ metric: string; values: number[] }>;
    };
    for (const m of p.measures)
      p.cells.forEach((cell, i) => {
        const key = [r.store, r.kind, m.metric, p.window.start.slice(0, 16), cell].join('|');
        sums.set(key, (sums.get(key) ?? 0n) + BigInt(m.values[i] as number));
      });
  }
  return sums;
}

/** The same sums as HQ's database holds them (kind by kind, per store). */
export async function storedTotals(store: HqStore, kinds: readonly string[]): Promise<Map<string, bigint>> {
  const sums = new Map<string, bigint>();
  for (const kind of kinds) {
    const rows = await store.aggregateCells({
      kind,
      fromDate: '2000-01-01',
      toDate: '2100-01-01',
      stores: null,
      byStore: true,
    });
    for (const row of rows) sums.set([row.store, kind, row.metric, row.localStart, row.cell].join('|'), row.total);
  }
  return sums;
}

export const KINDS = ['footfall', 'visits', 'conversion', 'dwell', 'repeat', 'transitions', 'offer-response'] as const;
