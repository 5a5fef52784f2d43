import { connect as tlsConnect } from 'node:tls';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { decodePayload } from '../../../shared/protocol/codec.ts';
import { clockTopic } from '../../../shared/protocol/topics.ts';
import { isIpAddress } from '../../core/names.ts';
import { classifyConnectError, type ClockFact, type MqttOutcome, type TlsOutcome } from '../core/verdicts.ts';

/**
 * Probes of the hub: a TLS handshake (to tell "unreachable" from "certificate not trusted"),
 * then an MQTT connect with the options the gateway itself uses (gateway/adapters/hub-link.ts:
 * MQTT 3.1.1, user = gateway id, password = credential, the store CA, no reconnect), and the
 * hub's `hub/clock` message for the clock offset. The doctor uses its own client id (so it does
 * not take over a running gateway's session) and no last will (so it does not mark it offline).
 */

export interface TlsProbeOptions {
  host: string;
  port: number;
  ca?: Buffer;
  serverName?: string;
  /** Verify the host name (gateways do); the hub's self-probe on 127.0.0.1 does not. */
  checkName?: boolean;
  timeoutMs?: number;
}

export interface TlsProbeResult {
  outcome: TlsOutcome;
  /** The DER of the certificate the server presented (when the handshake got that far). */
  peerDer?: Buffer;
}

export function probeTls(options: TlsProbeOptions): Promise<TlsProbeResult> {
  return new Promise((resolvePromise) => {
    const servername = options.serverName ?? (isIpAddress(options.host) ? undefined : options.host);
    const socket = tlsConnect({
      host: options.host,
      port: options.port,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      ...(servername !== undefined ? { servername } : {}),
      rejectUnauthorized: options.ca !== undefined,
      ...(options.checkName === false ? { checkServerIdentity: () => undefined } : {}),
    });
    let done = false;
    const finish = (result: TlsProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(result);
    };
    const timer = setTimeout(
      () => finish({ outcome: { kind: 'unreachable', code: 'TIMEOUT' } }),
      options.timeoutMs ?? 8000,
    );
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      finish({ outcome: { kind: 'ok' }, ...(peer?.raw !== undefined ? { peerDer: peer.raw } : {}) });
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish({ outcome: classifyConnectError(error.code ?? 'ERROR', error.message) }),
    );
  });
}

export interface MqttProbeOptions {
  url: string;
  store: string;
  gateway: string;
  password: string;
  ca?: Buffer;
  serverName?: string;
  keepaliveSeconds: number;
  connectTimeoutMs?: number;
  /** How long to wait for a hub/clock message once connected (the hub sends one on subscribe). */
  clockWaitMs?: number;
  now?: () => number;
}

export interface MqttProbeResult {
  outcome: MqttOutcome;
  clock: ClockFact;
}

export function probeMqtt(options: MqttProbeOptions): Promise<MqttProbeResult> {
  const now = options.now ?? Date.now;
  const topic = clockTopic(options.store);
  const clockWaitMs = options.clockWaitMs ?? 5000;
  return new Promise((resolvePromise) => {
    const client = mqtt.connect(options.url, {
      protocolVersion: 4,
      clientId: `${options.gateway}-doctor-${randomBytes(3).toString('hex')}`,
      username: options.gateway,
      password: options.password,
      clean: true,
      keepalive: options.keepaliveSeconds,
      reconnectPeriod: 0,
      connectTimeout: options.connectTimeoutMs ?? 8000,
      queueQoSZero: false,
      ...(options.ca !== undefined ? { ca: options.ca, rejectUnauthorized: true } : {}),
      ...(options.serverName !== undefined ? { servername: options.serverName } : {}),
    });
    let done = false;
    let connected = false;
    let clockTimer: NodeJS.Timeout | undefined;
    const finish = (result: MqttProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(clockTimer);
      clearTimeout(overall);
      client.removeAllListeners('message');
      client.on('error', () => undefined);
      client.end(true);
      resolvePromise(result);
    };
    const overall = setTimeout(
      () =>
        finish({ outcome: { kind: 'failed', code: 'no CONNACK' }, clock: { offsetMs: null, reason: 'not connected' } }),
      (options.connectTimeoutMs ?? 8000) + clockWaitMs + 1000,
    );
    client.once('connect', () => {
      connected = true;
      clockTimer = setTimeout(
        () =>
          finish({
            outcome: { kind: 'connected' },
            clock: { offsetMs: null, reason: `no hub/clock message within ${clockWaitMs / 1000} s` },
          }),
        clockWaitMs,
      );
      client.subscribe(topic, { qos: 0 }, (error, granted) => {
        if (error || granted?.some((g) => g.qos === 128)) {
          finish({
            outcome: { kind: 'connected' },
            clock: { offsetMs: null, reason: 'the hub refused the hub/clock subscription' },
          });
        }
      });
    });
    client.on('message', (received, payload) => {
      if (received !== topic) return;
      const decoded = decodePayload('HubClock', payload);
      if (!decoded.ok) return;
      finish({ outcome: { kind: 'connected' }, clock: { offsetMs: decoded.value.hubTimeMs - now() } });
    });
    client.on('error', (error: Error & { code?: string | number }) => {
      if (connected) return;
      const outcome: MqttOutcome =
        typeof error.code === 'number'
          ? { kind: 'refused', returnCode: error.code }
          : { kind: 'failed', code: String(error.code ?? error.message) };
      finish({ outcome, clock: { offsetMs: null, reason: 'not connected' } });
    });
    client.on('close', () => {
      if (connected)
        finish({
          outcome: { kind: 'connected' },
          clock: { offsetMs: null, reason: 'the hub closed the connection before sending hub/clock' },
        });
      else
        setTimeout(
          () =>
            finish({
              outcome: { kind: 'failed', code: 'connection closed' },
              clock: { offsetMs: null, reason: 'not connected' },
            }),
          50,
        );
    });
  });
}
