import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { silentLogger } from '../ports/logger.ts';
import { checkOpenApiDocument } from '../testing/openapi-check.ts';
import { createStoreCa, issueServerCertificate } from '../tls/certificates.ts';
import { createHttpServer, type HttpServer } from './server.ts';

const dir = mkdtempSync(join(tmpdir(), 'hp-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function exampleServer(tls: { certFile: string; keyFile: string } | null = null): Promise<HttpServer> {
  const server = await createHttpServer({
    name: 'example',
    host: '127.0.0.1',
    port: 0,
    tls,
    bodyLimitBytes: 1024,
    logger: silentLogger(),
    openapi: { title: 'example', version: '1.0.0' },
  });
  const Thing = Type.Object(
    { id: Type.String({ pattern: '^[a-z]+$' }), count: Type.Integer({ minimum: 0 }) },
    { additionalProperties: false },
  );
  server.app.post('/v1/things', { schema: { body: Thing, response: { 201: Thing } } }, async (request, reply) =>
    reply.status(201).send(request.body),
  );
  server.app.get(
    '/v1/things/:id',
    {
      schema: {
        params: Type.Object({ id: Type.String() }),
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })) }),
        response: { 200: Thing },
      },
    },
    async (request) => {
      if (request.params.id === 'taken') throw new AppError('API_CONFLICT', 'Thing "taken" exists already');
      throw new AppError('API_NOT_FOUND', `No thing "${request.params.id}"`, { details: { field: 'id' } });
    },
  );
  return server;
}

describe('the shared Fastify base', () => {
  it('validates with TypeBox schemas and names the failing value by JSON pointer (400)', async () => {
    const server = await exampleServer();
    const ok = await server.app.inject({ method: 'POST', url: '/v1/things', payload: { id: 'abc', count: 2 } });
    expect(ok.statusCode).toBe(201);
    const bad = await server.app.inject({ method: 'POST', url: '/v1/things', payload: { id: 'ABC', count: -1, x: 1 } });
    expect(bad.statusCode).toBe(400);
    const body = bad.json() as {
      error: { code: string; message: string; details: { pointer: string; problems: unknown[] } };
    };
    expect(body.error.code).toBe('API_BAD_REQUEST');
    expect(body.error.details.problems).toEqual(
      expect.arrayContaining([
        { path: '/body/id', message: 'is "ABC", expected a string matching ^[a-z]+$' },
        { path: '/body/count', message: 'is -1, expected >= 0' },
        { path: '/body/x', message: 'is not allowed here (unknown field; check the spelling)' },
      ]),
    );
    const query = await server.app.inject({ method: 'GET', url: '/v1/things/abc?limit=99' });
    expect(query.statusCode).toBe(400);
    expect(query.json()).toMatchObject({ error: { details: { pointer: '/querystring/limit' } } });
    await server.close();
  });

  it('maps AppError codes to statuses with {error:{code,message,details}}; 404, 405 and 413 in the same format', async () => {
    const server = await exampleServer();
    expect((await server.app.inject({ method: 'GET', url: '/v1/things/nope' })).json()).toEqual({
      error: { code: 'API_NOT_FOUND', message: 'No thing "nope"', details: { field: 'id' } },
    });
    expect((await server.app.inject({ method: 'GET', url: '/v1/things/taken' })).statusCode).toBe(409);
    const missing = await server.app.inject({ method: 'GET', url: '/v2/else' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'API_NOT_FOUND', message: 'No such endpoint: GET /v2/else' } });
    const wrongMethod = await server.app.inject({ method: 'DELETE', url: '/v1/things/abc' });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET');
    const big = await server.app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ id: 'a'.repeat(2000), count: 1 }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({
      error: { code: 'API_BAD_REQUEST', message: 'Request body is larger than 1024 bytes' },
    });
    const junk = await server.app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: { 'content-type': 'application/json' },
      payload: '{',
    });
    expect(junk.statusCode).toBe(400);
    expect(junk.json()).toMatchObject({ error: { code: 'API_BAD_REQUEST' } });
    await server.close();
  });

  it('serves a valid OpenAPI document at /openapi.json that documents every registered route', async () => {
    const server = await exampleServer();
    await server.app.ready();
    const document = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    expect(server.routes.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['GET /openapi.json', 'GET /metrics', 'POST /v1/things', 'GET /v1/things/:id']),
    );
    expect(checkOpenApiDocument(document, server.routes)).toEqual([]);
    // The check can fail: an undocumented route and a dangling reference are named.
    const broken = structuredClone(document) as { paths: Record<string, Record<string, unknown>> };
    delete broken.paths['/v1/things/{id}'];
    (broken.paths['/v1/things'] as Record<string, unknown>).parameters = [{ $ref: '#/components/parameters/none' }];
    expect(checkOpenApiDocument(broken, server.routes)).toEqual(
      expect.arrayContaining([
        { path: '/paths/~1v1~1things~1{id}', message: 'has no "get": the route GET /v1/things/:id is undocumented' },
        {
          path: '/paths/~1v1~1things/parameters/0/$ref',
          message: 'is "#/components/parameters/none", which does not resolve in the document',
        },
      ]),
    );
    await server.close();
  });

  it('counts its HTTP traffic at /metrics (system figures) in the Prometheus format', async () => {
    const server = await exampleServer();
    await server.app.inject({ method: 'GET', url: '/v1/things/nope' });
    const metrics = await server.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(
      /example_http_requests_total\{method="GET",route="\/v1\/things\/:id",status="404"\} 1/,
    );
    expect(metrics.body).toMatch(/example_process_resident_memory_bytes/);
    await server.close();
  });

  it('speaks TLS from PEM files, and refuses plain HTTP on a non-loopback address or an unreadable PEM', async () => {
    const ca = createStoreCa('http-test');
    const cert = issueServerCertificate(ca, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
    writeFileSync(join(dir, 'cert.pem'), cert.certPem);
    writeFileSync(join(dir, 'key.pem'), cert.keyPem, { mode: 0o600 });
    const server = await exampleServer({ certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') });
    const port = await server.listen();
    expect(server.secure).toBe(true);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/v1/things/x', ca: ca.certPem }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(404);
    await server.close();
    const base = {
      name: 'x',
      port: 0,
      bodyLimitBytes: 1024,
      logger: silentLogger(),
      openapi: { title: 'x', version: '1' },
    };
    await expect(createHttpServer({ ...base, host: '0.0.0.0', tls: null })).rejects.toThrow(
      /would listen on 0\.0\.0\.0 without TLS, expected certFile and keyFile/,
    );
    await expect(
      createHttpServer({ ...base, host: '0.0.0.0', tls: { certFile: join(dir, 'none.pem'), keyFile: 'k' } }),
    ).rejects.toThrow(/TLS certificate file ".*none\.pem" cannot be read \(ENOENT\)/);
  });
});
