import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOpenApiDocument } from '../../shared/testing/openapi-check.ts';
import { startTestHub, type TestHub } from '../helpers/hub-fixtures.ts';

/**
 * The hub's API document (GET /openapi.json, docs/shopper-api.md): a valid OpenAPI 3.0 document
 * that lists every route the hub registered, and every route declares what it answers — a
 * response schema for its success status (or a media type: the page, CSS, JS, the Prometheus
 * text) — and a body schema where it takes a body.
 */
describe('hub OpenAPI document', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await t?.stop();
  });

  interface Operation {
    tags?: string[];
    requestBody?: { content: Record<string, { schema?: unknown }> };
    responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  }

  it('is valid and lists every registered route', async () => {
    const res = await t.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(checkOpenApiDocument(res.body, t.hub.api.registered)).toEqual([]);
    const paths = (res.body as { paths: Record<string, unknown> }).paths;
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/v1/shoppers', '/v1/me', '/v1/technician/status']));
  });

  // Routes without a JSON body schema: the technician sign-in (a form post) and an offer's redeem or dismiss (no body).
  const BODYLESS = new Set([
    '/v1/technician/session',
    '/v1/me/offers/{decisionId}/redeem',
    '/v1/me/offers/{decisionId}/dismiss',
  ]);

  it('declares a response for every success and a schema for every body', async () => {
    const res = await t.request('GET', '/openapi.json');
    const paths = (res.body as { paths: Record<string, Record<string, Operation>> }).paths;
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const success = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
        if (success.length === 0) missing.push(`${method} ${path}: no success response`);
        for (const [status, response] of success) {
          if (status === '204') continue;
          if (response.content === undefined) missing.push(`${method} ${path}: ${status} without content`);
        }
        if (['post', 'put', 'patch'].includes(method) && !BODYLESS.has(path) && op.requestBody === undefined)
          missing.push(`${method} ${path}: no request body schema`);
      }
    }
    expect(missing).toEqual([]);
  });
});
