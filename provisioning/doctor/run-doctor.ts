import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, readYamlFile, roleOf, validateConfig } from '../../shared/config/load-config.ts';
import { AppError } from '../../shared/errors.ts';
import { certificateInfo, derFingerprint256 } from '../adapters/certificate-info.ts';
import { gatewayRole, type GatewayConfig } from '../../gateway/config.schema.ts';
import { hubRole, type HubConfig } from '../../hub/config.schema.ts';
import { STORE_FILES } from '../core/hub-config.ts';
import { PI_PATHS } from '../core/gateway-config.ts';
import { check, doctorExitCode, type CheckResult } from './core/check.ts';
import {
  bleVerdict,
  calibrationVerdict,
  clockOffsetVerdict,
  configVerdict,
  diskVerdict,
  gatewayFilesVerdict,
  hubConnectionVerdicts,
  nodeVerdict,
  ntpVerdict,
  serviceVerdict,
  skippedVerdict,
  type BleFact,
  type HubTarget,
  type NtpFact,
  type ServiceFact,
} from './core/verdicts.ts';
import {
  brokerVerdict,
  certificateVerdict,
  databaseVerdict,
  tokensVerdict,
  type ListenerFact,
} from './core/hub-verdicts.ts';
import { probeBle, probeDisk, probeFile, probeNtp, probeService } from './probes/system.ts';
import {
  probeMqtt,
  probeTls,
  type MqttProbeOptions,
  type MqttProbeResult,
  type TlsProbeOptions,
  type TlsProbeResult,
} from './probes/hub-connection.ts';
import { probeCertificate, probeDatabase, probeToken } from './probes/hub-files.ts';

/**
 * `hushpoint doctor --config FILE`: the role comes from the file; each check measures a fact
 * with a probe and turns it into PASS/WARN/FAIL/INFO with the fix (./core). Probes can be
 * replaced (tests inject facts such as a clock offset); `skip` leaves named checks out.
 */

export interface DoctorProbes {
  nodeVersion(): string;
  ble(options: { adapterIndex: number }): Promise<BleFact>;
  tls(options: TlsProbeOptions): Promise<TlsProbeResult>;
  mqtt(options: MqttProbeOptions): Promise<MqttProbeResult>;
  disk(path: string): { path: string; freeBytes: number };
  service(unit: string, expected: boolean): Promise<ServiceFact>;
  ntp(): Promise<NtpFact>;
  now(): number;
}

export const systemProbes: DoctorProbes = {
  nodeVersion: () => process.version,
  ble: (options) => probeBle(options),
  tls: probeTls,
  mqtt: probeMqtt,
  disk: probeDisk,
  service: probeService,
  ntp: probeNtp,
  now: () => Date.now(),
};

export const GATEWAY_CHECKS = [
  'config',
  'node',
  'files',
  'ble-adapter',
  'calibration',
  'hub-tls',
  'hub-credential',
  'clock',
  'disk',
  'service',
] as const;
export const HUB_CHECKS = [
  'config',
  'node',
  'tls-certificate',
  'tokens',
  'database',
  'broker',
  'clock',
  'disk',
  'service',
] as const;
/** Checks that --skip may name (the config check cannot be skipped). */
export const SKIPPABLE = [...new Set([...GATEWAY_CHECKS, ...HUB_CHECKS])].filter((c) => c !== 'config');

export const SERVICE_UNITS = { gateway: `${PI_PATHS.service}.service`, hub: 'hushpoint-hub.service' } as const;

export interface DoctorOptions {
  /** Check names to leave out (reported as INFO). */
  skip?: string[];
  /** How long to wait for the hub's clock message (default 5 s). */
  clockWaitMs?: number;
  connectTimeoutMs?: number;
  probes?: Partial<DoctorProbes>;
}

export interface DoctorReport {
  file: string;
  role: 'gateway' | 'hub' | null;
  ok: boolean;
  exitCode: 0 | 1;
  checks: CheckResult[];
}

class Checks {
  readonly results: CheckResult[] = [];
  readonly #skip: Set<string>;

