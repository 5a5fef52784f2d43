import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { signedHeaders } from '../../../shared/upstream/signing.ts';

/**
 * GET HQ's newest model over HTTPS with the store's upstream credential (the signed headers of
 * shared/upstream/signing.ts over an empty body, release header "model-latest"), asking only for
 * a model above the installed version (`?after=N`: 204 when there is none). The body is returned
 * as received: the model store verifies its signature before anything uses it.
 */

export type FetchOutcome =
  | { readonly status: 'model'; readonly text: string; readonly version: number | null }
  | { readonly status: 'unchanged' }
  | { readonly status: 'failed'; readonly message: string; readonly httpStatus?: number };

export interface ModelFetcher {
  fetch(after: number, nowMs: number): Promise<FetchOutcome>;
}

export interface HttpsModelFetcherOptions {
  readonly url: string;
  readonly store: string;
  readonly key: Uint8Array;
  readonly ca?: Buffer | string;
  readonly timeoutMs: number;
  /** The largest model accepted (bytes). */
  readonly maxBytes?: number;
}

const EMPTY = Buffer.alloc(0);

export function createHttpsModelFetcher(options: HttpsModelFetcherOptions): ModelFetcher {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  return {
    fetch(after, nowMs) {
      const url = new URL(options.url);
      url.searchParams.set('after', String(after));
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const headers = signedHeaders(options.key, {
        store: options.store,
        releaseId: 'model-latest',
        body: EMPTY,
        timestamp: Math.floor(nowMs / 1000),
      });
      return new Promise<FetchOutcome>((resolve) => {
        let settled = false;
        const done = (outcome: FetchOutcome): void => {
          if (!settled) {
            settled = true;
            resolve(outcome);
          }
        };
        const req = request(
          url,
          {
            method: 'GET',
            headers,
            timeout: options.timeoutMs,
            ...(url.protocol === 'https:' && options.ca !== undefined ? { ca: options.ca } : {}),
          },
          (res: IncomingMessage) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (chunk: Buffer) => {
              size += chunk.length;
              if (size > maxBytes) {
                req.destroy();
                done({ status: 'failed', message: `the model is larger than ${maxBytes} bytes` });
              } else chunks.push(chunk);
            });
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              const text = Buffer.concat(chunks).toString('utf8');
              if (status === 204) done({ status: 'unchanged' });
              else if (status === 200) {
                const v = Number(res.headers['x-hushpoint-model-version']);
                done({ status: 'model', text, version: Number.isSafeInteger(v) ? v : null });
              } else
                done({
                  status: 'failed',
                  httpStatus: status,
                  message: `HQ answered ${status}: ${text.slice(0, 200)}`,
                });
            });
            res.on('error', (error: Error) => done({ status: 'failed', message: `response failed: ${error.message}` }));
          },
        );
        req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
        req.on('error', (error: NodeJS.ErrnoException) =>
          done({ status: 'failed', message: `cannot reach HQ at ${url.host}: ${error.code ?? error.message}` }),
        );
        req.end();
      });
    },
  };
}
