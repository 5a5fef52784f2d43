import { describe, expect, it } from 'vitest';
import { certificateNames, checkHostname, checkId, checkIp, parseHubUrl } from './names.ts';

describe('provisioning input checks', () => {
  it.each([
    ['store-1', true],
    ['a', true],
    ['gw-12', true],
    ['Store-1', false],
    ['-gw', false],
    ['gw-', false],
    ['gw_1', false],
    ['', false],
    ['x'.repeat(65), false],
  ])('id %j valid: %s', (value, valid) => {
    if (valid) expect(checkId('gateway', value)).toBe(value);
    else expect(() => checkId('gateway', value)).toThrow(/--gateway is ".*", expected 1-64 of \[a-z0-9-\]/);
  });

  it.each([
    ['hub.store-1.local', 'hub.store-1.local'],
    ['localhost', 'localhost'],
    ['HUB.Example', 'hub.example'],
  ])('host name %j is accepted as %j', (value, expected) => {
    expect(checkHostname(value)).toBe(expected);
  });

  it.each([
    ['192.168.1.10', /is an IP address, expected a host name.*--ip/],
    ['hub..local', /expected a DNS host name/],
    ['hub_1', /expected a DNS host name/],
    ['-hub', /expected a DNS host name/],
  ])('host name %j is refused', (value, message) => {
    expect(() => checkHostname(value)).toThrow(message);
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['10.0.0.255', '10.0.0.255'],
    ['::1', '::1'],
    ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
  ])('IP %j is accepted as %j', (value, expected) => {
    expect(checkIp(value)).toBe(expected);
  });

  it.each(['256.1.1.1', '1.2.3', 'hub.local', '::g', ''])('IP %j is refused', (value) => {
    expect(() => checkIp(value)).toThrow(/--ip is ".*", expected an IPv4 address/);
  });

  it.each([
    ['mqtts://hub.local:8883', { url: 'mqtts://hub.local:8883', host: 'hub.local', port: 8883 }],
    ['mqtts://hub.local', { url: 'mqtts://hub.local:8883', host: 'hub.local', port: 8883 }],
    ['mqtts://10.0.0.2:9999', { url: 'mqtts://10.0.0.2:9999', host: '10.0.0.2', port: 9999 }],
    ['mqtts://[::1]:8883', { url: 'mqtts://[::1]:8883', host: '::1', port: 8883 }],
  ])('hub URL %j parses', (value, expected) => {
    expect(parseHubUrl(value)).toEqual(expected);
  });

  it.each([
    ['mqtt://hub.local:1883', /scheme is "mqtt".*gateways always use TLS/],
    ['https://hub.local', /scheme is "https"/],
    ['mqtts://gw:secret@hub.local', /holds a user name or password/],
    ['mqtts://hub.local/x', /has a path or query/],
    ['hub.local:8883', /expected mqtts:\/\/HOST:PORT/],
    ['mqtts://hub.local:0', /port 0/],
  ])('hub URL %j is refused', (value, message) => {
    expect(() => parseHubUrl(value)).toThrow(message);
  });

  it.each([
    ['hub.local', { hostnames: ['hub.local'], ips: [] }, true],
    ['HUB.local', { hostnames: ['hub.local'], ips: [] }, true],
    ['other.local', { hostnames: ['hub.local'], ips: ['127.0.0.1'] }, false],
    ['127.0.0.1', { hostnames: ['hub.local'], ips: ['127.0.0.1'] }, true],
    ['::1', { hostnames: [], ips: ['0:0:0:0:0:0:0:1'] }, true],
    ['a.example.com', { hostnames: ['*.example.com'], ips: [] }, true],
    ['a.b.example.com', { hostnames: ['*.example.com'], ips: [] }, false],
  ])('a certificate naming %j for host %j: %s', (host, sans, expected) => {
    expect(certificateNames(host, sans)).toBe(expected);
  });
});
