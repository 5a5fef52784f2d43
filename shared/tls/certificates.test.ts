import { createServer, connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createStoreCa, issueServerCertificate } from './certificates.ts';

function handshake(options: {
  ca: string;
  cert: string;
  key: string;
  servername?: string;
  host: string;
}): Promise<string> {
  return new Promise((resolve) => {
    const server = createServer({ cert: options.cert, key: options.key }, (socket) => socket.end('ok'));
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      const client = connect({
        host: options.host,
        port,
        ca: options.ca,
        ...(options.servername ? { servername: options.servername } : {}),
      });
      client.on('secureConnect', () => {
        client.end();
        server.close();
        resolve('trusted');
      });
      client.on('error', (error: NodeJS.ErrnoException) => {
        server.close();
        resolve(error.code ?? error.message);
      });
    });
  });
}

describe('store CA and server certificates', () => {
  const ca = createStoreCa('store-1');
  const server = issueServerCertificate(ca, { hostnames: ['hub.store-1.local', 'localhost'], ips: ['127.0.0.1'] });

  it('a client trusting the store CA accepts the hub by IP and by host name', async () => {
    expect(await handshake({ ca: ca.certPem, cert: server.certPem, key: server.keyPem, host: '127.0.0.1' })).toBe(
      'trusted',
    );
    expect(
      await handshake({
        ca: ca.certPem,
        cert: server.certPem,
        key: server.keyPem,
        host: '127.0.0.1',
        servername: 'hub.store-1.local',
      }),
    ).toBe('trusted');
  });

  it('a client with another store CA, or a wrong name, refuses it', async () => {
    const other = createStoreCa('store-2');
    expect(
      await handshake({ ca: other.certPem, cert: server.certPem, key: server.keyPem, host: '127.0.0.1' }),
    ).not.toBe('trusted');
    expect(
      await handshake({
        ca: ca.certPem,
        cert: server.certPem,
        key: server.keyPem,
        host: '127.0.0.1',
        servername: 'evil.example',
      }),
    ).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});
