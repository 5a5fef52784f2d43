import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { signedHeaders } from '../../../shared/upstream/signing.ts';
import type { OutgoingRelease, SendResult, UpstreamSender } from '../upstream-sender.ts';

/**
 * Sends releases to the collector by HTTPS POST, signed with the store key (shared/upstream/
 * signing.ts). The body is the stored release body; the timestamp and signature are made for
 * each attempt (see signing.ts for why). Statuses:
 *   2xx                 delivered (200 = the collector already had these exact bytes);
 *   400, 409, 413, 422  refused for good (bad body, or different bytes for this id): not retried;
 *   anything else, network errors and timeouts: retried with backoff (401/403 included, since a
 *   clock or key fix on either side makes them succeed).
 */

export interface HttpsSenderOptions {
  readonly url: string;
  readonly store: string;
  readonly key: Uint8Array;
  /** CA certificate(s) to trust (PEM); system CAs when omitted. */
  readonly ca?: Buffer | string;
  readonly timeoutMs: number;
}

const PERMANENT = new Set([400, 409, 413, 422]);

function describeBody(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (parsed.error !== undefined) return `${String(parsed.error.code)}: ${String(parsed.error.message)}`;
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}

function isDuplicateAnswer(text: string): boolean {
  try {
    return (JSON.parse(text) as { duplicate?: unknown }).duplicate === true;
  } catch {
    return false;
  }
}

export function createHttpsSender(options: HttpsSenderOptions): UpstreamSender {
  const url = new URL(options.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return {
    transport: 'https',
    send(release: OutgoingRelease, nowMs: number): Promise<SendResult> {
      const headers = signedHeaders(options.key, {
        store: options.store,
        releaseId: release.releaseId,
        body: release.body,
        timestamp: Math.floor(nowMs / 1000),
      });
      return new Promise<SendResult>((resolve) => {
        let settled = false;
        const done = (result: SendResult): void => {
          if (!settled) {
            settled = true;
            resolve(result);
          }
        };
        const req = request(
          url,
          {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json', 'content-length': String(release.body.length) },
            timeout: options.timeoutMs,
            ...(url.protocol === 'https:' && options.ca !== undefined ? { ca: options.ca } : {}),
          },
          (res: IncomingMessage) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => {
              if (chunks.length < 64) chunks.push(chunk);
            });
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              const text = Buffer.concat(chunks).toString('utf8');
              if (status >= 200 && status < 300) {
                done({ ok: true, duplicate: isDuplicateAnswer(text) });
              } else {
                done({
                  ok: false,
                  permanent: PERMANENT.has(status),
                  status,
                  message: `collector answered ${status}: ${describeBody(text)}`,
                });
              }
            });
            res.on('error', (error: Error) =>
              done({ ok: false, permanent: false, message: `response failed: ${error.message}` }),
            );
          },
        );
        req.on('timeout', () => {
          req.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
        });
        req.on('error', (error: NodeJS.ErrnoException) =>
          done({
            ok: false,
            permanent: false,
            message: `cannot reach the collector at ${url.host}: ${error.code ?? error.message}`,
          }),
        );
        req.end(release.body);
      });
    },
    async close() {
      // node's global agent keeps no state of ours to release.
    },
  };
}
