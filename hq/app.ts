import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AppError } from '../shared/errors.ts';
import { systemClock, type Clock } from '../shared/ports/clock.ts';
import { silentLogger, type Logger } from '../shared/ports/logger.ts';
import { parseSigningKey } from '../shared/upstream/signing.ts';
import { openHqStore, type HqStore } from './adapters/sqlite-hq-store.ts';
import type { HqConfig } from './config.schema.ts';
import { receiveRelease, type ReceiveResult } from './receive-release.ts';

/**
 * The reference HQ collector's composition root: createHq(deps) → {start, stop}.
 * One endpoint, POST /v1/releases (receive-release.ts), plus GET /v1/health. HTTPS when the
 * config has a certificate; otherwise plain HTTP bound to 127.0.0.1 (development and tests).
 */

export interface HqDeps {
  readonly config: Readonly<HqConfig>;
  readonly resolvePath?: (path: string) => string;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface Hq {
  readonly store: HqStore;
  /** The listening port once started. */
  readonly port: number | null;
  readonly secure: boolean;
  start(): Promise<number>;
  stop(): Promise<void>;
}

const RELEASES_PATH = '/v1/releases';

function readKeys(config: HqConfig, resolvePath: (path: string) => string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const store of config.stores) {
    let text: string;
    try {
      text = readFileSync(resolvePath(store.signingKeyFile), 'utf8');
    } catch (error) {
      throw new AppError(
        'CFG_UNREADABLE',
        `The signing key file "${store.signingKeyFile}" of store "${store.id}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    keys.set(store.id, parseSigningKey(text, store.signingKeyFile));
  }
  return keys;
}

export function createHq(deps: HqDeps): Hq {
  const { config } = deps;
  const resolvePath = deps.resolvePath ?? ((p: string) => p);
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger();
  const keys = readKeys(config, resolvePath);
  const store = openHqStore(resolvePath(config.database));
  const tls =
    config.listen.certFile !== undefined && config.listen.keyFile !== undefined
      ? {
          cert: readFileSync(resolvePath(config.listen.certFile)),
          key: readFileSync(resolvePath(config.listen.keyFile)),
        }
      : null;
  let server: Server | null = null;
  let port: number | null = null;

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(JSON.stringify(body));
  }

  function readBody(req: IncomingMessage): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > config.maxBodyBytes) tooLarge = true;
        else chunks.push(chunk);
      });
      req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'https://collector.invalid').pathname;
    if (path === '/v1/health' && req.method === 'GET') {
      send(res, 200, { ok: true });
      return;
    }
    if (path !== RELEASES_PATH) {
      send(res, 404, {
        ok: false,
        error: {
          code: 'API_NOT_FOUND',
          message: `No such endpoint: ${req.method ?? '?'} ${path}, expected POST ${RELEASES_PATH}`,
        },
      });
      return;
    }
    if (req.method !== 'POST') {
      send(
        res,
        405,
        {
          ok: false,
          error: {
            code: 'API_NOT_FOUND',
            message: `${req.method ?? '?'} is not allowed on ${RELEASES_PATH}, expected POST`,
          },
        },
        { allow: 'POST' },
      );
      return;
    }
    const body = await readBody(req);
    if (body === null) {
      send(res, 413, {
        ok: false,
        error: { code: 'API_BAD_REQUEST', message: `Request body is larger than ${config.maxBodyBytes} bytes` },
      });
      return;
    }
    const result: ReceiveResult = receiveRelease(
      { headers: req.headers, body },
      { store, keyOf: (id) => keys.get(id) ?? null, nowMs: clock.now(), maxSkewSeconds: config.maxClockSkewSeconds },
    );
    if (result.body.ok) {
      logger.info(
        { store: req.headers['x-hushpoint-store'], release: result.body.release, duplicate: result.body.duplicate },
        'release received',
      );
    } else {
      logger.warn(
        {
          store:
            typeof req.headers['x-hushpoint-store'] === 'string' ? req.headers['x-hushpoint-store'].slice(0, 64) : null,
          code: result.body.error.code,
          status: result.status,
        },
        'release refused',
      );
    }
    send(res, result.status, result.body);
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'collector request failed');
      if (!res.headersSent)
        send(res, 500, { ok: false, error: { code: 'INTERNAL', message: 'Internal error; see the collector log' } });
      else res.destroy();
    });
  };

  return {
    store,
    get port() {
      return port;
    },
    secure: tls !== null,
    async start() {
      if (server !== null) throw new AppError('INTERNAL', 'collector already started');
      const s =
        tls === null ? createHttpServer(handler) : createHttpsServer({ ...tls, minVersion: 'TLSv1.2' }, handler);
      server = s;
      const host = tls === null ? '127.0.0.1' : config.listen.host;
      if (tls === null) logger.warn({ host }, 'collector without TLS certificate: plain HTTP on loopback only');
      port = await new Promise<number>((resolve, reject) => {
        s.once('error', reject);
        s.listen(config.listen.port, host, () => {
          s.off('error', reject);
          resolve((s.address() as AddressInfo).port);
        });
      });
      logger.info({ port, stores: keys.size, tls: tls !== null }, 'collector started');
      return port;
    },
    async stop() {
      const s = server;
      server = null;
      if (s !== null) {
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      }
      store.close();
      logger.info({}, 'collector stopped');
    },
  };
}