  constructor(skip: Set<string>) {
    this.#skip = skip;
  }

  skipped(name: string): boolean {
    return this.#skip.has(name);
  }

  add(...results: CheckResult[]): void {
    for (const result of results)
      this.results.push(this.#skip.has(result.name) ? check(result.name, 'INFO', 'skipped (--skip)') : result);
  }

  /** Runs `measure` unless the check is skipped. */
  async run(name: string, measure: () => Promise<CheckResult> | CheckResult): Promise<void> {
    if (this.#skip.has(name)) {
      this.add(check(name, 'INFO', 'skipped (--skip)'));
      return;
    }
    this.add(await measure());
  }
}

function resolverFor(file: string): (path: string) => string {
  const dir = dirname(resolve(file));
  return (path) => (isAbsolute(path) ? path : resolve(dir, path));
}

export async function runDoctor(file: string, options: DoctorOptions = {}): Promise<DoctorReport> {
  const probes: DoctorProbes = { ...systemProbes, ...options.probes };
  const unknown = (options.skip ?? []).filter((name) => !(SKIPPABLE as string[]).includes(name));
  if (unknown.length > 0)
    throw new AppError(
      'CLI_USAGE',
      `--skip "${unknown.join('", "')}" is not a check name, expected one of: ${SKIPPABLE.join(', ')}`,
    );
  const checks = new Checks(new Set(options.skip ?? []));

  let document: unknown;
  let role: 'gateway' | 'hub' | null = null;
  let problems: string[] | null = null;
  let kind: 'unreadable' | 'syntax' | 'invalid' = 'invalid';
  try {
    document = readYamlFile(file);
    const named = roleOf(document);
    if (named === 'gateway' || named === 'hub') role = named;
    else problems = [`/role ${named === undefined ? 'is required' : `is "${named}"`}, expected "gateway" or "hub"`];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const details = error.details as { problems?: Array<{ path: string; message: string }> } | undefined;
    problems = (details?.problems ?? [{ path: '', message: error.message }]).map(
      (p) => `${p.path || '/'} ${p.message}`,
    );
    kind = problems.some((p) => p.startsWith('/ cannot be read')) ? 'unreadable' : 'syntax';
  }

  let gatewayConfig: GatewayConfig | null = null;
  let hubConfig: HubConfig | null = null;
  if (role !== null) {
    const result = role === 'gateway' ? validateConfig(gatewayRole, document) : validateConfig(hubRole, document);
    if (!result.ok) problems = result.problems.map((p) => `${p.path || '/'} ${p.message}`);
    else if (role === 'gateway') gatewayConfig = result.config as GatewayConfig;
    else hubConfig = result.config as HubConfig;
  }
  if (gatewayConfig !== null) {
    checks.add(
      configVerdict({
        ok: true,
        file,
        role: 'gateway',
        summary: `store ${gatewayConfig.store}, gateway ${gatewayConfig.gateway}, zone ${gatewayConfig.zone}`,
      }),
    );
  } else if (hubConfig !== null) {
    checks.add(configVerdict({ ok: true, file, role: 'hub', summary: `store ${hubConfig.store}` }));
  } else {
    checks.add(configVerdict({ ok: false, file, kind, problems: problems ?? [] }));
  }
  await checks.run('node', () => nodeVerdict(probes.nodeVersion()));

  const resolvePath = resolverFor(file);
  if (gatewayConfig !== null)
    await gatewayChecks(gatewayConfig, resolvePath, checks, probes, { ...options, configFile: file });
  else if (hubConfig !== null) await hubChecks(hubConfig, resolvePath, checks, probes);
  else {
    const names = role === 'hub' ? HUB_CHECKS : GATEWAY_CHECKS;
    for (const name of names)
      if (name !== 'config' && name !== 'node' && name !== 'service')
        checks.add(skippedVerdict(name, 'the config is invalid'));
    if (role !== null)
      await checks.run('service', () => probes.service(SERVICE_UNITS[role], role === 'gateway').then(serviceVerdict));
  }
  const exitCode = doctorExitCode(checks.results);
  return { file: resolve(file), role, ok: exitCode === 0, exitCode, checks: checks.results };
}

function configuredFingerprint(path: string): string | null {
  try {
    return certificateInfo(readFileSync(path)).fingerprint256;
  } catch {
    return null;
  }
}

function hubTarget(config: GatewayConfig, resolvePath: (p: string) => string): HubTarget & { tls: boolean } {
  const url = new URL(config.hub.url);
  const tls = url.protocol === 'mqtts:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    url: config.hub.url,
    host,
    port: url.port === '' ? (tls ? 8883 : 1883) : Number(url.port),
    caFile: config.hub.caFile === undefined ? '(no caFile)' : resolvePath(config.hub.caFile),
    ...(config.hub.serverName !== undefined ? { serverName: config.hub.serverName } : {}),
    gateway: config.gateway,
    tls,
  };
}

