import { isValidId } from '../../shared/protocol/topics.ts';
import { AppError } from '../../shared/errors.ts';

/**
 * Checks of what a technician types: store, gateway and zone ids, host names, IP addresses and
 * the hub URL. Each failure is a CLI_USAGE error naming the option, the value and what was
 * expected (docs/architecture.md#conventions).
 */

function usage(message: string): AppError {
  return new AppError('CLI_USAGE', message);
}

const ID_EXPECTED = 'expected 1-64 of [a-z0-9-], not starting or ending with "-" (for example "store-1")';

export function checkId(option: string, value: string): string {
  if (!isValidId(value)) throw usage(`--${option} is "${value}", ${ID_EXPECTED}`);
  return value;
}

const LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
const HOSTNAME_RE = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(value: string): boolean {
  return IPV4_RE.test(value);
}

export function isIpv6(value: string): boolean {
  if (!value.includes(':') || !/^[0-9a-fA-F:.]+$/.test(value)) return false;
  try {
    // The WHATWG URL parser implements the IPv6 grammar exactly.
    return new URL(`http://[${value}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

export function isIpAddress(value: string): boolean {
  return isIpv4(value) || isIpv6(value);
}

export function checkHostname(value: string): string {
  if (isIpAddress(value))
    throw usage(
      `--hostname "${value}" is an IP address, expected a host name such as "hub.store-1.local"; give IP addresses with --ip`,
    );
  if (!HOSTNAME_RE.test(value))
    throw usage(
      `--hostname is "${value}", expected a DNS host name such as "hub.store-1.local" (letters, digits, dashes and dots)`,
    );
  return value.toLowerCase();
}

export function checkIp(value: string): string {
  if (!isIpAddress(value))
    throw usage(`--ip is "${value}", expected an IPv4 address such as 192.168.1.10 or an IPv6 address`);
  return isIpv6(value) ? new URL(`http://[${value}]/`).hostname.slice(1, -1) : value;
}

export function checkPort(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    throw usage(`--${option} is ${value}, expected a TCP port 0..65535`);
  return value;
}

export interface HubUrl {
  /** The URL as written into gateway.yaml (mqtts://host:port). */
  url: string;
  /** Host name or IP address, without IPv6 brackets. */
  host: string;
  port: number;
}

export const DEFAULT_MQTTS_PORT = 8883;

export function hubUrlFor(host: string, port: number): HubUrl {
  const shown = isIpv6(host) ? `[${host}]` : host;
  return { url: `mqtts://${shown}:${port}`, host, port };
}

/** Parses --hub-url: mqtts://host[:port], nothing else (no credentials, path or query). */
export function parseHubUrl(value: string): HubUrl {
  const expected = 'expected mqtts://HOST:PORT such as mqtts://hub.store-1.local:8883';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage(`--hub-url is "${value}", ${expected}`);
  }
  if (url.protocol !== 'mqtts:')
    throw usage(
      `--hub-url is "${value}": the scheme is "${url.protocol.replace(/:$/, '')}", ${expected} (gateways always use TLS)`,
    );
  if (url.username !== '' || url.password !== '')
    throw usage(`--hub-url "${value}" holds a user name or password, ${expected}: the credential goes in its own file`);
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '')
    throw usage(`--hub-url "${value}" has a path or query, ${expected}`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw usage(`--hub-url "${value}" has no host, ${expected}`);
  const port = url.port === '' ? DEFAULT_MQTTS_PORT : Number(url.port);
  if (port === 0) throw usage(`--hub-url "${value}" has port 0, expected the hub's MQTT TLS port (8883 by default)`);
  return hubUrlFor(host, port);
}

/** True when a certificate with these SANs is valid for `host` (exact names, one-label wildcards, IPs). */
export function certificateNames(host: string, sans: { hostnames: string[]; ips: string[] }): boolean {
  if (isIpAddress(host)) return sans.ips.some((ip) => normaliseIp(ip) === normaliseIp(host));
  const lower = host.toLowerCase();
  return sans.hostnames.some((name) => {
    const n = name.toLowerCase();
    if (n.startsWith('*.')) return lower.endsWith(n.slice(1)) && !lower.slice(0, -n.length + 1).includes('.');
    return n === lower;
  });
}

function normaliseIp(ip: string): string {
  return isIpv6(ip) ? new URL(`http://[${ip}]/`).hostname : ip;
}
