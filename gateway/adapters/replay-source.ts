import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { isAdvertisingReportEvent, isBtsnoop, parseBtsnoop } from '../../shared/ble/btsnoop.ts';
import { parseTraceLine } from '../../shared/ble/trace.ts';
import type { AdapterState } from '../core/status-report.ts';
import type { BleSink, BleSource } from '../ports.ts';
import { VirtualHciBleSource } from './virtual-hci-source.ts';

/**
 * `ble.source: replay:FILE` — a JSONL trace or a btsnoop capture (docs/trace-format.md) fed
 * through noble's real parser, paced by its timestamps: record i is delivered `(t_i − t_0) / speed`
 * after the start; speed 0 delivers as fast as possible. The whole file is checked before the
 * first advert: a bad JSONL trace stops the gateway at start with `FILE:LINE: problem`; a
 * damaged btsnoop capture (Android's log is often cut off mid-record) replays the records
 * before the damage and reports `FILE: byte N: problem` (`problem`), and stops the gateway at
 * start only when nothing before the damage can be replayed.
 *
 * The gateway's windows follow trace time (`clock`), never running ahead of the next record,
 * so windows are the same at any speed.
 */

export interface TraceSummary {
  format: 'jsonl' | 'btsnoop';
  /** Advertising reports to replay. */
  records: number;
  firstMs: number;
  lastMs: number;
  /** btsnoop only: records that are not LE advertising reports (commands, data, other events), skipped. */
  skipped?: number;
}

interface ReplayRecord {
  t: number;
  hci: Buffer;
}

const YIELD_EVERY = 256;

function lines(file: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
}

function traceError(file: string, line: number, message: string, cause?: unknown): AppError {
  return new AppError('BLE_TRACE_INVALID', `${file}:${line}: ${message}`, { cause, details: { file, line } });
}

async function startsWithBtsnoop(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new AppError('BLE_TRACE_INVALID', `${file}: cannot be read (${e.code ?? e.message})`, { cause: error });
  }
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    return isBtsnoop(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** A btsnoop capture read whole: its advertising reports, and where it went wrong if it did. */
export interface BtsnoopReplay {
  summary: TraceSummary;
  records: ReplayRecord[];
  /** `FILE: byte N: problem` — the records before it are replayed. */
  problem: AppError | null;
}

export async function readBtsnoopReplay(file: string): Promise<BtsnoopReplay> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new AppError('BLE_TRACE_INVALID', `${file}: cannot be read (${e.code ?? e.message})`, { cause: error });
  }
  const capture = parseBtsnoop(bytes);
  const records: ReplayRecord[] = [];
  for (const r of capture.records)
    if (r.event !== null && !r.cut && isAdvertisingReportEvent(r.event)) records.push({ t: r.t, hci: r.event });
  const problem =
    capture.problem === null
      ? null
      : new AppError(
          'BLE_TRACE_INVALID',
          `${file}: byte ${capture.problem.offset}: ${capture.problem.message} (${capture.records.length} records before it)`,
          { details: { file, offset: capture.problem.offset, recordsBefore: capture.records.length } },
        );
  if (problem !== null && capture.records.length === 0) throw problem;
  return {
    summary: {
      format: 'btsnoop',
      records: records.length,
      firstMs: records[0]?.t ?? 0,
      lastMs: records.at(-1)?.t ?? 0,
      skipped: capture.records.length - records.length,
    },
    records,
    problem,
  };
}

/**
 * Checks a replay file once: a JSONL trace (a header first, then records with non-decreasing
 * timestamps) or a btsnoop capture (whole up to its first damage, which is only an error when
 * nothing comes before it).
 */
export async function checkTrace(file: string): Promise<TraceSummary> {
  if (await startsWithBtsnoop(file)) return (await readBtsnoopReplay(file)).summary;
  return checkJsonlTrace(file);
}

