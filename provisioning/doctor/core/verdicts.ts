import { check, formatBytes, formatDuration, type CheckResult } from './check.ts';
import { nodeMajor } from './parse.ts';

/**
 * The doctor's judgement: measured facts in, a verdict with its fix out. No I/O here (the
 * probes measure); every threshold and every fix text is decided in this file, so each is
 * covered by a table-driven test.
 */

export const THRESHOLDS = {
  clockWarnMs: 2_000,
  clockFailMs: 30_000,
  diskWarnBytes: 1024 ** 3,
  diskFailBytes: 100 * 1024 ** 2,
  certificateWarnDays: 30,
  serviceRestartsWarn: 3,
  nodeMajor: 20,
} as const;

// --- config -----------------------------------------------------------------------------------

export type ConfigFact =
  | { ok: true; file: string; role: string; summary: string }
  /**
   * `problems`: "/json/pointer message" each ("/ message" for the whole file). `kind`: the file
   * cannot be read, is not YAML, or does not match its role's schema.
   */
  | { ok: false; file: string; kind: 'unreadable' | 'syntax' | 'invalid'; problems: string[] };

export function configVerdict(fact: ConfigFact): CheckResult {
  if (fact.ok) return check('config', 'PASS', `${fact.file}: valid ${fact.role} config (${fact.summary})`);
  const count = fact.problems.length;
  const detail = `${fact.file} has ${count} problem${count === 1 ? '' : 's'}: ${fact.problems.join('; ')}`;
  if (fact.kind === 'unreadable') {
    return check(
      'config',
      'FAIL',
      `${fact.file} ${fact.problems.join('; ').replace(/^\/ /, '')}`,
      "check the path given to --config (install.sh puts the gateway's at /etc/hushpoint/gateway.yaml) and run doctor with sudo if it is not readable by you",
    );
  }
  const after = `then check with \`hushpoint check-config ${fact.file}\`; the service exits with code 78 and is not restarted until the file is valid`;
  if (fact.kind === 'syntax')
    return check(
      'config',
      'FAIL',
      detail,
      `fix the YAML syntax at the line and column given (indentation, a missing ":" or closing bracket), ${after}`,
    );
  return check('config', 'FAIL', detail, `correct each field named (JSON pointer, then what was expected), ${after}`);
}

export function skippedVerdict(name: string, why: string): CheckResult {
  return check(name, 'INFO', `not checked: ${why}`);
}

// --- Node.js ----------------------------------------------------------------------------------

export function nodeVerdict(version: string): CheckResult {
  const major = nodeMajor(version);
  if (major === THRESHOLDS.nodeMajor) return check('node', 'PASS', `Node.js ${version}`);
  return check(
    'node',
    'FAIL',
    `Node.js ${version}, expected ${THRESHOLDS.nodeMajor}.x (the release and its native modules are built for Node ${THRESHOLDS.nodeMajor})`,
    `install Node.js ${THRESHOLDS.nodeMajor}: run the bundle's install.sh again (it installs it from Debian or NodeSource), or \`curl -fsSL https://deb.nodesource.com/setup_${THRESHOLDS.nodeMajor}.x | sudo bash - && sudo apt-get install -y nodejs\``,
  );
}

// --- files (gateway secrets) ------------------------------------------------------------------

export interface FileFact {
  /** As written in the config. */
  configured: string;
  path: string;
  exists: boolean;
  readable: boolean;
  size: number;
  mode: number;
  /** For certificates: whether it parses as an X.509 certificate. */
  parses?: boolean;
}

export function gatewayFilesVerdict(facts: { ca: FileFact | null; credential: FileFact }): CheckResult {
  const fromBundle =
    "copy it again from the gateway's bundle (the store folder's gateways/ID/), or run the bundle's install.sh again";
  const { ca, credential } = facts;
  for (const [what, fact] of [
    ['CA certificate (hub.caFile)', ca],
    ['credential (hub.credentialFile)', credential],
  ] as const) {
    if (fact === null) continue;
    if (!fact.exists) return check('files', 'FAIL', `the ${what} ${fact.path} does not exist`, fromBundle);
    if (!fact.readable)
      return check(
        'files',
        'FAIL',
        `the ${what} ${fact.path} cannot be read by this user`,
        'run doctor with sudo, or give the service user read access (install.sh sets root:hushpoint 0640)',
      );
    if (fact.size === 0) return check('files', 'FAIL', `the ${what} ${fact.path} is empty`, fromBundle);
  }
  if (ca !== null && ca.parses === false)
    return check(
      'files',
      'FAIL',
      `the CA certificate ${ca.path} is not a PEM certificate`,
      `${fromBundle}: it must be the store's ca.pem`,
    );
  // The gateway refuses a credential others may read or its group may change (shared/secrets/secret-file.ts).
  if ((credential.mode & 0o027) !== 0) {
    return check(
      'files',
      'FAIL',
      `the credential ${credential.path} is readable by every user (mode ${(credential.mode & 0o777).toString(8)}); the gateway will not start`,
      `sudo chmod 0640 ${credential.path} (and chown root:hushpoint)`,
    );
  }
  return check(
    'files',
    'PASS',
    `${ca === null ? '' : `${ca.path}, `}${credential.path} present${ca === null ? '' : ', CA parses'}; credential not world-readable`,
  );
}