async function gatewayChecks(
  config: GatewayConfig,
  resolvePath: (p: string) => string,
  checks: Checks,
  probes: DoctorProbes,
  options: DoctorOptions & { configFile: string },
): Promise<void> {
  const caPath = config.hub.caFile === undefined ? null : resolvePath(config.hub.caFile);
  const credentialPath = resolvePath(config.hub.credentialFile);
  const ca = caPath === null ? null : probeFile(config.hub.caFile ?? '', caPath, { certificate: true });
  const credential = probeFile(config.hub.credentialFile, credentialPath);
  await checks.run('files', () => gatewayFilesVerdict({ ca, credential }));

  await checks.run('ble-adapter', async () => {
    const source = config.ble.source;
    if (source.startsWith('replay:')) return bleVerdict({ source: 'replay', trace: source.slice('replay:'.length) });
    return bleVerdict(await probes.ble({ adapterIndex: config.ble.adapterIndex }));
  });

  await checks.run('calibration', () =>
    calibrationVerdict({
      file: options.configFile,
      gateway: config.gateway,
      thresholds: { nearDbm: config.window.nearDbm, midDbm: config.window.midDbm },
      ...(config.calibration !== undefined ? { calibration: config.calibration } : {}),
    }),
  );

  // hub-tls, hub-credential and clock share one TLS probe and one MQTT connection.
  const target = hubTarget(config, resolvePath);
  const wantConnection = !(checks.skipped('hub-tls') && checks.skipped('hub-credential') && checks.skipped('clock'));
  if (!wantConnection) {
    checks.add(
      check('hub-tls', 'INFO', 'skipped (--skip)'),
      check('hub-credential', 'INFO', 'skipped (--skip)'),
      check('clock', 'INFO', 'skipped (--skip)'),
    );
  } else if ((ca !== null && (!ca.readable || ca.parses !== true)) || !credential.readable) {
    const why = !credential.readable
      ? 'the credential file cannot be read (see files)'
      : 'the CA certificate cannot be used (see files)';
    checks.add(skippedVerdict('hub-tls', why), skippedVerdict('hub-credential', why), skippedVerdict('clock', why));
  } else {
    const caPem = caPath === null ? undefined : readFileSync(caPath);
    let tlsResults: CheckResult[];
    let mqttResult: MqttProbeResult | null = null;
    const connectTimeoutMs = options.connectTimeoutMs ?? 8000;
    if (target.tls) {
      const tls = await probes.tls({
        host: target.host,
        port: target.port,
        ...(caPem !== undefined ? { ca: caPem } : {}),
        ...(target.serverName !== undefined ? { serverName: target.serverName } : {}),
        timeoutMs: connectTimeoutMs,
      });
      if (tls.outcome.kind === 'ok') mqttResult = await connectMqtt();
      tlsResults = hubConnectionVerdicts(target, tls.outcome, mqttResult?.outcome ?? null);
    } else {
      mqttResult = await connectMqtt();
      const [, credentialResult] = hubConnectionVerdicts(target, { kind: 'ok' }, mqttResult.outcome);
      tlsResults = [
        check(
          'hub-tls',
          'WARN',
          `${target.url} is plain MQTT: no TLS, the hub is not authenticated and the credential travels in clear`,
          'use mqtts:// with the store CA (bundles from `hushpoint provision add-gateway` do); plain MQTT is for loopback development only',
        ),
        ...(credentialResult !== undefined ? [credentialResult] : []),
      ];
    }
    checks.add(...tlsResults);
    await checks.run('clock', () =>
      mqttResult === null
        ? skippedVerdict('clock', 'not connected to the hub (its clock is the reference)')
        : clockOffsetVerdict(mqttResult.clock),
    );

    async function connectMqtt(): Promise<MqttProbeResult> {
      return probes.mqtt({
        url: config.hub.url,
        store: config.store,
        gateway: config.gateway,
        password: readFileSync(credentialPath, 'utf8').trim(),
        ...(caPem !== undefined ? { ca: caPem } : {}),
        ...(config.hub.serverName !== undefined ? { serverName: config.hub.serverName } : {}),
        keepaliveSeconds: config.hub.keepaliveSeconds,
        connectTimeoutMs,
        clockWaitMs: options.clockWaitMs ?? 5000,
        now: () => probes.now(),
      });
    }
  }

  await checks.run('disk', () => diskVerdict(probes.disk(dirname(resolvePath(config.outbox.path)))));
  await checks.run('service', async () => serviceVerdict(await probes.service(SERVICE_UNITS.gateway, true)));
}

