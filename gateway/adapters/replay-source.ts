import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { parseTraceLine } from '../../shared/ble/trace.ts';
import type { AdapterState } from '../core/status-report.ts';
import type { BleSink, BleSource } from '../ports.ts';
import { VirtualHciBleSource } from './virtual-hci-source.ts';

/**
 * `ble.source: replay:FILE` — a JSONL trace (docs/trace-format.md) fed through noble's real
 * parser, paced by its timestamps: record i is delivered `(t_i − t_0) / speed` after the start;
 * speed 0 delivers as fast as possible. The whole file is checked before the first advert, so a
 * bad trace stops the gateway at start with `FILE:LINE: problem`.
 *
 * The gateway's windows follow trace time (`clock`), never running ahead of the next record,
 * so windows are the same at any speed.
 */

export interface TraceSummary {
  records: number;
  firstMs: number;
  lastMs: number;
}

const YIELD_EVERY = 256;

function lines(file: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
}

function traceError(file: string, line: number, message: string, cause?: unknown): AppError {
  return new AppError('BLE_TRACE_INVALID', `${file}:${line}: ${message}`, { cause, details: { file, line } });
}

/** Reads the whole trace once: a header first, then records with non-decreasing timestamps. */
export async function checkTrace(file: string): Promise<TraceSummary> {
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
  if (!sawHeader) throw traceError(file, Math.max(lineNo, 1), 'the file is empty; expected a header line and records');
  return { records, firstMs, lastMs };
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

  async start(sink: BleSink): Promise<void> {
    this.#summary = await checkTrace(this.#options.file);
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

  async #feed(): Promise<void> {
    const { file, speed, clock } = this.#options;
    let sinceYield = 0;
    for await (const line of lines(file)) {
      if (this.#stopped) return;
      if (line.trim() === '') continue;
      const parsed = parseTraceLine(line);
      if (parsed.kind !== 'record') continue;
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
