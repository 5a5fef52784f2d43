import { request, type RequestOptions } from 'node:https';
import { createSseParser } from '../../shared/sse-parser.ts';

/**
 * A small HTTPS JSON client for the demo's simulated shopper app and operator steps: it trusts
 * only the store CA (as a retailer's app would pin it) and sends a bearer token.
 */

export interface ApiClientOptions {
  baseUrl: string;
  caPem: string;
}

export interface ApiResult<T> {
  status: number;
  body: T;
}

export interface ApiClient {
  call<T = unknown>(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<ApiResult<T>>;
  /** Opens a server-sent-events stream; `onEvent` gets each event's name and parsed JSON data. */
  stream(path: string, token: string, onEvent: (event: string, data: unknown) => void): () => void;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const base = new URL(options.baseUrl);
  function requestOptions(
    method: string,
    path: string,
    token: string | undefined,
    length: number | null,
  ): RequestOptions {
    return {
      method,
      hostname: base.hostname,
      port: base.port,
      path,
      ca: options.caPem,
      headers: {
        accept: 'application/json',
        ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
        ...(length !== null ? { 'content-type': 'application/json', 'content-length': String(length) } : {}),
      },
    };
  }
  return {
    call(method, path, { token, body } = {}) {
      const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
      return new Promise((resolve, reject) => {
        const req = request(requestOptions(method, path, token, payload?.length ?? null), (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status: res.statusCode ?? 0, body: (text === '' ? null : JSON.parse(text)) as never });
            } catch {
              reject(new Error(`${method} ${path}: answer ${res.statusCode} is not JSON: ${text.slice(0, 200)}`));
            }
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(payload ?? undefined);
      });
    },
    stream(path, token, onEvent) {
      const req = request(requestOptions('GET', path, token, null), (res) => {
        const push = createSseParser(({ event, data }) => {
          try {
            onEvent(event, JSON.parse(data));
          } catch {
            onEvent(event, data);
          }
        });
        res.setEncoding('utf8');
        res.on('data', push);
        res.on('error', () => undefined);
      });
      req.on('error', () => undefined);
      req.end();
      return () => req.destroy();
    },
  };
}
