import type { TruthRecord } from './core/truth.ts';

/**
 * Where simulated reports go. A sink is one small function: a gateway id, the time the report
 * was received (Unix ms) and the raw HCI LE Advertising Report event bytes. The same stream can
 * feed trace files, live gateways (their injected HCI sources) or a test collector.
 * The bytes are the sink's to keep; the simulator does not reuse them.
 */
export type ReportSink = (gatewayId: string, tMs: number, hci: Uint8Array) => void;

/** Ground-truth records, one per window per detectable opted-in shopper present. */
export type TruthSink = (record: TruthRecord) => void;

export interface SimSinks {
  report: ReportSink;
  truth?: TruthSink;
}

/** Sends every report to each of several sinks (e.g. live gateways and a trace recorder). */
export function fanOut(...sinks: ReportSink[]): ReportSink {
  return (gatewayId, tMs, hci) => {
    for (const sink of sinks) sink(gatewayId, tMs, hci);
  };
}

export interface CollectedReport {
  gatewayId: string;
  tMs: number;
  hci: Uint8Array;
}

/** A sink that keeps everything in memory (tests, small runs). */
export function createHq(): {
  report: ReportSink;
  truth: TruthSink;
  reports: CollectedReport[];
  truths: TruthRecord[];
} {
  const reports: CollectedReport[] = [];
  const truths: TruthRecord[] = [];
  return {
    report: (gatewayId, tMs, hci) => {
      reports.push({ gatewayId, tMs, hci });
    },
    truth: (record) => {
      truths.push(record);
    },
    reports,
    truths,
  };
}
