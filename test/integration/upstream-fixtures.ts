import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { validateConfig } from '../../shared/config/load-config.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { generateSigningKey, parseSigningKey } from '../../shared/upstream/signing.ts';
import { hqRole, createHq, type Hq, type HqConfig } from '../../hq/mod.ts';
import { testCertificates } from '../helpers/hub-fixtures.ts';

/**
 * A real collector for the upstream tests: collector.yaml values, a store key file, and HTTPS
 * with the test store CA (or plain HTTP on loopback), on port 0.
 */

export interface TestCollector {
  collector: Hq;
  dir: string;
  url: string;
  keyHex: string;
  key: Buffer;
  keyFile: string;
  caPem: string;
  stop(): Promise<void>;
}

export async function startCollector(
  options: { clock?: Clock; tls?: boolean; seed?: string; dir?: string } = {},
): Promise<TestCollector> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'hp-collector-'));
  const keyHex = generateSigningKey(new SeededRandomSource(options.seed ?? 'store-key'));
  const keyFile = join(dir, 'store-1.key');
  writeFileSync(keyFile, `${keyHex}\n`, { mode: 0o600 });
  const { ca, server } = testCertificates();
  const tls = options.tls !== false;
  if (tls) {
    writeFileSync(join(dir, 'collector-cert.pem'), server.certPem);
    writeFileSync(join(dir, 'collector-key.pem'), server.keyPem, { mode: 0o600 });
  }
  const document = {
    role: 'hq',
    database: 'hq.db',
    listen: {
      host: '127.0.0.1',
      port: 0,
      ...(tls ? { certFile: 'collector-cert.pem', keyFile: 'collector-key.pem' } : {}),
    },
    stores: [{ id: 'store-1', signingKeyFile: 'store-1.key' }],
    log: { level: 'silent' },
  };
  const checked = validateConfig(hqRole, document);
  if (!checked.ok) throw new Error(`test collector config invalid: ${JSON.stringify(checked.problems)}`);
  const collector = createHq({
    config: checked.config as HqConfig,
    resolvePath: (p) => (p.startsWith('/') ? p : join(dir, p)),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const port = await collector.start();
  return {
    collector,
    dir,
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/v1/releases`,
    keyHex,
    key: parseSigningKey(keyHex, keyFile),
    keyFile,
    caPem: ca.certPem,
    async stop() {
      await collector.stop();
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  body: unknown;
  headers: IncomingHttpHeaders;
}

/** One raw HTTP(S) request (headers and body as given). */
export function post(
  url: string,
  headers: Record<string, string>,
  body: Buffer | string,
  options: { caPem?: string; method?: string } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      { method: options.method ?? 'POST', headers, ...(options.caPem !== undefined ? { ca: options.caPem } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // keep text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
