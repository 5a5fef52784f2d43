import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTraceLine } from '../../shared/ble/trace.ts';
import { runCommand, type CliIo } from '../../shared/cli/command.ts';
import { simCommand } from '../../cli/commands/sim.ts';
import type { ShoppersFile, Summary } from '../../scripts/sim/generate.ts';
import type { TruthRecord } from '../../scripts/sim/core/truth.ts';

const SMALL = fileURLToPath(new URL('../../scripts/stores/fashion-small.yaml', import.meta.url));

async function sim(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => {
      out += t.endsWith('\n') ? t : `${t}\n`;
    },
    err: (t) => {
      err += t.endsWith('\n') ? t : `${t}\n`;
    },
  };
  const code = await runCommand(simCommand, args, { io, path: 'hushpoint sim' });
  return { code, out, err };
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hp-sim-'));
  made.push(dir);
  return dir;
}

function files(dir: string): string[] {
  return [...readdirSync(join(dir, 'traces')).map((f) => `traces/${f}`), 'truth.jsonl', 'shoppers.json'].sort();
}

describe('hushpoint sim generate', () => {
  const a = tmp();
  const b = tmp();
  const c = tmp();
  const args = ['--store', SMALL, '--minutes', '6', '--start', '2026-11-28T12:00:00Z'];

  it('writes traces, truth, shoppers and summary; byte-identical for one seed, different for another', async () => {
    const first = await sim('generate', ...args, '--seed', '42', '--out', a);
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toMatch(/^wrote 6 traces, truth\.jsonl, shoppers\.json and summary\.json in /);
    expect(first.out).toMatch(/adverts written \d+ \(\d+ transmitted\) in [\d.]+ s: \d+ adverts\/s/);
    expect((await sim('generate', ...args, '--seed', '42', '--out', b)).code).toBe(0);
    expect((await sim('generate', ...args, '--seed', '43', '--out', c)).code).toBe(0);
    expect(files(a)).toHaveLength(8);
    for (const f of files(a)) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
    const differing = files(a).filter((f) => !readFileSync(join(c, f)).equals(readFileSync(join(a, f))));
    expect(differing).toEqual(files(a));
  });

  it('traces are in the replay format, one per gateway, sorted by time, and the summary counts them', () => {
    const summary = JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8')) as Summary;
    let records = 0;
    for (const f of readdirSync(join(a, 'traces'))) {
      const lines = readFileSync(join(a, 'traces', f), 'utf8')
        .trimEnd()
        .split('\n');
      const header = parseTraceLine(lines[0] as string);
      expect(header.kind === 'header' && header.header).toMatchObject({
        gateway: f.replace(/\.jsonl$/, ''),
        source: 'sim',
        startMs: Date.parse('2026-11-28T12:00:00Z'),
      });
      let last = 0;
      for (const line of lines.slice(1)) {
        const parsed = parseTraceLine(line);
        if (parsed.kind !== 'record') throw new Error(`${f}: ${line}`);
        expect(parsed.t).toBeGreaterThanOrEqual(last);
        last = parsed.t;
        records++;
      }
      expect(lines.length - 1).toBe(summary.advertsWrittenByGateway[f.replace(/\.jsonl$/, '')]);
    }
    expect(records).toBe(summary.advertsWritten);
    expect(summary).toMatchObject({ store: 'fashion-small', seed: '42', minutes: 6, windowSeconds: 10, gateways: 6 });
    expect(summary.advertsPerSec).toBeGreaterThan(0);
    const truth = readFileSync(join(a, 'truth.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as TruthRecord);
    expect(truth).toHaveLength(summary.truthRecords);
    const shoppers = JSON.parse(readFileSync(join(a, 'shoppers.json'), 'utf8')) as ShoppersFile;
    expect(shoppers.shoppers).toHaveLength(summary.shoppers.optedIn);
    for (const s of shoppers.shoppers) {
      expect(s.identityKey).toMatch(/^[0-9a-f]{32}$/);
      expect(s.exponent).toBe(9);
      expect(s.carrier).toBe(
        { android: 'eddystone', tag: 'eddystone', 'ios-foreground': 'ios', 'ios-background': null }[s.kind as string],
      );
    }
    const enrolled = new Set(shoppers.shoppers.map((s) => s.shopperId));
    for (const r of truth) expect(enrolled.has(r.shopperId)).toBe(true);
  });

  it('refuses to overwrite earlier output without --force, and names bad arguments', async () => {
    const again = await sim('generate', ...args, '--seed', '42', '--out', a);
    expect(again.code).toBe(64);
    expect(again.err).toMatch(/--out .* already holds simulator output .*--force/);
    expect((await sim('generate', ...args, '--seed', '42', '--out', a, '--force')).code).toBe(0);
    expect((await sim('generate', '--store', SMALL, '--minutes', '0', '--seed', '1', '--out', tmp())).err).toMatch(
      /--minutes is "0", expected a number 0\.05\.\.1440/,
    );
    expect((await sim('generate', '--store', SMALL, '--minutes', '1', '--out', tmp())).err).toMatch(
      /--seed is required/,
    );
    expect(
      (await sim('generate', '--store', SMALL, '--minutes', '1', '--seed', '1', '--start', 'noon', '--out', tmp())).err,
    ).toMatch(/--start is "noon", expected an ISO 8601/);
    const badStore = join(tmp(), 'bad.yaml');
    writeFileSync(badStore, 'store: Bad Store\n');
    const bad = await sim('generate', '--store', badStore, '--minutes', '1', '--seed', '1', '--out', tmp());
    expect(bad.code).toBe(78);
    expect(bad.err).toContain(`${badStore}: /store is "Bad Store", expected a string matching`);
  });
});

describe('hushpoint sim score', () => {
  it('scores a perfect observer at 1 and a partial one by the definitions', async () => {
    const dir = tmp();
    // A busy store where everyone opts in, so a few minutes give plenty of truth.
    const busy = join(dir, 'busy.yaml');
    writeFileSync(
      busy,
      readFileSync(SMALL, 'utf8')
        .replace(/arrivalsPerHour: .*/, 'arrivalsPerHour: [600, 600, 600, 600, 600, 600, 600, 600, 600, 600, 600]')
        .replace('optInFraction: 0.3', 'optInFraction: 1'),
    );
    expect((await sim('generate', '--store', busy, '--minutes', '5', '--seed', 'score', '--out', dir)).code).toBe(0);
    const truthFile = join(dir, 'truth.jsonl');
    const truth = readFileSync(truthFile, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as TruthRecord);
    expect(truth.length).toBeGreaterThan(100);
    const perfect = join(dir, 'perfect.jsonl');
    writeFileSync(
      perfect,
      truth.map((r) => JSON.stringify({ windowStart: r.windowStart, shopperId: r.shopperId, zone: r.zone })).join('\n'),
    );
    const json = await sim('score', '--truth', truthFile, '--observed', perfect, '--json');
    expect(JSON.parse(json.out)).toMatchObject({ precision: 1, recall: 1, zoneAccuracy: 1, matched: truth.length });
    // Every second pair, half of them in the wrong zone, plus one stranger.
    const half = truth
      .filter((_, i) => i % 2 === 0)
      .map((r, i) => ({
        windowStart: r.windowStart,
        shopperId: r.shopperId,
        zone: i % 2 === 0 ? r.zone : 'elsewhere',
      }));
    const partial = join(dir, 'partial.jsonl');
    writeFileSync(
      partial,
      [...half, { windowStart: 1, shopperId: 'stranger', zone: 'denim' }].map((o) => JSON.stringify(o)).join('\n'),
    );
    const text = await sim('score', '--truth', truthFile, '--observed', partial);
    expect(text.code).toBe(0);
    const matched = half.length;
    const correct = half.filter((o) => o.zone !== 'elsewhere').length;
    expect(text.out).toContain(`observed pairs ${matched + 1}, matched ${matched}, zone correct ${correct}`);
    expect(text.out).toContain(
      `precision ${(matched / (matched + 1)).toFixed(3)}  recall ${(matched / truth.length).toFixed(3)}`,
    );
    expect(text.out).toContain(`zone accuracy ${(correct / matched).toFixed(3)}`);
  });

  it('names the file, line and problem of bad input', async () => {
    const dir = tmp();
    const truthFile = join(dir, 'truth.jsonl');
    writeFileSync(truthFile, '{"windowStart":10,"shopperId":"a","zone":"z"}\n');
    const observed = join(dir, 'observed.jsonl');
    writeFileSync(observed, '{"windowStart":10,"shopperId":"a","zone":"z"}\n{"windowStart":"ten","shopperId":"a"}\n');
    const bad = await sim('score', '--truth', truthFile, '--observed', observed);
    expect(bad.code).toBe(65);
    expect(bad.err).toBe(
      `hushpoint sim score: ${observed}:2: /zone is required; /windowStart is "ten", expected integer\n`,
    );
    writeFileSync(
      observed,
      '{"windowStart":10,"shopperId":"a","zone":"z"}\n{"windowStart":10,"shopperId":"a","zone":"y"}\n',
    );
    expect((await sim('score', '--truth', truthFile, '--observed', observed)).err).toMatch(
      /observed\.jsonl:2: shopper "a" in window 10 appears twice/,
    );
    expect((await sim('score', '--truth', join(dir, 'missing.jsonl'), '--observed', observed)).err).toMatch(
      /missing\.jsonl: cannot be read \(ENOENT\)/,
    );
  });
});
