import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';

/**
 * The embedded aedes broker and its listeners. This adapter turns aedes's callback hooks into
 * async policy decisions (hub/broker-policy.ts decides; this file only speaks aedes):
 * a refused CONNECT becomes an error with a CONNACK `returnCode`, a refused PUBLISH an error
 * (aedes then closes the connection), a refused SUBSCRIBE a null subscription (granted QoS 128).
 * aedes sends PUBACK after `authorizePublish` calls back, so the policy commits a presence
 * batch to SQLite there (docs/references.md#dependencies).
 */

export interface Session {
  clientId: string;
  /** The authenticated gateway (the MQTT username). */
  gateway: string;
  /** The stored credential hash the session authenticated against (to notice a later rotate/revoke). */
  credentialHash: string;
}

export type AuthDecision =
  { ok: true; gateway: string; credentialHash: string } | { ok: false; returnCode: 2 | 3 | 4 | 5; reason: string };
export type PublishDecision = { ok: true } | { ok: false; reason: string };

export interface PublishRequest {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** True for a client's last will, published by the broker after the client went away. */
  will: boolean;
}

export interface BrokerPolicy {
  authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<AuthDecision>;
  authorizePublish(session: Session, request: PublishRequest): Promise<PublishDecision>;
  authorizeSubscribe(session: Session, filter: string): boolean;
  /** After a granted subscription (e.g. to push the hub clock at once). */
  subscribed?(session: Session, filter: string, send: (topic: string, payload: Buffer) => void): void;
  disconnected?(session: Session): void;
  /** A client sent a packet larger than maxPacketBytes (it is disconnected). */
  oversized?(clientId: string | null, bytes: number): void;
}

export interface BrokerOptions {
  tls?: { host: string; port: number; cert: Buffer | string; key: Buffer | string };
  /** Plain TCP, always bound to 127.0.0.1. */
  plain?: { port: number };
  maxPacketBytes: number;
  policy: BrokerPolicy;
  /** aedes's connect timeout (ms). */
  connectTimeoutMs?: number;
}

export interface RunningBroker {
  readonly aedes: Aedes;
  readonly ports: { tls: number | null; plain: number | null };
  readonly connectedClients: number;
  publish(topic: string, payload: Buffer, options?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
  /** Disconnects every session of a gateway (after revocation). */
  disconnectGateway(gateway: string): number;
  /** Closes every session whose credential is no longer current (rotated or revoked since it connected). */
  closeStaleSessions(isCurrent: (session: Session) => boolean): Session[];
  close(): Promise<void>;
}

/**
 * Watches the bytes aedes reads from a connection (a 'data' listener beside aedes's 'readable'
 * one sees every chunk without changing the flow) and finds MQTT packet boundaries from each
 * fixed header's remaining length. A packet declaring more than `max` bytes destroys the socket
 * before its body is buffered.
 */
export function guardPacketSize(socket: Socket, max: number, tooBig: (bytes: number) => void): void {
  let state: 'header' | 'length' | 'body' = 'header';
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  let remaining = 0;
  socket.on('data', (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (state === 'header') {
        i++;
        state = 'length';
        length = 0;
        multiplier = 1;
        lengthBytes = 0;
      } else if (state === 'length') {
        const b = chunk[i++] as number;
        length += (b & 0x7f) * multiplier;
        multiplier *= 128;
        lengthBytes++;
        if ((b & 0x80) === 0 || lengthBytes >= 4) {
          if (length > max || (b & 0x80) !== 0) {
            tooBig(length);
            socket.destroy();
            return;
          }
          remaining = length;
          state = remaining > 0 ? 'body' : 'header';
        }
      } else {
        const take = Math.min(remaining, chunk.length - i);
        i += take;
        remaining -= take;
        if (remaining === 0) state = 'header';
      }
    }
  });
}

