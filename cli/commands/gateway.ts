import { intOption, requireString, usageError, type Command } from '../../shared/cli/command.ts';
import { checkGatewayConfigFile, runCapture, runGateway } from '../../gateway/main.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const captureCommand: Command = {
  name: 'capture',
  summary: "record opt-in frames heard by this Pi's adapter as a trace (addresses zeroed)",
  description: `Writes a JSONL trace (docs/trace-format.md) of the opt-in frames the adapter hears for N
seconds; every other advert is counted and forgotten, and the advertiser address of each kept
report is replaced by 00:00:00:00:00:00. The trace can be replayed with
ble.source "replay:FILE". Needs a Bluetooth adapter (exit 69 without one).`,
  options: {
    seconds: { type: 'string', value: 'N', description: 'how long to record (1..86400)' },
    out: { type: 'string', value: 'FILE', description: 'the trace file to create (never overwritten)' },
    config: { type: 'string', value: 'FILE', description: 'take the adapter (and gateway id) from this gateway.yaml' },
    adapter: { type: 'string', value: 'N', description: 'adapter index N for hciN (instead of --config)' },
  },
  async run({ values }, { io, path }) {
    const seconds = intOption(values, 'seconds', { min: 1, max: 86_400 });
    const out = requireString(values, 'out', 'the trace file to write');
    if (values.config !== undefined && values.adapter !== undefined)
      throw usageError('--config and --adapter are exclusive, expected one of them (or neither for hci0)');
    const adapterIndex = values.adapter === undefined ? undefined : intOption(values, 'adapter', { min: 0, max: 15 });
    return runCapture({
      seconds,
      out,
      ...(typeof values.config === 'string' ? { configFile: values.config } : {}),
      ...(adapterIndex !== undefined ? { adapterIndex } : {}),
      io,
      path,
    });
  },
};

export const gatewayCommand: Command = {
  name: 'gateway',
  summary: 'run the beacon gateway (BLE → opt-in filter → coarse windows → hub)',
  usage:
    'hushpoint gateway --config FILE [--replay FILE] [--check-config] [--log-level LEVEL]\n       hushpoint gateway capture --seconds N --out FILE [--config FILE | --adapter N]',
  description: `Runs until SIGTERM or SIGINT. See docs/gateway.md for what it publishes, the LEDs and the logs.
--replay FILE hears a recorded file instead of the adapter: a JSONL trace (docs/trace-format.md)
or a btsnoop capture (Android's btsnoop_hci.log, BlueZ's btmon -w); a damaged capture replays
the records before the damage and names its byte offset.
Exit codes: 0 stopped cleanly, 64 usage, 65 bad replay trace or damaged capture, 69 no Bluetooth adapter,
78 bad config (each problem printed as FILE: /pointer message).`,
  options: {
    config: { type: 'string', value: 'FILE', description: 'the gateway.yaml' },
    replay: {
      type: 'string',
      value: 'FILE',
      description: 'replay a JSONL trace or btsnoop capture instead of the adapter',
    },
    'check-config': { type: 'boolean', description: 'validate the config and the files it names, then exit' },
    'log-level': { type: 'string', value: 'LEVEL', description: `override log.level (${LOG_LEVELS.join(', ')})` },
  },
  subcommands: () => [captureCommand],
  async run({ values }, { io, path }) {
    const configFile = requireString(values, 'config', 'the gateway.yaml to run');
    const logLevel = values['log-level'];
    if (logLevel !== undefined && (typeof logLevel !== 'string' || !LOG_LEVELS.includes(logLevel))) {
      throw usageError(`--log-level is "${String(logLevel)}", expected one of: ${LOG_LEVELS.join(', ')}`);
    }
    const replay = values.replay;
    if (replay !== undefined && (typeof replay !== 'string' || replay === ''))
      throw usageError('--replay needs a FILE, expected a JSONL trace or a btsnoop capture');
    if (values['check-config']) return checkGatewayConfigFile(configFile, io, replay);
    return runGateway({
      configFile,
      ...(typeof logLevel === 'string' ? { logLevel } : {}),
      ...(replay !== undefined ? { replay } : {}),
      io,
      path,
    });
  },
};
