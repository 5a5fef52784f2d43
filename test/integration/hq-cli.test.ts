import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { rational } from '../../shared/privacy/rational.ts';
import { encodeReleasePayloadV2 } from '../../shared/upstream/release-payload-v2.ts';
import { parseSigningKey, signedHeaders } from '../../shared/upstream/signing.ts';
import { buildReleasePayload } from '../../hub/privacy/core/build-payload.ts';
import { calibrateRelease } from '../../hub/privacy/core/calibrate.ts';
import { localDay, windowOfDay } from '../../shared/time/local-calendar.ts';
import { post } from './upstream-fixtures.ts';

/** `hushpoint collector --config collector.yaml` as a process, and `hushpoint collector totals`. */

const run = promisify(execFile);
const LAUNCHER = fileURLToPath(new URL('../../cli/hushpoint.mjs', import.meta.url));
const KEY = 'ab'.repeat(32);

function writeConfig(dir: string, extra = ''): string {
  writeFileSync(join(dir, 'store-1.key'), `${KEY}\n`, { mode: 0o600 });
  const file = join(dir, 'hq.yaml');
  writeFileSync(
    file,
    `role: hq\ndatabase: hq.db\nlisten: { port: 0 }\nstores:\n  - { id: store-1, signingKeyFile: store-1.key }\nlog: { level: warn }\n${extra}`,
  );
  return file;
}

describe('hushpoint hq', () => {
  it('checks its config: every problem on its own line with its pointer, exit 78', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hp-collector-cli-'));
    try {
      const { stdout } = await run(process.execPath, [LAUNCHER, 'hq', '--check-config', '--config', writeConfig(dir)]);
      expect(stdout).toMatch(/valid hq config/);
      // The old name still works, and says it is an alias.
      const alias = await run(process.execPath, [
        LAUNCHER,
        'collector',
        '--check-config',
        '--config',
        writeConfig(dir),
      ]);
      expect(alias.stdout).toMatch(/valid hq config/);
      expect(alias.stderr).toMatch(/"hushpoint collector" is an alias of "hushpoint hq"/);
      const bad = join(dir, 'bad.yaml');
      writeFileSync(
        bad,
        'role: collector\nstores:\n  - { id: Store_1, signingKeyFile: k }\n  - { id: s2, signingKey: k }\nlisten: { port: 70000 }\n',
      );
      const failure = await run(process.execPath, [LAUNCHER, 'hq', '--check-config', '--config', bad]).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure?.code).toBe(78);
      const lines = failure?.stderr.trim().split('\n') ?? [];
      expect(lines).toHaveLength(3);
      expect(lines).toEqual(
        expect.arrayContaining([
          `${bad}: /listen/port is 70000, expected <= 65535`,
          expect.stringMatching(/bad\.yaml: \/stores\/0\/id is "Store_1", expected a string matching/),
          `${bad}: /stores/1/signingKey is not allowed here (unknown field; check the spelling)`,
        ]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs, stores a signed release, stops on SIGTERM, and prints totals', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hp-collector-cli-'));
    const config = writeConfig(dir);
    const child = spawn(process.execPath, [LAUNCHER, 'hq', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stderr.on('data', (d: Buffer) => {
          text += d.toString();
          const match = /hq listening on (http:\/\/127\.0\.0\.1:\d+\/v1\/releases)/.exec(text);
          if (match) resolve(match[1] as string);
        });
        child.on('exit', (code) => reject(new Error(`collector exited with ${code}: ${text}`)));
      });
      const release = calibrateRelease({
        cells: ['bakery', 'dairy'],
        measures: [{ metric: 'shoppers', query: 'count', share: rational(1n) }],
        maxCellsPerShopper: 8,
        rho: rational(1n, 20n),
        mechanism: 'discrete-gaussian',
      });
      const now = Date.now();
      const body = encodeReleasePayloadV2(
        buildReleasePayload({
          store: 'store-1',
          kind: 'footfall',
          window: windowOfDay(localDay(now, 'UTC') - 1, 'day', 'quarter', 'UTC'),
          timeZone: 'UTC',
          computedMs: now,
          release,
          values: [[7, -2]],
          delta: 1e-6,
        }),
      );
      const id = (JSON.parse(body.toString()) as { release: string }).release;
      const headers = signedHeaders(parseSigningKey(KEY, 'k'), {
        store: 'store-1',
        releaseId: id,
        body,
        timestamp: Math.floor(now / 1000),
      });
      expect(await post(url, headers, body)).toMatchObject({ status: 201 });
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code).toBe(0);

      const { stdout } = await run(process.execPath, [LAUNCHER, 'hq', 'totals', '--config', config, '--periods']);
      expect(stdout).toMatch(/store-1 {2}footfall\/shoppers {2}\(count per day, 1 release, 2 cells\)/);
      expect(stdout).toMatch(/total {2}raw 5 \(noise sd ≤ [\d.]+\) {2}consistent 5/);
      expect(stdout).toMatch(/bakery +raw +7 +consistent +5/);
      expect(stdout).toMatch(/dairy +raw +-2 +consistent +0/);
      const { stdout: json } = await run(process.execPath, [
        LAUNCHER,
        'hq',
        'totals',
        '--config',
        config,
        '--json',
        '--kind',
        'dwell',
      ]);
      expect(JSON.parse(json)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