// --- Bluetooth adapter ------------------------------------------------------------------------

export interface RfkillEntry {
  type: string;
  soft: boolean;
  hard: boolean;
}

export type BleFact =
  | { source: 'replay'; trace: string }
  | { source: 'noble'; adapterIndex: number; adapters: string[]; rfkill: RfkillEntry[]; up: boolean | null };

export const NO_ADAPTER_FIX =
  "no Bluetooth adapter: check `hciconfig`, `rfkill unblock bluetooth`, the service's capabilities (AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN in hushpoint-gateway.service); on a Pi, that the bluez package is installed and /boot/firmware/config.txt has no dtoverlay=disable-bt";

export function bleVerdict(fact: BleFact): CheckResult {
  if (fact.source === 'replay')
    return check('ble-adapter', 'INFO', `ble.source replays ${fact.trace}: no Bluetooth adapter needed`);
  const name = `hci${fact.adapterIndex}`;
  const blocked = fact.rfkill.filter((r) => r.type === 'bluetooth' && (r.soft || r.hard));
  if (fact.adapters.length === 0) {
    if (blocked.some((r) => r.soft))
      return check(
        'ble-adapter',
        'FAIL',
        'no Bluetooth adapter: Bluetooth is blocked by rfkill (soft)',
        '`sudo rfkill unblock bluetooth`, then `sudo systemctl restart hushpoint-gateway`',
      );
    return check('ble-adapter', 'FAIL', 'no Bluetooth adapter found (/sys/class/bluetooth is empty)', NO_ADAPTER_FIX);
  }
  if (!fact.adapters.includes(name)) {
    return check(
      'ble-adapter',
      'FAIL',
      `${name} (ble.adapterIndex ${fact.adapterIndex}) not found; this machine has ${fact.adapters.join(', ')}`,
      `set ble.adapterIndex to one of ${fact.adapters.map((a) => a.slice(3)).join(', ')} in the config, or plug in the adapter; check \`hciconfig\``,
    );
  }
  if (blocked.some((r) => r.hard))
    return check(
      'ble-adapter',
      'FAIL',
      `${name} is blocked by rfkill (hard block: a switch or the firmware)`,
      'remove the hardware block (switch, BIOS/firmware setting), then check `rfkill list`',
    );
  if (blocked.length > 0)
    return check(
      'ble-adapter',
      'FAIL',
      `${name} is blocked by rfkill (soft)`,
      '`sudo rfkill unblock bluetooth`, then `sudo systemctl restart hushpoint-gateway`',
    );
  if (fact.up === false) {
    return check(
      'ble-adapter',
      'WARN',
      `${name} is present but DOWN`,
      `the gateway brings it up itself when it has CAP_NET_ADMIN (see the service's AmbientCapabilities); by hand: \`sudo hciconfig ${name} up\``,
    );
  }
  return check('ble-adapter', 'PASS', `${name} present${fact.up === true ? ' and UP' : ''}, not blocked`);
}

// --- hub connection (gateway) -----------------------------------------------------------------

/** What a TCP/TLS connection attempt ended with. */
export type TlsOutcome =
  { kind: 'ok' } | { kind: 'unreachable'; code: string } | { kind: 'tls'; code: string; message: string };

/** What the MQTT CONNECT (after TLS succeeded) ended with. */
export type MqttOutcome =
  { kind: 'connected' } | { kind: 'refused'; returnCode: number } | { kind: 'failed'; code: string };

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'TIMEOUT',
  'EPIPE',
]);

/** Sorts a socket/TLS error code into "unreachable" or "TLS failure". */
export function classifyConnectError(code: string, message = code): TlsOutcome {
  if (UNREACHABLE_CODES.has(code)) return { kind: 'unreachable', code };
  return { kind: 'tls', code, message };
}