async function hubChecks(
  config: HubConfig,
  resolvePath: (p: string) => string,
  checks: Checks,
  probes: DoctorProbes,
): Promise<void> {
  const caPath = resolvePath(STORE_FILES.caCert);
  const tls = config.broker.tls;
  await checks.run('tls-certificate', () =>
    tls === undefined
      ? check(
          'tls-certificate',
          'WARN',
          'broker.tls is not configured: gateways cannot connect over TLS',
          'add broker.tls with the certificate and key made by `hushpoint provision init-store`',
        )
      : certificateVerdict(
          probeCertificate({
            certFile: tls.certFile,
            keyFile: tls.keyFile,
            certPath: resolvePath(tls.certFile),
            keyPath: resolvePath(tls.keyFile),
            caPath,
          }),
          probes.now(),
        ),
  );

  await checks.run('tokens', () =>
    tokensVerdict([
      probeToken(
        'technician',
        config.api.technicianTokenFile,
        config.api.technicianTokenFile === undefined ? null : resolvePath(config.api.technicianTokenFile),
      ),
      probeToken(
        'admin',
        config.api.adminTokenFile,
        config.api.adminTokenFile === undefined ? null : resolvePath(config.api.adminTokenFile),
      ),
    ]),
  );

  await checks.run('database', () => databaseVerdict(probeDatabase(resolvePath(config.database))));

  await checks.run('broker', async () => {
    let fact: ListenerFact;
    if (tls === undefined) fact = { probed: false, reason: 'no broker.tls listener configured' };
    else if (tls.port === 0)
      fact = { probed: false, reason: 'broker.tls.port is 0 (an ephemeral port, for tests): nothing fixed to probe' };
    else {
      const host = tls.host === '0.0.0.0' || tls.host === '::' ? '127.0.0.1' : tls.host;
      let ca: Buffer | undefined;
      try {
        ca = readFileSync(caPath);
      } catch {
        ca = undefined;
      }
      const result = await probes.tls({
        host,
        port: tls.port,
        ...(ca !== undefined ? { ca } : {}),
        checkName: false,
        timeoutMs: 5000,
      });
      const configured = configuredFingerprint(resolvePath(tls.certFile));
      fact = {
        probed: true,
        host,
        port: tls.port,
        outcome: result.outcome,
        servesConfiguredCert:
          configured === null || result.peerDer === undefined ? null : derFingerprint256(result.peerDer) === configured,
        verifiedWithCa: ca !== undefined,
      };
    }
    return brokerVerdict(fact);
  });

  await checks.run('clock', async () => ntpVerdict(await probes.ntp()));
  await checks.run('disk', () => diskVerdict(probes.disk(dirname(resolvePath(config.database)))));
  await checks.run('service', async () => serviceVerdict(await probes.service(SERVICE_UNITS.hub, false)));
}
