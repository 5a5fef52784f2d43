import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { startTestHub, type TestHub, type TestHubOptions } from '../helpers/hub-fixtures.ts';

/**
 * A real hub (TLS broker and HTTPS API on port 0, store CA from the hub fixtures) with a
 * technician token file, for the status page's API and browser tests.
 */
export interface StatusHub extends TestHub {
  technicianToken: string;
  /** One HTTPS request trusting the store CA, with any headers; the body parsed as JSON when it is JSON. */
  call(
    method: string,
    path: string,
    options?: { headers?: Record<string, string>; body?: unknown },
  ): Promise<HttpResult>;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  body: unknown;
}

export async function startStatusHub(options: TestHubOptions & { technicianToken?: boolean } = {}): Promise<StatusHub> {
  const withToken = options.technicianToken !== false;
  const t = await startTestHub({
    ...options,
    config: {
      ...options.config,
      api: { ...options.config?.api, ...(withToken ? { technicianTokenFile: 'technician.token' } : {}) },
    },
    start: false,
  });
  const technicianToken = randomBytes(24).toString('base64url');
  if (withToken) writeFileSync(join(t.dir, 'technician.token'), `${technicianToken}\n`, { mode: 0o600 });
  if (options.start !== false) await t.hub.start();
  return Object.assign(t, {
    technicianToken,
    call(
      method: string,
      path: string,
      callOptions: { headers?: Record<string, string>; body?: unknown } = {},
    ): Promise<HttpResult> {
      const payload =
        callOptions.body === undefined
          ? undefined
          : typeof callOptions.body === 'string'
            ? callOptions.body
            : JSON.stringify(callOptions.body);
      return new Promise<HttpResult>((resolve, reject) => {
        const req = request(
          t.apiUrl(path),
          {
            method,
            ca: t.caPem,
            headers: {
              ...(payload !== undefined
                ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
                : {}),
              ...callOptions.headers,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let body: unknown = text;
              try {
                body = text.length > 0 ? JSON.parse(text) : null;
              } catch {
                // HTML, CSS or JS: keep the text
              }
              resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
            });
          },
        );
        req.on('error', reject);
        if (payload !== undefined) req.write(payload);
        req.end();
      });
    },
  });
}