async function checkJsonlTrace(file: string): Promise<TraceSummary> {
  let lineNo = 0;
  let sawHeader = false;
  let records = 0;
  let firstMs = 0;
  let lastMs = 0;
  try {
    for await (const line of lines(file)) {
      lineNo++;
      if (line.trim() === '') continue;
      const parsed = parseTraceLine(line);
      if (parsed.kind === 'error') throw traceError(file, lineNo, parsed.message);
      if (parsed.kind === 'header') {
        if (sawHeader || records > 0)
          throw traceError(file, lineNo, 'a second header line; expected one header, on the first line');
        sawHeader = true;
        continue;
      }
      if (!sawHeader)
        throw traceError(
          file,
          lineNo,
          'expected the header line {"type":"header","format":"hushpoint-hci-trace","version":1,...} first',
        );
      if (records > 0 && parsed.t < lastMs)
        throw traceError(
          file,
          lineNo,
          `"t" is ${parsed.t}, earlier than the previous record (${lastMs}); expected non-decreasing timestamps`,
        );
      if (records === 0) firstMs = parsed.t;
      lastMs = parsed.t;
      records++;
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new AppError('BLE_TRACE_INVALID', `${file}: cannot be read (${e.code ?? e.message})`, { cause: error });
  }
  if (!sawHeader)
    throw traceError(
      file,
      Math.max(lineNo, 1),
      'the file is empty; expected a header line and records (or a btsnoop capture)',
    );
  return { format: 'jsonl', records, firstMs, lastMs };
}

export interface ReplaySourceOptions {
  file: string;
  /** 1 = real time, 0 = as fast as possible. */
  speed: number;
  /** Wall clock for pacing. */
  clock: Clock;
  logger: Logger;
}

export class ReplaySource implements BleSource {
  readonly kind = 'replay' as const;
  readonly clock: Clock;
  readonly finished: Promise<void>;
  readonly #options: ReplaySourceOptions;
  readonly #ble: VirtualHciBleSource;
  #resolveFinished!: () => void;
  #rejectFinished!: (error: unknown) => void;
  #summary: TraceSummary | undefined;
  #btsnoop: BtsnoopReplay | undefined;
  #currentMs = 0;
  #nextMs = Number.POSITIVE_INFINITY;
  #wallStartMs = 0;
  #startMs = 0;
  #stopped = false;
  #ended = false;
  #delivered = 0;

  constructor(options: ReplaySourceOptions) {
    if (!(options.speed >= 0)) throw new RangeError(`replay speed is ${options.speed}, expected ≥ 0`);
    this.#options = options;
    this.#ble = new VirtualHciBleSource({ kind: 'replay', logger: options.logger, label: `replay:${options.file}` });
    this.finished = new Promise<void>((resolve, reject) => {
      this.#resolveFinished = resolve;
      this.#rejectFinished = reject;
    });
    this.finished.catch(() => undefined);
    this.clock = { now: () => this.#traceNow() };
  }

  /** Records delivered to noble so far. */
  get delivered(): number {
    return this.#delivered;
  }

  get summary(): TraceSummary | undefined {
    return this.#summary;
  }

  /** A damaged btsnoop capture: where and what (the records before it are replayed); null otherwise. */
  get problem(): AppError | null {
    return this.#btsnoop?.problem ?? null;
  }

  async start(sink: BleSink): Promise<void> {
    if (await startsWithBtsnoop(this.#options.file)) {
      this.#btsnoop = await readBtsnoopReplay(this.#options.file);
      this.#summary = this.#btsnoop.summary;
      const problem = this.#btsnoop.problem;
      if (problem !== null)
        this.#options.logger.error(
          { code: problem.code, detail: problem.message, records: this.#summary.records },
          'replay file damaged, replaying the records before the damage',
        );
    } else this.#summary = await checkJsonlTrace(this.#options.file);
    this.#startMs = this.#summary.firstMs;
    this.#currentMs = this.#summary.firstMs;
    this.#nextMs = this.#summary.firstMs;
    await this.#ble.start(sink);
    this.#wallStartMs = this.#options.clock.now();
    void this.#feed().then(
      () => {
        this.#ended = true;
        this.#resolveFinished();
      },
      (error: unknown) => {
        this.#ended = true;
        this.#rejectFinished(error);
      },
    );
  }

  restartScan(): Promise<void> {
    return this.#ble.restartScan();
  }

  resetAdapter(): Promise<void> {
    return this.#ble.resetAdapter();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#ble.stop();
  }

  adapterState(): AdapterState {
    return 'replay';
  }

  scanning(): boolean {
    return !this.#ended && this.#ble.scanning();
  }

  cacheEntries(): number {
    return this.#ble.cacheEntries();
  }

  #traceNow(): number {
    const speed = this.#options.speed;
    if (speed === 0 || this.#summary === undefined) return this.#currentMs;
    const paced = this.#startMs + (this.#options.clock.now() - this.#wallStartMs) * speed;
    return this.#ended ? Math.max(paced, this.#currentMs) : Math.max(this.#currentMs, Math.min(paced, this.#nextMs));
  }

  async *#records(): AsyncIterable<ReplayRecord> {
    if (this.#btsnoop !== undefined) {
      yield* this.#btsnoop.records;
      return;
    }
    for await (const line of lines(this.#options.file)) {
      if (line.trim() === '') continue;
      const parsed = parseTraceLine(line);
      if (parsed.kind === 'record') yield parsed;
    }
  }

  async #feed(): Promise<void> {
    const { speed, clock } = this.#options;
    let sinceYield = 0;
    for await (const parsed of this.#records()) {
      if (this.#stopped) return;
      this.#nextMs = parsed.t;
      if (speed > 0) {
        const dueWall = this.#wallStartMs + (parsed.t - this.#startMs) / speed;
        const wait = dueWall - clock.now();
        if (wait >= 1) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          sinceYield = 0;
          if (this.#stopped) return;
        }
      }
      this.#ble.deliver(parsed.t, parsed.hci);
      this.#currentMs = parsed.t;
      this.#delivered++;
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await yieldToLoop();
      }
    }
    this.#nextMs = Number.POSITIVE_INFINITY;
  }
}
