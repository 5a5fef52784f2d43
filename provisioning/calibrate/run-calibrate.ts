import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { isBtsnoop, parseBtsnoop } from '../../shared/ble/btsnoop.ts';
import { decodeAdvertisingReport, type AdvertisingReport } from '../../shared/ble/hci-report.ts';
import { parseTraceLine } from '../../shared/ble/trace.ts';
import { validateConfig } from '../../shared/config/load-config.ts';
import { decodeAdvert } from '../../shared/eid/carriers.ts';
import { computeEidHex, periodStart } from '../../shared/eid/eid.ts';
import { AppError } from '../../shared/errors.ts';
import { formatProblems } from '../../shared/validation.ts';
import { gatewayRole, type GatewayConfig } from '../../gateway/config.schema.ts';
import { calibrate, type CalibrationResult, type ReferenceSample } from './core/calibration.ts';

/**
 * `hushpoint calibrate` (docs/field-guide.md): the reference tag's adverts in a trace or btsnoop
 * capture (or the air, recorded by the command first), the thresholds they give, and — with
 * `write` — the gateway.yaml updated in place (comments kept) with the thresholds and a record
 * of the calibration that `hushpoint doctor` reads.
 */

/** The reference tag: a fixed EID, or an identity key and exponent (the EID at each advert's time). */
export type Reference = { eid: string } | { identityKey: Buffer; exponent: number };

export interface CalibrateOptions {
  configFile: string;
  /** A JSONL trace or btsnoop capture heard by this gateway with the tag at `distanceM`. */
  trace: string;
  reference: Reference;
  distanceM: number;
  pathLossExponent: number;
  txPowerDbm?: number;
  write: boolean;
  nowMs: number;
}

export interface CalibrateReport {
  gateway: string;
  trace: string;
  reports: number;
  result: CalibrationResult;
  written: boolean;
  /** A damaged btsnoop capture: where it stopped (the reports before it were used). */
  damage: string | null;
}

function bad(message: string): AppError {
  return new AppError('CALIB_BAD_INPUT', message);
}

/** Every advertising report in the file with its time. */
export function readReports(file: string): {
  reports: Array<{ t: number; report: AdvertisingReport }>;
  damage: string | null;
} {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw bad(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const reports: Array<{ t: number; report: AdvertisingReport }> = [];
  if (isBtsnoop(bytes)) {
    const capture = parseBtsnoop(bytes);
    for (const r of capture.records) {
      const report = r.event === null || r.cut ? null : decodeAdvertisingReport(r.event);
      if (report !== null) reports.push({ t: r.t, report });
    }
    const damage =
      capture.problem === null ? null : `${file}: byte ${capture.problem.offset}: ${capture.problem.message}`;
    if (damage !== null && capture.records.length === 0) throw bad(damage);
    return { reports, damage };
  }
  const lines = bytes.toString('utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const parsed = parseTraceLine(line.replace(/\r$/, ''));
    if (parsed.kind === 'error')
      throw bad(`${file}:${i + 1}: ${parsed.message} (expected a JSONL trace or a btsnoop capture)`);
    if (parsed.kind === 'record') reports.push({ t: parsed.t, report: parsed.report });
  });
  return { reports, damage: null };
}

/** The reference tag's samples: its EID (at the advert's time, ± one rotation for clock skew). */
export function referenceSamples(
  reports: ReadonlyArray<{ t: number; report: AdvertisingReport }>,
  reference: Reference,
): ReferenceSample[] {
  const cache = new Map<number, Set<string>>();
  const eidsAt = (tMs: number): Set<string> => {
    if ('eid' in reference) return new Set([reference.eid]);
    const counter = Math.floor(tMs / 1000);
    const start = periodStart(counter, reference.exponent);
    let eids = cache.get(start);
    if (eids === undefined) {
      const period = 2 ** reference.exponent;
      eids = new Set(
        [start - period, start, start + period]
          .filter((c) => c >= 0 && c <= 0xffffffff)
          .map((c) => computeEidHex({ identityKey: reference.identityKey, exponent: reference.exponent, counter: c })),
      );
      cache.set(start, eids);
    }
    return eids;
  };
  const samples: ReferenceSample[] = [];
  for (const { t, report } of reports) {
    const decoded = decodeAdvert(report.data);
    if (decoded === null || !eidsAt(t).has(decoded.eid)) continue;
    samples.push({ t, rssi: report.rssi, txPower: decoded.txPower ?? null });
  }
  return samples;
}

/** Sets the thresholds and the calibration record in the YAML text, keeping everything else as written. */
export function updatedConfigText(
  text: string,
  result: CalibrationResult,
  options: { distanceM: number; nowMs: number },
): string {
  const doc = parseDocument(text);
  doc.setIn(['window', 'nearDbm'], result.after.nearDbm);
  doc.setIn(['window', 'midDbm'], result.after.midDbm);
  doc.setIn(['calibration'], {
    at: new Date(options.nowMs).toISOString(),
    offsetDb: result.offsetDb,
    baseNearDbm: result.base.nearDbm,
    baseMidDbm: result.base.midDbm,
    medianRssi: result.medianRssi,
    samples: result.samples,
    distanceM: options.distanceM,
  });
  return doc.toString();
}

export function runCalibrate(options: CalibrateOptions, config: GatewayConfig): CalibrateReport {
  const { reports, damage } = readReports(options.trace);
  const samples = referenceSamples(reports, options.reference);
  const outcome = calibrate({
    samples,
    distanceM: options.distanceM,
    pathLossExponent: options.pathLossExponent,
    ...(options.txPowerDbm !== undefined ? { txPowerDbm: options.txPowerDbm } : {}),
    current: { nearDbm: config.window.nearDbm, midDbm: config.window.midDbm },
    base:
      config.calibration === undefined
        ? { nearDbm: config.window.nearDbm, midDbm: config.window.midDbm }
        : { nearDbm: config.calibration.baseNearDbm, midDbm: config.calibration.baseMidDbm },
    windowSeconds: config.window.seconds,
  });
  if (!outcome.ok) throw bad(`${options.trace}: ${outcome.message}`);
  let written = false;
  if (options.write) {
    const text = updatedConfigText(readFileSync(options.configFile, 'utf8'), outcome.result, options);
    const check = validateConfig(gatewayRole, parseDocument(text).toJS());
    if (!check.ok)
      throw new AppError(
        'CFG_INVALID',
        `the calibrated config would not be valid, not written:\n${formatProblems(check.problems, `${options.configFile}: `).join('\n')}`,
      );
    const temporary = `${options.configFile}.calibrate-${process.pid}`;
    writeFileSync(temporary, text, { mode: statSync(options.configFile).mode & 0o777 });
    renameSync(temporary, options.configFile);
    written = true;
  }
  return {
    gateway: config.gateway,
    trace: options.trace,
    reports: reports.length,
    result: outcome.result,
    written,
    damage,
  };
}
