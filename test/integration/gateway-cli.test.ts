import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hushpoint as runHushpoint, type CliRun } from '../helpers/cli.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { gatewayWorkspace } from '../../gateway/testing/harness.ts';

const HAS_BLUETOOTH = existsSync('/sys/class/bluetooth/hci0');

const hushpoint = (...args: string[]): Promise<CliRun> => runHushpoint(args, { timeoutMs: 30000 });

const ws = gatewayWorkspace({ hub: { url: 'mqtt://127.0.0.1:1' }, ble: { source: 'noble' } });
const config = ws.writeConfig();
afterAll(() => ws.remove());

function variant(name: string, change: (document: Record<string, unknown>) => void): string {
  const document = JSON.parse(JSON.stringify(ws.config)) as Record<string, unknown>;
  change(document);
  const file = join(ws.dir, name);
  writeFileSync(file, JSON.stringify(document));
  return file;
}

describe('hushpoint gateway (through the npm bin launcher)', () => {
  it('checks a config and the files it names', async () => {
    expect(await hushpoint('gateway', '--config', config, '--check-config')).toEqual({
      code: 0,
      stdout: `${config}: valid gateway config (store store-1, gateway gw-test, BLE noble)\n`,
      stderr: '',
    });
    const missing = variant('missing.yaml', (d) => {
      (d.hub as Record<string, unknown>).credentialFile = 'nope';
      (d.ble as Record<string, unknown>).source = 'replay:gone.jsonl';
    });
    expect(await hushpoint('gateway', '--config', missing, '--check-config')).toEqual({
      code: 78,
      stdout: '',
      stderr: `${missing}: /hub/credentialFile "${join(ws.dir, 'nope')}" cannot be read (ENOENT)\n${missing}: /ble/source "${join(ws.dir, 'gone.jsonl')}" cannot be read (ENOENT)\n`,
    });
    const invalid = variant('invalid.yaml', (d) => {
      (d.window as Record<string, unknown>).seconds = 0;
      d.zone = 'Entrance';
    });
    const result = await hushpoint('gateway', '--config', invalid);
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(`${invalid}: /zone is "Entrance", expected a string matching`);
    expect(result.stderr).toContain(`${invalid}: /window/seconds is 0, expected >= 1`);
  });

  it('refuses bad arguments with usage errors', async () => {
    expect(await hushpoint('gateway')).toMatchObject({
      code: 64,
      stderr: expect.stringContaining('--config is required: the gateway.yaml to run'),
    });
    expect(await hushpoint('gateway', '--config', config, '--log-level', 'loud')).toMatchObject({
      code: 64,
      stderr: expect.stringContaining(
        '--log-level is "loud", expected one of: fatal, error, warn, info, debug, trace, silent',
      ),
    });
    expect(await hushpoint('gateway', 'capture', '--seconds', '0', '--out', 'x.jsonl')).toMatchObject({
      code: 64,
      stderr: expect.stringContaining('--seconds is "0", expected an integer 1..86400'),
    });
    const help = await hushpoint('gateway', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('hushpoint gateway capture --seconds N --out FILE [--config FILE | --adapter N]');
  });

  it('stops at a bad replay trace with exit 65, naming the line', async () => {
    writeFileSync(
      join(ws.dir, 'bad.jsonl'),
      '{"type":"header","format":"hushpoint-hci-trace","version":1,"source":"sim","startMs":0}\n{"t":5,"hci":"zz"}\n',
    );
    const bad = variant('bad-trace.yaml', (d) => {
      (d.ble as Record<string, unknown>).source = 'replay:bad.jsonl';
    });
    const result = await hushpoint('gateway', '--config', bad);
    expect(result.code).toBe(65);
    expect(result.stderr).toBe(
      `hushpoint gateway: BLE_TRACE_INVALID: ${join(ws.dir, 'bad.jsonl')}:2: "hci" is missing or not lowercase hex bytes\n`,
    );
  });

  it.skipIf(HAS_BLUETOOTH)('says clearly that there is no Bluetooth adapter here (exit 69)', async () => {
    const result = await hushpoint('gateway', '--config', config);
    expect(result.code).toBe(69);
    expect(result.stderr).toMatch(
      /^hushpoint gateway: BLE_ADAPTER_UNAVAILABLE: Bluetooth adapter hci0 could not be opened \(EAFNOSUPPORT: .*\); expected a Linux Bluetooth adapter/,
    );
    const capture = await hushpoint(
      'gateway',
      'capture',
      '--seconds',
      '1',
      '--out',
      join(ws.dir, 'air.jsonl'),
      '--adapter',
      '1',
    );
    expect(capture.code).toBe(69);
    expect(capture.stderr).toMatch(
      /^hushpoint gateway capture: BLE_ADAPTER_UNAVAILABLE: Bluetooth adapter hci1 could not be opened/,
    );
    expect(existsSync(join(ws.dir, 'air.jsonl'))).toBe(false);
  });
});