function listen(server: NetServer | TlsServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: NetServer | TlsServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

// Longer than a screen: one closure over the service's state whose methods are each short; the pure logic is in core/.
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  // A WeakMap, not cleared on disconnect: aedes authorizes a client's last will after it closed.
  const sessions = new WeakMap<Client, Session>();
  const active = new Set<Client>();
  const { policy } = options;
  const aedes = await Aedes.createBroker({
    connectTimeout: options.connectTimeoutMs ?? 30_000,
    authenticate(client, username, password, done) {
      policy.authenticate(client.id, username, password).then(
        (decision) => {
          if (decision.ok) {
            sessions.set(client, {
              clientId: client.id,
              gateway: decision.gateway,
              credentialHash: decision.credentialHash,
            });
            active.add(client);
            done(null, true);
          } else {
            const error = Object.assign(new Error(decision.reason), {
              returnCode: decision.returnCode,
            }) as AuthenticateError;
            done(error, null);
          }
        },
        (error: unknown) =>
          done(Object.assign(new Error((error as Error).message), { returnCode: 3 }) as AuthenticateError, null),
      );
    },
    authorizePublish(client, packet, callback) {
      if (client === null) {
        callback(null);
        return;
      }
      const session = sessions.get(client);
      if (session === undefined) {
        callback(new Error('publish from an unauthenticated client'));
        return;
      }
      const will = client.closed || !client.connected;
      if (!will && client.conn.destroyed) {
        // Already parsed when the connection was cut (e.g. by the packet-size guard): no PUBACK can
        // reach the client, which re-sends after reconnecting.
        callback(new Error('connection closed'));
        return;
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      const request: PublishRequest = { topic: packet.topic, payload, qos: packet.qos, retain: packet.retain, will };
      policy.authorizePublish(session, request).then(
        (decision) => {
          // Only status is retained (docs/architecture.md#wire-protocol); a retained presence batch would sit in memory forever.
          if (decision.ok && packet.retain && !request.retain) packet.retain = false;
          callback(decision.ok ? null : new Error(decision.reason));
        },
        (error: unknown) => callback(error as Error),
      );
    },
    authorizeSubscribe(client, subscription, callback) {
      const session = sessions.get(client);
      if (session !== undefined && policy.authorizeSubscribe(session, subscription.topic)) callback(null, subscription);
      else callback(null, null);
    },
  });
  aedes.on('subscribe', (subscriptions, client) => {
    const session = sessions.get(client);
    if (session === undefined || policy.subscribed === undefined) return;
    for (const sub of subscriptions) {
      policy.subscribed(session, sub.topic, (topic, payload) =>
        client.publish({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, () => undefined),
      );
    }
  });
  aedes.on('clientDisconnect', (client) => {
    const session = sessions.get(client);
    active.delete(client);
    if (session !== undefined) policy.disconnected?.(session);
  });
  // Errors of one client (bad packets, resets) must never take the broker down.
  aedes.on('clientError', () => undefined);
  aedes.on('connectionError', () => undefined);

  const handle = (socket: Socket): void => {
    const client = aedes.handle(socket);
    guardPacketSize(socket, options.maxPacketBytes, (bytes) => policy.oversized?.(client.id ?? null, bytes));
  };
  const servers: Array<NetServer | TlsServer> = [];
  const ports: { tls: number | null; plain: number | null } = { tls: null, plain: null };
  try {
    if (options.tls !== undefined) {
      const server = createTlsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, handle);
      server.on('tlsClientError', () => undefined);
      servers.push(server);
      ports.tls = await listen(server, options.tls.port, options.tls.host);
    }
    if (options.plain !== undefined) {
      const server = createNetServer(handle);
      servers.push(server);
      ports.plain = await listen(server, options.plain.port, '127.0.0.1');
    }
  } catch (error) {
    await Promise.all(servers.map(closeServer));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw error;
  }

  return {
    aedes,
    ports,
    get connectedClients() {
      return aedes.connectedClients;
    },
    publish(topic, payload, publishOptions = {}) {
      return new Promise((resolve, reject) => {
        aedes.publish(
          {
            cmd: 'publish',
            topic,
            payload,
            qos: publishOptions.qos ?? 0,
            retain: publishOptions.retain ?? false,
            dup: false,
          },
          (error) => (error ? reject(error) : resolve()),
        );
      });
    },
    disconnectGateway(gateway) {
      let n = 0;
      for (const client of active) {
        if (sessions.get(client)?.gateway === gateway) {
          client.close();
          n++;
        }
      }
      return n;
    },
    closeStaleSessions(isCurrent) {
      const closed: Session[] = [];
      for (const client of active) {
        const session = sessions.get(client);
        if (session !== undefined && !isCurrent(session)) {
          client.close();
          closed.push(session);
        }
      }
      return closed;
    },
    async close() {
      for (const server of servers) server.close();
      for (const client of active) client.close();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await Promise.all(
        servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))),
      );
    },
  };
}
