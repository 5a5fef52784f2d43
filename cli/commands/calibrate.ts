import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { intOption, numberOption, requireString, usageError, type Command } from '../../shared/cli/command.ts';
import { parseIdentityKey } from '../../shared/eid/eid.ts';
import { EXIT, isAppError } from '../../shared/errors.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { loadGatewayConfig } from '../../gateway/mod.ts';
import { loadSystemNoble } from '../../gateway/adapters/noble-loader.ts';
import { captureTrace } from '../../gateway/adapters/trace-recorder.ts';
import { runCalibrate, type CalibrateReport, type Reference } from '../../provisioning/calibrate/run-calibrate.ts';

/**
 * `hushpoint calibrate` — a gateway's band thresholds from a reference tag held at a known
 * distance (docs/field-guide.md, "Calibrate each gateway").
 */

function referenceFrom(values: Record<string, unknown>): Reference {
  const eid = values.eid;
  const key = values['identity-key'];
  if ((eid === undefined) === (key === undefined))
    throw usageError('give the reference tag as --eid HEX16 or as --identity-key HEX32 --exponent K (one of them)');
  if (typeof eid === 'string') {
    if (!/^[0-9a-fA-F]{16}$/.test(eid)) throw usageError(`--eid is "${eid}", expected 16 hex digits`);
    return { eid: eid.toLowerCase() };
  }
  let identityKey: Buffer;
  try {
    identityKey = parseIdentityKey(String(key));
  } catch {
    throw usageError(`--identity-key is "${String(key)}", expected 32 hex digits`);
  }
  return { identityKey, exponent: intOption(values as never, 'exponent', { min: 0, max: 15 }) };
}

function formatReport(r: CalibrateReport, configFile: string): string[] {
  const c = r.result;
  const w = (b: typeof c.windowsBefore): string => `near ${b.near}, mid ${b.mid}, far ${b.far}`;
  return [
    `gateway ${r.gateway}: the reference was heard ${c.samples} times in ${r.trace} (of ${r.reports} advertising reports)`,
    `  RSSI median ${c.medianRssi} dBm (quartiles ${c.q1Rssi} … ${c.q3Rssi}); its ranging byte (${c.txPowerDbm} dBm at 0 m) gives ${c.expectedRssi} dBm expected there`,
    `  this receiver reads ${c.offsetDb >= 0 ? '+' : ''}${c.offsetDb} dB: near ${c.before.nearDbm} → ${c.after.nearDbm} dBm, mid ${c.before.midDbm} → ${c.after.midDbm} dBm (uncalibrated ${c.base.nearDbm}/${c.base.midDbm})`,
    `  the reference's windows by band: before ${w(c.windowsBefore)}; after ${w(c.windowsAfter)}`,
    ...c.warnings.map((warning) => `  warning: ${warning}`),
    ...(r.damage === null ? [] : [`  warning: ${r.damage}; the reports before it were used`]),
    r.written
      ? `  written to ${configFile} (window.nearDbm, window.midDbm, calibration); a running gateway takes it with the reload command`
      : `  not written: add --write to update ${configFile}`,
  ];
}

export const calibrateCommand: Command = {
  name: 'calibrate',
  summary: "set a gateway's band thresholds from a reference tag at a known distance",
  usage:
    'hushpoint calibrate --config gateway.yaml (--trace FILE | --seconds N) (--eid HEX16 | --identity-key HEX32 --exponent K) [--distance M] [--write] [--json]',
  description: `Hold a reference tag (Eddystone-EID) still at --distance metres from the gateway's
antenna, in the open. Its RSSI is read from a trace or btsnoop capture heard by that gateway
(--trace), or from the adapter for N seconds (--seconds, on the Pi). The median against what the
tag's ranging byte promises at that distance gives this receiver's offset; the band thresholds
move by it (from the uncalibrated ones, so calibrating again replaces the old offset). With
--write the gateway.yaml is updated in place, comments kept, with a calibration record that
hushpoint doctor checks. Exit codes: 0 done, 64 usage, 65 bad recording or too few adverts,
69 no Bluetooth adapter, 78 bad config.`,
  options: {
    config: { type: 'string', value: 'FILE', description: "the gateway's gateway.yaml" },
    trace: { type: 'string', value: 'FILE', description: 'a JSONL trace or btsnoop capture with the reference' },
    seconds: { type: 'string', value: 'N', description: 'record the reference from the adapter for N seconds' },
    eid: { type: 'string', value: 'HEX16', description: "the reference tag's EID (a tag with a fixed EID)" },
    'identity-key': { type: 'string', value: 'HEX32', description: "the reference tag's identity key" },
    exponent: { type: 'string', value: 'K', description: "the reference tag's rotation exponent" },
    distance: { type: 'string', value: 'M', description: 'metres from the antenna (default 1)' },
    'path-loss-exponent': {
      type: 'string',
      value: 'N',
      description: 'path loss beyond 1 m, for another distance (default 2, free space)',
    },
    'tx-power': { type: 'string', value: 'DBM', description: "the tag's TX power at 0 m, instead of its ranging byte" },
    write: { type: 'boolean', description: 'update gateway.yaml (otherwise only print)' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  async run({ values }, { io, path }) {
    const configFile = requireString(values, 'config', 'the gateway.yaml of the gateway being calibrated');
    if ((values.trace === undefined) === (values.seconds === undefined))
      throw usageError('give --trace FILE or --seconds N (one of them)');
    const reference = referenceFrom(values);
    const distanceM = numberOption(values, 'distance', { min: 0.1, max: 100 }, 1);
    const pathLossExponent = numberOption(values, 'path-loss-exponent', { min: 1, max: 6 }, 2);
    const txPowerDbm =
      values['tx-power'] === undefined ? undefined : intOption(values, 'tx-power', { min: -100, max: 20 });
    const config = loadGatewayConfig(configFile).config;
    let trace = typeof values.trace === 'string' ? values.trace : '';
    let scratch: string | null = null;
    try {
      if (values.seconds !== undefined) {
        const seconds = intOption(values, 'seconds', { min: 5, max: 3600 });
        let noble;
        try {
          noble = loadSystemNoble(config.ble.adapterIndex);
        } catch (error) {
          if (isAppError(error, 'BLE_ADAPTER_UNAVAILABLE')) {
            io.err(`${path}: ${error.code}: ${error.message}`);
            return EXIT.UNAVAILABLE;
          }
          throw error;
        }
        scratch = mkdtempSync(join(tmpdir(), 'hp-calibrate-'));
        trace = join(scratch, 'reference.jsonl');
        io.err(`listening for the reference on hci${config.ble.adapterIndex} for ${seconds} s...`);
        await captureTrace(noble, { seconds, out: trace, gateway: config.gateway, clock: systemClock });
      }
      const report = runCalibrate(
        {
          configFile,
          trace,
          reference,
          distanceM,
          pathLossExponent,
          ...(txPowerDbm !== undefined ? { txPowerDbm } : {}),
          write: values.write === true,
          nowMs: Date.now(),
        },
        config,
      );
      if (values.json) io.out(JSON.stringify(report));
      else for (const line of formatReport(report, configFile)) io.out(line);
      return EXIT.OK;
    } catch (error) {
      if (isAppError(error, 'CALIB_BAD_INPUT')) {
        io.err(`${path}: ${error.code}: ${error.message}`);
        return EXIT.DATA;
      }
      throw error;
    } finally {
      if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
    }
  },
};
