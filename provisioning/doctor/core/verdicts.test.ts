import { describe, expect, it } from 'vitest';
import {
  bleVerdict,
  classifyConnectError,
  clockOffsetVerdict,
  configVerdict,
  diskVerdict,
  gatewayFilesVerdict,
  hubConnectionVerdicts,
  nodeVerdict,
  ntpVerdict,
  serviceVerdict,
  type BleFact,
  type FileFact,
  type ServiceFact,
} from './verdicts.ts';
import { doctorExitCode, formatCheck, formatReport } from './check.ts';
import { nodeMajor, parseHciconfigState, parseKeyValues } from './parse.ts';

const MiB = 1024 ** 2;

describe('doctor verdicts: clock offset (hub time − device time)', () => {
  it.each([
    [0, 'PASS', /in step with the hub clock/],
    [1_999, 'PASS', /2\.0 s behind the hub clock/],
    [-2_000, 'PASS', /2\.0 s ahead of the hub clock/],
    [2_001, 'WARN', /2\.0 s behind the hub clock \(more than 2 s\)/],
    [-15_000, 'WARN', /15\.0 s ahead of the hub clock/],
    [30_000, 'WARN', /30\.0 s behind/],
    [30_001, 'FAIL', /30\.0 s behind the hub clock \(limit 30 s/],
    [-3_600_000, 'FAIL', /3600\.0 s ahead of/],
  ])('offset %i ms → %s', (offsetMs, status, detail) => {
    const result = clockOffsetVerdict({ offsetMs });
    expect(result.status).toBe(status);
    expect(result.detail).toMatch(detail);
    if (status !== 'PASS') expect(result.fix).toMatch(/timedatectl set-ntp true/);
  });

  it('an unknown offset is a WARN naming why', () => {
    expect(clockOffsetVerdict({ offsetMs: null, reason: 'no hub/clock message within 5 s' })).toMatchObject({
      status: 'WARN',
      detail: 'offset unknown: no hub/clock message within 5 s',
    });
  });
});

describe('doctor verdicts: NTP state (hub)', () => {
  it.each([
    [{ available: true, synchronized: true, ntpEnabled: true }, 'PASS', /synchronised by NTP/],
    [
      { available: true, synchronized: false, ntpEnabled: true },
      'WARN',
      /NTP is on but the system clock is not synchronised yet/,
    ],
    [{ available: true, synchronized: false, ntpEnabled: false }, 'WARN', /NTP is off/],
    [
      { available: false, reason: 'timedatectl is not installed' },
      'WARN',
      /cannot tell .*timedatectl is not installed/,
    ],
  ] as const)('%j → %s', (fact, status, detail) => {
    const result = ntpVerdict(fact);
    expect(result).toMatchObject({ name: 'clock', status });
    expect(result.detail).toMatch(detail);
  });
});

describe('doctor verdicts: disk space', () => {
  it.each([
    [10 * 1024 * MiB, 'PASS'],
    [1024 * MiB, 'PASS'],
    [1024 * MiB - 1, 'WARN'],
    [100 * MiB, 'WARN'],
    [100 * MiB - 1, 'FAIL'],
    [0, 'FAIL'],
  ])('%i bytes free → %s', (freeBytes, status) => {
    const result = diskVerdict({ path: '/var/lib/hushpoint', freeBytes });
    expect(result.status).toBe(status);
    expect(result.detail).toContain('/var/lib/hushpoint');
    if (status !== 'PASS') expect(result.fix).toContain('df -h /var/lib/hushpoint');
  });
});

describe('doctor verdicts: Node.js', () => {
  it.each([
    ['v20.0.0', 'PASS'],
    ['v20.20.2', 'PASS'],
    ['v18.19.1', 'FAIL'],
    ['v22.1.0', 'FAIL'],
    ['garbage', 'FAIL'],
  ])('%s → %s', (version, status) => {
    const result = nodeVerdict(version);
    expect(result.status).toBe(status);
    if (status === 'FAIL') expect(result.fix).toMatch(/install Node\.js 20/);
  });
});

describe('doctor verdicts: Bluetooth adapter', () => {
  const noble = (over: Partial<Extract<BleFact, { source: 'noble' }>>): BleFact => ({
    source: 'noble',
    adapterIndex: 0,
    adapters: ['hci0'],
    rfkill: [],
    up: true,
    ...over,
  });
  it.each([
    [noble({}), 'PASS', /hci0 present and UP, not blocked/, null],
    [noble({ up: null }), 'PASS', /hci0 present, not blocked/, null],
    [
      noble({ adapters: [] }),
      'FAIL',
      /no Bluetooth adapter found/,
      /no Bluetooth adapter: check `hciconfig`, `rfkill unblock bluetooth`, the service's capabilities/,
    ],
    [
      noble({ adapters: [], rfkill: [{ type: 'bluetooth', soft: true, hard: false }] }),
      'FAIL',
      /blocked by rfkill \(soft\)/,
      /rfkill unblock bluetooth/,
    ],
    [
      noble({ adapterIndex: 1 }),
      'FAIL',
      /hci1 \(ble.adapterIndex 1\) not found; this machine has hci0/,
      /set ble.adapterIndex to one of 0/,
    ],
    [
      noble({ rfkill: [{ type: 'bluetooth', soft: true, hard: false }] }),
      'FAIL',
      /hci0 is blocked by rfkill \(soft\)/,
      /sudo rfkill unblock bluetooth/,
    ],
    [noble({ rfkill: [{ type: 'bluetooth', soft: false, hard: true }] }), 'FAIL', /hard block/, /hardware block/],
    [noble({ rfkill: [{ type: 'wlan', soft: true, hard: false }] }), 'PASS', /not blocked/, null],
    [noble({ up: false }), 'WARN', /hci0 is present but DOWN/, /CAP_NET_ADMIN.*hciconfig hci0 up/],
    [{ source: 'replay', trace: 'trace.jsonl' } as BleFact, 'INFO', /replays trace.jsonl/, null],
  ])('%j → %s', (fact, status, detail, fix) => {
    const result = bleVerdict(fact);
    expect(result.status).toBe(status);
    expect(result.detail).toMatch(detail);
    if (fix === null) expect(result.fix).toBeUndefined();
    else expect(result.fix).toMatch(fix);
  });
});

describe('doctor verdicts: hub connection', () => {
  const target = {
    url: 'mqtts://hub.local:8883',
    host: 'hub.local',
    port: 8883,
    caFile: '/etc/hushpoint/ca.pem',
    gateway: 'gw-1',
  };
  it.each([
    ['ECONNREFUSED', 'unreachable'],
    ['ETIMEDOUT', 'unreachable'],
    ['ENOTFOUND', 'unreachable'],
    ['TIMEOUT', 'unreachable'],
    ['EHOSTUNREACH', 'unreachable'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['ECONNRESET', 'tls'],
  ])('error code %s is classified %s', (code, kind) => {
    expect(classifyConnectError(code).kind).toBe(kind);
  });

  it.each([
    [
      { kind: 'unreachable', code: 'ECONNREFUSED' },
      null,
      ['FAIL', 'INFO'],
      /cannot reach the hub at hub.local:8883 \(ECONNREFUSED\)/,
      /is the hub running/,
    ],
    [{ kind: 'unreachable', code: 'ENOTFOUND' }, null, ['FAIL', 'INFO'], /ENOTFOUND/, /"hub.local" does not resolve/],
    [{ kind: 'unreachable', code: 'TIMEOUT' }, null, ['FAIL', 'INFO'], /TIMEOUT/, /firewall blocks TCP port 8883/],
    [
      { kind: 'tls', code: 'SELF_SIGNED_CERT_IN_CHAIN', message: '' },
      null,
      ['FAIL', 'INFO'],
      /not trusted by \/etc\/hushpoint\/ca.pem/,
      /^wrong CA: \/etc\/hushpoint\/ca.pem must be this store's CA certificate/,
    ],
    [
      { kind: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: '' },
      null,
      ['FAIL', 'INFO'],
      /does not name "hub.local"/,
      /hub.serverName/,
    ],
    [
      { kind: 'tls', code: 'CERT_NOT_YET_VALID', message: '' },
      null,
      ['FAIL', 'INFO'],
      /CERT_NOT_YET_VALID/,
      /check this device's clock first/,
    ],
    [
      { kind: 'tls', code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: '' },
      null,
      ['FAIL', 'INFO'],
      /TLS handshake failed/,
      /broker.tls.port/,
    ],
    [{ kind: 'ok' }, { kind: 'connected' }, ['PASS', 'PASS'], /TLS verified with/, null],
    [
      { kind: 'ok' },
      { kind: 'refused', returnCode: 4 },
      ['PASS', 'FAIL'],
      /refused gateway "gw-1"'s credential \(CONNACK 4/,
      /rotate-gateway --store-dir STORE --gateway gw-1/,
    ],
    [
      { kind: 'ok' },
      { kind: 'refused', returnCode: 5 },
      ['PASS', 'FAIL'],
      /CONNACK 5: not authorised — the gateway is revoked/,
      /rotate-gateway/,
    ],
    [
      { kind: 'ok' },
      { kind: 'failed', code: 'no CONNACK' },
      ['PASS', 'FAIL'],
      /MQTT connect failed \(no CONNACK\)/,
      /journalctl -u hushpoint-hub/,
    ],
  ] as const)('TLS %j, MQTT %j → %j', (tls, mqtt, statuses, detail, fix) => {
    const results = hubConnectionVerdicts(target, tls, mqtt);
    expect(results.map((r) => r.name)).toEqual(['hub-tls', 'hub-credential']);
    expect(results.map((r) => r.status)).toEqual(statuses);
    const failing = results.find((r) => r.status === 'FAIL') ?? results[0];
    expect(results.map((r) => r.detail).join(' | ')).toMatch(detail);
    if (fix === null) expect(failing?.fix).toBeUndefined();
    else expect(failing?.fix).toMatch(fix);
  });
});

describe('doctor verdicts: config, files, service', () => {
  it('a bad config names every problem and the fix', () => {
    const result = configVerdict({
      ok: false,
      file: 'gw.yaml',
      kind: 'invalid',
      problems: ['/zone is "A B", expected …', '/hub/url is required'],
    });
    expect(result.status).toBe('FAIL');
    expect(result.detail).toBe('gw.yaml has 2 problems: /zone is "A B", expected …; /hub/url is required');
    expect(result.fix).toMatch(/hushpoint check-config gw.yaml/);
    expect(
      configVerdict({ ok: false, file: 'x.yaml', kind: 'unreadable', problems: ['/ cannot be read (ENOENT)'] }),
    ).toMatchObject({ status: 'FAIL', detail: 'x.yaml cannot be read (ENOENT)' });
    expect(
      configVerdict({ ok: false, file: 'x.yaml', kind: 'syntax', problems: ['/ is not valid YAML: …'] }).fix,
    ).toMatch(/YAML syntax/);
  });

  const file = (over: Partial<FileFact>): FileFact => ({
    configured: 'credential',
    path: '/etc/hushpoint/credential',
    exists: true,
    readable: true,
    size: 44,
    mode: 0o100640,
    ...over,
  });
  it.each([
    [{}, {}, 'PASS', /present, CA parses/],
    [{}, { exists: false }, 'FAIL', /credential \(hub.credentialFile\) \/etc\/hushpoint\/credential does not exist/],
    [{}, { readable: false }, 'FAIL', /cannot be read by this user/],
    [{}, { size: 0 }, 'FAIL', /is empty/],
    [{ parses: false }, {}, 'FAIL', /is not a PEM certificate/],
    [{}, { mode: 0o100644 }, 'FAIL', /readable by every user \(mode 644\); the gateway will not start/],
  ])('files: CA %j, credential %j → %s', (caOver, credOver, status, detail) => {
    const result = gatewayFilesVerdict({
      ca: file({ configured: 'ca.pem', path: '/etc/hushpoint/ca.pem', parses: true, ...caOver }),
      credential: file(credOver),
    });
    expect(result.status).toBe(status);
    expect(result.detail).toMatch(detail);
  });

  const unit = (over: Partial<Extract<ServiceFact, { systemd: true }>>): ServiceFact => ({
    systemd: true,
    unit: 'hushpoint-gateway.service',
    loadState: 'loaded',
    activeState: 'active',
    subState: 'running',
    unitFileState: 'enabled',
    result: 'success',
    execMainStatus: 0,
    restarts: 0,
    expected: true,
    ...over,
  });
  it.each([
    [{ systemd: false } as ServiceFact, 'INFO', /no systemd/, null],
    [unit({}), 'PASS', /is active \(running\)$/, null],
    [unit({ restarts: 1 }), 'PASS', /1 restart$/, null],
    [unit({ restarts: 5 }), 'WARN', /restarted it 5 times/, /journalctl -u hushpoint-gateway.service/],
    [unit({ loadState: 'not-found' }), 'WARN', /is not installed/, /install.sh/],
    [
      unit({ loadState: 'not-found', expected: false, unit: 'hushpoint-hub.service' }),
      'INFO',
      /hushpoint-hub.service is not installed/,
      null,
    ],
    [
      unit({ activeState: 'failed', subState: 'failed', result: 'exit-code', execMainStatus: 78 }),
      'FAIL',
      /failed \(result exit-code, exit status 78\)/,
      /exit 78 means the config is invalid.*check-config/,
    ],
    [
      unit({ activeState: 'activating', subState: 'auto-restart', result: 'exit-code', execMainStatus: 1 }),
      'FAIL',
      /restarting in a loop/,
      /journalctl/,
    ],
    [unit({ activeState: 'inactive', subState: 'dead' }), 'WARN', /is inactive \(dead\)/, /systemctl enable --now/],
    [
      unit({ unitFileState: 'disabled' }),
      'WARN',
      /will not start at boot/,
      /systemctl enable hushpoint-gateway.service/,
    ],
  ])('service %j → %s', (fact, status, detail, fix) => {
    const result = serviceVerdict(fact);
    expect(result.status).toBe(status);
    expect(result.detail).toMatch(detail);
    if (fix === null) expect(result.fix).toBeUndefined();
    else expect(result.fix).toMatch(fix);
  });
});

describe('doctor output', () => {
  it('prints one aligned line per check, the fix after a dash, and exits 1 only on FAIL', () => {
    const results = [
      { name: 'config', status: 'PASS', detail: 'ok' },
      { name: 'ble-adapter', status: 'WARN', detail: 'hci0 is DOWN', fix: 'hciconfig hci0 up' },
    ] as const;
    expect(formatReport([...results])).toEqual([
      'PASS  config       ok',
      'WARN  ble-adapter  hci0 is DOWN — hciconfig hci0 up',
    ]);
    expect(formatCheck({ name: 'disk', status: 'FAIL', detail: 'full', fix: 'free space' })).toBe(
      'FAIL  disk  full — free space',
    );
    expect(doctorExitCode([...results])).toBe(0);
    expect(doctorExitCode([...results, { name: 'disk', status: 'FAIL', detail: 'full', fix: 'x' }])).toBe(1);
    expect(doctorExitCode([{ name: 'service', status: 'INFO', detail: 'no systemd' }])).toBe(0);
  });

  it('parses systemctl/timedatectl KEY=value output, hciconfig state and Node versions', () => {
    expect(
      parseKeyValues(
        'LoadState=loaded\nActiveState=active\nNTPSynchronized=yes\nExecStart={ path=/usr/bin/node ; argv[]=x }\n',
      ),
    ).toEqual({
      LoadState: 'loaded',
      ActiveState: 'active',
      NTPSynchronized: 'yes',
      ExecStart: '{ path=/usr/bin/node ; argv[]=x }',
    });
    expect(
      parseHciconfigState('hci0:\tType: Primary  Bus: UART\n\tBD Address: xx  ACL MTU: 1021:8\n\tUP RUNNING \n'),
    ).toBe(true);
    expect(parseHciconfigState('hci0:\tType: Primary  Bus: UART\n\tDOWN \n')).toBe(false);
    expect(parseHciconfigState('')).toBeNull();
    expect([nodeMajor('v20.20.2'), nodeMajor('18.1.0'), nodeMajor('x')]).toEqual([20, 18, null]);
  });
});
