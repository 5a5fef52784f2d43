import { createServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AedesOptions } from 'aedes';

/**
 * A real, plain aedes broker for tests: TCP (or TLS) on 127.0.0.1, port 0 unless a port is
 * given (to bring a broker back on the same port after an outage). No auth or ACL unless the
 * test passes aedes hooks.
 */
export interface TestBroker {
  broker: Aedes;
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface TestBrokerOptions {
  port?: number;
  tls?: { key: string; cert: string };
  aedes?: Partial<AedesOptions>;
}

export async function startBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const broker = await Aedes.createBroker(options.aedes ?? {});
  const server: Server =
    options.tls === undefined
      ? createServer(broker.handle)
      : createTlsServer({ key: options.tls.key, cert: options.tls.cert }, broker.handle);
  const sockets = new Set<import('node:net').Socket>();
  server.on(options.tls === undefined ? 'connection' : 'secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    broker,
    port,
    url: `${options.tls === undefined ? 'mqtt' : 'mqtts'}://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port that was free a moment ago (for a broker that is "down" at first). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
