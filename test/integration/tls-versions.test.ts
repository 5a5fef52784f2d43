import { connect, createServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, testCertificates, type TestHub } from '../helpers/hub-fixtures.ts';

/**
 * TLS below 1.2 (docs/security.md, "Transport"): the hub's API and its MQTT broker refuse a client
 * that offers only TLS 1.0/1.1 with a protocol_version alert, and speak 1.2 and 1.3. The client
 * here really offers 1.1 (security level 0): the control server that allows it connects.
 */

type Outcome = { protocol: string } | { error: string };

function handshake(
  port: number,
  version: { min: 'TLSv1' | 'TLSv1.2' | 'TLSv1.3'; max: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' },
): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port,
        rejectUnauthorized: false,
        minVersion: version.min,
        maxVersion: version.max,
        ciphers: 'DEFAULT@SECLEVEL=0',
      },
      () => {
        resolve({ protocol: socket.getProtocol() ?? '' });
        socket.end();
      },
    );
    socket.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

describe('TLS versions', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('the client offers TLS 1.1 for real: a server that allows it connects', async () => {
    const { server } = testCertificates();
    const control = createServer(
      { cert: server.certPem, key: server.keyPem, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
      (s) => s.end(),
    );
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
    try {
      const port = (control.address() as { port: number }).port;
      expect(await handshake(port, { min: 'TLSv1', max: 'TLSv1.1' })).toEqual({ protocol: 'TLSv1.1' });
    } finally {
      control.close();
    }
  });

  for (const [name, port] of [
    ['the API', () => t.hub.ports.api as number],
    ['the MQTT broker', () => t.hub.ports.mqtts as number],
  ] as const) {
    it(`${name} refuses TLS 1.0 and 1.1 and speaks 1.2 and 1.3`, async () => {
      expect(await handshake(port(), { min: 'TLSv1', max: 'TLSv1.1' })).toEqual({
        error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      });
      expect(await handshake(port(), { min: 'TLSv1.2', max: 'TLSv1.2' })).toEqual({ protocol: 'TLSv1.2' });
      expect(await handshake(port(), { min: 'TLSv1.3', max: 'TLSv1.3' })).toEqual({ protocol: 'TLSv1.3' });
    });
  }
});
