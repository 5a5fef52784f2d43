import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { formatTraceHeader } from '../../../shared/ble/trace.ts';
import { formatTruthRecord, type TruthRecord } from '../core/truth.ts';
import type { ReportSink, TruthSink } from '../sinks.ts';

/**
 * The simulator's output folder:
 *
 *   DIR/traces/{gatewayId}.jsonl   one replay trace per gateway (shared/ble/trace.ts), time-sorted
 *   DIR/truth.jsonl                ground truth, one line per window per detectable shopper
 *   DIR/shoppers.json              the enrolled (opted-in) shoppers and their simulated keys
 *   DIR/summary.json               counts and generation speed
 *   DIR/gateway-state/             outboxes of the live gateways `sim run --gateways` starts
 *
 * Lines are buffered per file and written with writeSync in 256 KiB chunks; `flush()` pushes
 * everything out (the live mode calls it whenever it waits, so the files follow the run).
 */

const CHUNK_CHARS = 256 * 1024;

class LineFile {
  readonly #fd: number;
  #parts: string[] = [];
  #chars = 0;
  #closed = false;

  constructor(path: string) {
    this.#fd = openSync(path, 'w');
  }

  line(text: string): void {
    this.#parts.push(text, '\n');
    this.#chars += text.length + 1;
    if (this.#chars >= CHUNK_CHARS) this.flush();
  }

  flush(): void {
    if (this.#chars === 0) return;
    writeSync(this.#fd, this.#parts.join(''));
    this.#parts = [];
    this.#chars = 0;
  }

  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    closeSync(this.#fd);
  }
}

const HEX = new TextEncoder().encode('0123456789abcdef');
const PREFIX_T = Buffer.from('{"t":', 'latin1');
const PREFIX_HCI = Buffer.from(',"hci":"', 'latin1');
const SUFFIX = Buffer.from('"}\n', 'latin1');
const CHUNK_BYTES = 1024 * 1024;

/**
 * A trace file written straight into a byte buffer: the same bytes as `formatTraceRecord` (the
 * test checks it), without building a hex string and a line string per report — at millions of
 * reports that garbage was a fifth of the generation time.
 */
export class TraceFile {
  readonly #fd: number;
  readonly #buf = Buffer.allocUnsafe(CHUNK_BYTES);
  #at = 0;
  #closed = false;

  constructor(path: string, header: string) {
    this.#fd = openSync(path, 'w');
    writeSync(this.#fd, `${header}\n`);
  }

  record(t: number, hci: Uint8Array): void {
    if (this.#at + 64 + 2 * hci.length > CHUNK_BYTES) this.flush();
    const buf = this.#buf;
    let at = this.#at;
    buf.set(PREFIX_T, at);
    at += PREFIX_T.length;
    at += buf.write(String(t), at, 'latin1');
    buf.set(PREFIX_HCI, at);
    at += PREFIX_HCI.length;
    for (let i = 0; i < hci.length; i++) {
      const b = hci[i] as number;
      buf[at++] = HEX[b >> 4] as number;
      buf[at++] = HEX[b & 15] as number;
    }
    buf.set(SUFFIX, at);
    this.#at = at + SUFFIX.length;
  }

  flush(): void {
    if (this.#at === 0) return;
    writeSync(this.#fd, this.#buf, 0, this.#at);
    this.#at = 0;
  }

  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    closeSync(this.#fd);
  }
}

export interface OutputFiles {
  report: ReportSink;
  truth: TruthSink;
  writeJson(name: 'shoppers.json' | 'summary.json', value: unknown): void;
  flush(): void;
  close(): void;
  readonly dir: string;
}

/** Files the simulator owns inside an output folder (removed by --force before writing). */
export function existingOutputs(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.filter((name) =>
    ['traces', 'truth.jsonl', 'shoppers.json', 'summary.json', 'gateway-state'].includes(name),
  );
}

export function openOutputFiles(
  dir: string,
  gateways: readonly { id: string }[],
  startMs: number,
  options: { force?: boolean } = {},
): OutputFiles {
  const previous = existingOutputs(dir);
  if (previous.length > 0) {
    if (!options.force) {
      throw new Error(
        `${dir} already holds simulator output (${previous.join(', ')}); choose another --out or pass --force to replace it`,
      );
    }
    for (const name of previous) rmSync(join(dir, name), { recursive: true, force: true });
  }
  mkdirSync(join(dir, 'traces'), { recursive: true });
  const traces = new Map<string, TraceFile>();
  for (const gw of gateways) {
    traces.set(
      gw.id,
      new TraceFile(
        join(dir, 'traces', `${gw.id}.jsonl`),
        formatTraceHeader({ gateway: gw.id, source: 'sim', startMs }),
      ),
    );
  }
  const truth = new LineFile(join(dir, 'truth.jsonl'));
  const all = (): (TraceFile | LineFile)[] => [...traces.values(), truth];
  return {
    dir,
    report(gatewayId, tMs, hci) {
      const file = traces.get(gatewayId);
      if (file === undefined) throw new RangeError(`no trace file for gateway "${gatewayId}"`);
      file.record(tMs, hci);
    },
    truth(record: TruthRecord) {
      truth.line(formatTruthRecord(record));
    },
    writeJson(name, value) {
      writeFileSync(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
    },
    flush() {
      for (const f of all()) f.flush();
    },
    close() {
      for (const f of all()) f.close();
    },
  };
}
