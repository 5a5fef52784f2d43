import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HubConfigSchema } from '../../hub/config.schema.ts';
import { scoreFlapping, scorePairs, type TruthPair } from '../../scripts/sim/core/score.ts';
import type { SightingRow } from '../../scripts/zone-accuracy/pipeline.ts';
import { replayPresence } from '../../scripts/zone-accuracy/replay.ts';

/**
 * The one-command demo, run as a newcomer runs it (through the npm bin launcher), short: every
 * part starts, the summary has its fields, and the process exits by itself leaving nothing
 * behind (its temporary store is removed).
 */
const LAUNCHER = fileURLToPath(new URL('../../cli/hushpoint.mjs', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function demo(args: string[], onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [LAUNCHER, 'demo', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HUSHPOINT_CLI_ENTRY: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('hushpoint demo', () => {
  it('runs a short store walk end to end and prints the summary as JSON', async () => {
    const zones = mkdtempSync(join(tmpdir(), 'hp-demo-zones-'));
    const run = await demo(['--minutes', '12', '--speed', '60', '--json', '--seed', 'smoke', '--save-zones', zones]);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ store: 'fashion-small', storeMinutes: 12 });
    for (const field of ['sightings', 'zoneAccuracy', 'visits', 'releases', 'offersShown', 'offersRedeemed'])
      expect(summary, field).toHaveProperty(field);
    expect(summary.sightings as number).toBeGreaterThan(0);
    expect(summary.visits as number).toBeGreaterThan(0);
    expect(summary.zoneAccuracy as number).toBeGreaterThan(0);
    expect(summary.zoneAccuracy as number).toBeLessThanOrEqual(1);
    expect(summary.zoneFlappingPerMinute as number).toBeGreaterThanOrEqual(0);
    // The saved sightings, replayed through the hub's presence model alone, give the hub's own score.
    const readJsonl = <T>(file: string): T[] =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as T);
    const truth = readJsonl<TruthPair>(join(zones, 'smoke', 'truth.jsonl'));
    const presence = HubConfigSchema.properties.presence.properties;
    const observed = replayPresence(readJsonl<SightingRow>(join(zones, 'smoke', 'sightings.jsonl')), {
      visitGapSeconds: presence.visitGapSeconds.default,
      switchPenalty: presence.switchPenalty.default,
      smoothingWindows: presence.smoothingWindows.default,
    });
    expect(Number((scorePairs(truth, observed).zoneAccuracy as number).toFixed(4))).toBe(summary.zoneAccuracy);
    expect(Number((scoreFlapping(truth, observed, 10).perMinute as number).toFixed(4))).toBe(
      summary.zoneFlappingPerMinute,
    );
    rmSync(zones, { recursive: true, force: true });
    // Every release the hub computed reached the collector, verified.
    expect(summary.releases as number).toBeGreaterThan(0);
    expect(summary.releases).toBe(summary.releasesComputed);
    expect((summary.doctor as { fail: number }).fail).toBe(0);
    // Progress went to stderr; the temporary store is gone.
    const dir = /provisioning store "[^"]+" in (\S+)/.exec(run.stderr)?.[1];
    expect(dir).toBeTruthy();
    expect(existsSync(dir as string)).toBe(false);
  });

  it('--keep-running serves the status page until SIGINT, then exits cleanly', async () => {
    let page: Promise<number> | null = null;
    const run = await demo(
      ['--minutes', '2', '--speed', '60', '--json', '--keep-running', '--seed', 'keep'],
      (stdout, child) => {
        if (page !== null || !stdout.includes('statusPageUrl')) return;
        const url = (JSON.parse(stdout) as { statusPageUrl: string }).statusPageUrl;
        page = new Promise<number>((resolve) => {
          const req = request(url, { rejectUnauthorized: false }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
            child.kill('SIGINT');
          });
          req.on('error', () => {
            resolve(-1);
            child.kill('SIGINT');
          });
          req.end();
        });
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(await page).toBe(200);
    const dir = /provisioning store "[^"]+" in (\S+)/.exec(run.stderr)?.[1];
    expect(existsSync(dir as string)).toBe(false);
  });
});
