import { fileURLToPath } from 'node:url';
import { hushpoint as runHushpoint, type CliRun } from '../test/helpers/cli.ts';
import { describe, expect, it } from 'vitest';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/config/', import.meta.url));

const hushpoint = (...args: string[]): Promise<CliRun> => runHushpoint(args);

describe('hushpoint CLI (through the npm bin launcher)', () => {
  it('prints the EID and nothing else (ephemeral_calc vector)', async () => {
    const result = await hushpoint(
      'eid',
      '--identity-key',
      '0102030405060708090A111213141516',
      '--exponent',
      '10',
      '--counter',
      '0',
    );
    expect(result).toEqual({ code: 0, stdout: 'a9b76a71c5f89290\n', stderr: '' });
  });

  it('accepts --at instead of --counter and prints a frame', async () => {
    const at = await hushpoint(
      'eid',
      '--identity-key',
      '0102030405060708090a111213141516',
      '--exponent',
      '10',
      '--at',
      '1970-01-01T00:33:20Z',
    );
    expect(at.stdout).toBe('4144413e45fefa58\n');
    const frame = await hushpoint(
      'eid',
      '--identity-key',
      '0102030405060708090a111213141516',
      '--exponent',
      '10',
      '--counter',
      '0',
      '--frame',
      'eddystone',
    );
    expect(frame.stdout).toBe('0201060303aafe0d16aafe30eea9b76a71c5f89290\n');
  });

  it.each([
    [
      ['--identity-key', 'abc', '--exponent', '9', '--counter', '0'],
      /--identity-key "abc" is 3 characters, expected 32 hex digits/,
    ],
    [
      ['--identity-key', '0102030405060708090a111213141516', '--exponent', '16', '--counter', '0'],
      /--exponent is "16", expected an integer 0\.\.15/,
    ],
    [['--identity-key', '0102030405060708090a111213141516', '--exponent', '9'], /--counter is required/],
    [
      ['--identity-key', '0102030405060708090a111213141516', '--exponent', '9', '--counter=-4'],
      /--counter is "-4", expected an integer 0\.\.4294967295/,
    ],
    [
      ['--identity-key', '0102030405060708090a111213141516', '--exponent', '9', '--at', 'yesterday'],
      /--at is "yesterday", expected an ISO 8601/,
    ],
    [
      ['--identity-key', '0102030405060708090a111213141516', '--exponent', '9', '--counter', '1', '--frame', 'android'],
      /--frame is "android"/,
    ],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('rejects bad arguments %#, naming the argument', async (args, message) => {
    const result = await hushpoint('eid', ...args);
    expect(result.code).toBe(64);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('has --help and --version at every level', async () => {
    for (const path of [[], ['eid'], ['check-config'], ['demo']]) {
      const help = await hushpoint(...path, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^hushpoint/);
      const version = await hushpoint(...path, '--version');
      expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
    }
  });

  it('check-config prints one line per problem and exits 78', async () => {
    const file = `${FIXTURES}gateway.three-mistakes.yaml`;
    const result = await hushpoint('check-config', file);
    expect(result.code).toBe(78);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${file}: /gateway is "GW Entrance", expected a string matching`)),
        expect.stringMatching(new RegExp(`^${file}: /window/seconds is 0, expected >= 1$`)),
        expect.stringMatching(new RegExp(`^${file}: /window/maxEid is not allowed here`)),
      ]),
    );
  });

  it('check-config accepts valid files of each role and rejects unknown roles and bad YAML', async () => {
    expect((await hushpoint('check-config', `${FIXTURES}gateway.valid.yaml`)).stdout).toMatch(/valid gateway config/);
    expect((await hushpoint('check-config', `${FIXTURES}hub.valid.yaml`)).stdout).toMatch(/valid hub config/);
    const missing = await hushpoint('check-config', `${FIXTURES}does-not-exist.yaml`);
    expect(missing).toMatchObject({ code: 78, stderr: expect.stringMatching(/cannot be read \(ENOENT\)/) });
  });
});