export interface HubTarget {
  url: string;
  host: string;
  port: number;
  caFile: string;
  serverName?: string;
  gateway: string;
}

const TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

function unreachableFix(code: string, target: HubTarget): string {
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `the host name "${target.host}" does not resolve: check hub.url, the store's DNS (".local" names need avahi-daemon), or use the hub's IP address (it must be one the hub certificate names)`;
  }
  if (code === 'ECONNREFUSED') {
    return `nothing listens on ${target.host}:${target.port}: is the hub running (\`sudo systemctl status hushpoint-hub\` on the hub)? does hub.url use the hub's broker.tls.port (8883 by default)?`;
  }
  return `no answer from ${target.host}:${target.port}: check this Pi's network (\`ip addr\`, Wi-Fi or cable), the hub's address, and that no firewall blocks TCP port ${target.port}`;
}

function tlsFix(code: string, target: HubTarget): string {
  if (TRUST_CODES.has(code)) {
    return `wrong CA: ${target.caFile} must be this store's CA certificate (ca.pem from the store folder or the gateway's bundle); copy it again, or re-make the bundle with \`hushpoint provision add-gateway --force\``;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the hub certificate does not name "${target.serverName ?? target.host}": put a host name or IP it names in hub.url (see \`hushpoint provision init-store --hostname/--ip\`), or set hub.serverName to one of them`;
  }
  if (code === 'CERT_NOT_YET_VALID' || code === 'CERT_HAS_EXPIRED') {
    return `check this device's clock first (\`timedatectl status\`; a Pi without network time starts in the past): \`sudo timedatectl set-ntp true\`; if the clock is right, the hub certificate has ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'a future start date'} and must be re-issued`;
  }
  return `the port does not answer TLS as a hushpoint hub: check that hub.url points at the hub's broker.tls.port (8883 by default), not a plain MQTT port`;
}

export function hubConnectionVerdicts(target: HubTarget, tls: TlsOutcome, mqtt: MqttOutcome | null): CheckResult[] {
  const where = `${target.host}:${target.port}`;
  if (tls.kind === 'unreachable') {
    return [
      check('hub-tls', 'FAIL', `cannot reach the hub at ${where} (${tls.code})`, unreachableFix(tls.code, target)),
      skippedVerdict('hub-credential', 'the hub is unreachable'),
    ];
  }
  if (tls.kind === 'tls') {
    const what = TRUST_CODES.has(tls.code)
      ? `the hub's certificate is not trusted by ${target.caFile}`
      : tls.code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? `the hub's certificate does not name "${target.serverName ?? target.host}"`
        : 'TLS handshake failed';
    return [
      check('hub-tls', 'FAIL', `${what} (${tls.code}) at ${where}`, tlsFix(tls.code, target)),
      skippedVerdict('hub-credential', 'no TLS connection to the hub'),
    ];
  }
  const tlsPass = check('hub-tls', 'PASS', `${target.url}: TLS verified with ${target.caFile}`);
  if (mqtt === null) return [tlsPass, skippedVerdict('hub-credential', 'MQTT connect not attempted')];
  if (mqtt.kind === 'connected')
    return [tlsPass, check('hub-credential', 'PASS', `the hub accepted gateway "${target.gateway}"'s credential`)];
  if (mqtt.kind === 'refused') {
    const rotate = `\`hushpoint provision rotate-gateway --store-dir STORE --gateway ${target.gateway}\` on the provisioning machine, then copy the bundle's new credential to hub.credentialFile and restart the service`;
    if (mqtt.returnCode === 4)
      return [
        tlsPass,
        check(
          'hub-credential',
          'FAIL',
          `the hub refused gateway "${target.gateway}"'s credential (CONNACK 4: bad user name or password)`,
          `the credential file does not match the hub's registry (or the gateway is not registered there): ${rotate}`,
        ),
      ];
    if (mqtt.returnCode === 5)
      return [
        tlsPass,
        check(
          'hub-credential',
          'FAIL',
          `the hub refused gateway "${target.gateway}" (CONNACK 5: not authorised — the gateway is revoked)`,
          `if this Pi should be in service, issue a new credential: ${rotate}`,
        ),
      ];
    if (mqtt.returnCode === 3)
      return [
        tlsPass,
        check(
          'hub-credential',
          'FAIL',
          'the hub refused the connection (CONNACK 3: server unavailable, e.g. too many clients)',
          'check the hub: `hushpoint doctor --config hub.yaml` and `journalctl -u hushpoint-hub` on the hub (broker.maxClients)',
        ),
      ];
    return [
      tlsPass,
      check(
        'hub-credential',
        'FAIL',
        `the hub refused the connection (CONNACK ${mqtt.returnCode})`,
        "check the hub's log: `journalctl -u hushpoint-hub` on the hub",
      ),
    ];
  }
  return [
    tlsPass,
    check(
      'hub-credential',
      'FAIL',
      `TLS worked but the MQTT connect failed (${mqtt.code})`,
      "check that hub.url is the hushpoint hub's broker port, and the hub's log (`journalctl -u hushpoint-hub`)",
    ),
  ];
}

// --- clock ------------------------------------------------------------------------------------

/** offsetMs = hub time − this device's time (the gateway's own convention): positive = device behind. */
export type ClockFact = { offsetMs: number } | { offsetMs: null; reason: string };

export function clockOffsetVerdict(fact: ClockFact): CheckResult {
  const ntpFix =
    'turn on network time: `sudo timedatectl set-ntp true`, check `timedatectl status` (System clock synchronized: yes) and that UDP port 123 is open; run doctor on the hub too, its clock is the reference';
  if (fact.offsetMs === null)
    return check(
      'clock',
      'WARN',
      `offset unknown: ${fact.reason}`,
      'check that the hub is running and publishing hub/clock (hushpoint doctor on the hub); meanwhile make sure NTP runs here (`timedatectl status`)',
    );
  const abs = Math.abs(fact.offsetMs);
  const detail =
    abs < 1
      ? 'in step with the hub clock'
      : `${formatDuration(abs)} ${fact.offsetMs > 0 ? 'behind' : 'ahead of'} the hub clock`;
  if (abs > THRESHOLDS.clockFailMs)
    return check(
      'clock',
      'FAIL',
      `${detail} (limit ${THRESHOLDS.clockFailMs / 1000} s: windows and EIDs land in the wrong periods)`,
      ntpFix,
    );
  if (abs > THRESHOLDS.clockWarnMs)
    return check('clock', 'WARN', `${detail} (more than ${THRESHOLDS.clockWarnMs / 1000} s)`, ntpFix);
  return check('clock', 'PASS', detail);
}

export type NtpFact =
  { available: false; reason: string } | { available: true; synchronized: boolean; ntpEnabled: boolean | null };

export function ntpVerdict(fact: NtpFact): CheckResult {
  if (!fact.available) {
    return check(
      'clock',
      'WARN',
      `cannot tell whether the system clock is synchronised (${fact.reason})`,
      "make sure the clock is synchronised by NTP (systemd-timesyncd or chrony): gateways and EIDs follow the hub's clock",
    );
  }
  if (fact.synchronized) return check('clock', 'PASS', 'system clock synchronised by NTP (timedatectl)');
  if (fact.ntpEnabled === false)
    return check(
      'clock',
      'WARN',
      'NTP is off and the system clock is not synchronised',
      '`sudo timedatectl set-ntp true`, then check `timedatectl status`',
    );
  return check(
    'clock',
    'WARN',
    'NTP is on but the system clock is not synchronised yet',
    'wait a minute after boot; if it stays so, check `timedatectl timesync-status` and that UDP port 123 to the NTP servers is open',
  );
}

// --- disk -------------------------------------------------------------------------------------

export function diskVerdict(fact: { path: string; freeBytes: number }): CheckResult {
  const detail = `${formatBytes(fact.freeBytes)} free on the filesystem of ${fact.path}`;
  const fix = `free space: \`df -h ${fact.path}\`, \`sudo journalctl --vacuum-size=200M\`, remove old files or backups; use a larger SD card`;
  if (fact.freeBytes < THRESHOLDS.diskFailBytes)
    return check('disk', 'FAIL', `${detail} (less than ${formatBytes(THRESHOLDS.diskFailBytes)})`, fix);
  if (fact.freeBytes < THRESHOLDS.diskWarnBytes)
    return check('disk', 'WARN', `${detail} (less than ${formatBytes(THRESHOLDS.diskWarnBytes)})`, fix);
  return check('disk', 'PASS', detail);
}

// --- systemd ----------------------------------------------------------------------------------

export type ServiceFact =
  | { systemd: false }
  | {
      systemd: true;
      unit: string;
      loadState: string;
      activeState: string;
      subState: string;
      unitFileState: string;
      result: string;
      execMainStatus: number | null;
      restarts: number | null;
      /** Whether this role is always run as this unit (gateway) or may run otherwise (hub). */
      expected: boolean;
    };

export function serviceVerdict(fact: ServiceFact): CheckResult {
  if (!fact.systemd) return check('service', 'INFO', 'no systemd on this machine: service state not checked');
  const u = fact.unit;
  const logs = `\`journalctl -u ${u} -n 100\``;
  if (fact.loadState === 'not-found') {
    return fact.expected
      ? check(
          'service',
          'WARN',
          `${u} is not installed`,
          "run install.sh from the gateway's bundle (it installs and enables the unit)",
        )
      : check('service', 'INFO', `${u} is not installed (the hub may be run another way)`);
  }
  if (fact.activeState === 'failed' || (fact.activeState === 'activating' && fact.subState === 'auto-restart')) {
    const status = fact.execMainStatus === null ? '' : `, exit status ${fact.execMainStatus}`;
    const configHint =
      fact.execMainStatus === 78
        ? 'exit 78 means the config is invalid: run `hushpoint check-config` on it, fix it, then '
        : `read ${logs}, fix the cause, then `;
    return check(
      'service',
      'FAIL',
      `${u} is ${fact.activeState === 'failed' ? 'failed' : 'restarting in a loop'} (result ${fact.result}${status})`,
      `${configHint}\`sudo systemctl restart ${u}\``,
    );
  }
  if (fact.activeState !== 'active') {
    return check(
      'service',
      'WARN',
      `${u} is ${fact.activeState} (${fact.subState})`,
      `\`sudo systemctl enable --now ${u}\`; if it stops again, read ${logs}`,
    );
  }
  if (fact.unitFileState !== 'enabled' && fact.unitFileState !== 'static' && fact.unitFileState !== '') {
    return check(
      'service',
      'WARN',
      `${u} is running but ${fact.unitFileState} (it will not start at boot)`,
      `\`sudo systemctl enable ${u}\``,
    );
  }
  if (fact.restarts !== null && fact.restarts >= THRESHOLDS.serviceRestartsWarn) {
    return check(
      'service',
      'WARN',
      `${u} is active but systemd restarted it ${fact.restarts} times`,
      `find why it crashes: ${logs}`,
    );
  }
  return check(
    'service',
    'PASS',
    `${u} is active (${fact.subState})${fact.restarts ? `, ${fact.restarts} restart${fact.restarts === 1 ? '' : 's'}` : ''}`,
  );
}

export interface CalibrationFact {
  file: string;
  gateway: string;
  thresholds: { nearDbm: number; midDbm: number };
  /** The gateway.yaml's calibration record, absent when never calibrated. */
  calibration?: {
    at: string;
    offsetDb: number;
    baseNearDbm: number;
    baseMidDbm: number;
    samples: number;
    distanceM: number;
  };
}

/** WARN when the receiver was never calibrated, or its thresholds were changed by hand since (docs/field-guide.md). */
export function calibrationVerdict(fact: CalibrationFact): CheckResult {
  const { nearDbm, midDbm } = fact.thresholds;
  const how = `hold a reference tag still ${fact.calibration?.distanceM ?? 1} m from the antenna and run \`hushpoint calibrate --config ${fact.file} --seconds 60 --identity-key KEY --exponent K --write\``;
  const c = fact.calibration;
  if (c === undefined)
    return check(
      'calibration',
      'WARN',
      `gateway ${fact.gateway} has never been calibrated: its bands are near ${nearDbm} / mid ${midDbm} dBm as configured, whatever its receiver reads`,
      how,
    );
  const sign = c.offsetDb >= 0 ? '+' : '';
  if (nearDbm !== c.baseNearDbm + c.offsetDb || midDbm !== c.baseMidDbm + c.offsetDb)
    return check(
      'calibration',
      'WARN',
      `gateway ${fact.gateway}'s bands (near ${nearDbm} / mid ${midDbm} dBm) were changed after its calibration of ${c.at} (${sign}${c.offsetDb} dB from ${c.baseNearDbm} / ${c.baseMidDbm})`,
      `calibrate again, or put back near ${c.baseNearDbm + c.offsetDb} / mid ${c.baseMidDbm + c.offsetDb}: ${how}`,
    );
  return check(
    'calibration',
    'PASS',
    `gateway ${fact.gateway} calibrated ${c.at}: receiver ${sign}${c.offsetDb} dB (${c.samples} adverts at ${c.distanceM} m), near ${nearDbm} / mid ${midDbm} dBm`,
  );
}
