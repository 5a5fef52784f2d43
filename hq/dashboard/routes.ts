import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../shared/errors.ts';
import type { HttpApp } from '../../shared/http/mod.ts';
import { ErrorSchema } from '../api/schemas.ts';

/**
 * The analysts' dashboard: one page (assets/dashboard.html, .js, .css) that reads the view API
 * and draws each figure with its 95% band in uPlot — served by HQ itself, uPlot included (from
 * node_modules, no CDN: the page works on a network without the internet and loads no third-party
 * code). GET / redirects to it.
 */

const ASSETS: Readonly<Record<string, { file: string; type: string; vendor?: boolean }>> = {
  'dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  'uplot.js': { file: 'uPlot.iife.min.js', type: 'text/javascript; charset=utf-8', vendor: true },
  'uplot.css': { file: 'uPlot.min.css', type: 'text/css; charset=utf-8', vendor: true },
};

function assetsDir(): string {
  const candidates = [new URL('./assets/', import.meta.url), new URL('../../../hq/dashboard/assets/', import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    try {
      readFileSync(join(path, 'dashboard.html'));
      return path;
    } catch {
      // next candidate
    }
  }
  throw new AppError(
    'INTERNAL',
    `Cannot find the dashboard's assets in ${candidates.map((u) => fileURLToPath(u)).join(' or ')}`,
  );
}

export function registerDashboardRoutes(app: HttpApp, options: { tokenRequired: boolean }): void {
  const dir = assetsDir();
  const uplotDir = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const [name, asset] of Object.entries(ASSETS))
    files.set(name, { body: readFileSync(join(asset.vendor === true ? uplotDir : dir, asset.file)), type: asset.type });
  const html = readFileSync(join(dir, 'dashboard.html'), 'utf8').replace(
    '<html lang="en">',
    `<html lang="en" data-token-required="${options.tokenRequired}">`,
  );

  app.get(
    '/',
    {
      schema: {
        summary: 'Redirects to the dashboard',
        tags: ['dashboard'],
        response: { 302: Type.Null({ description: 'Location: /dashboard' }) },
      },
    },
    async (_request, reply) => reply.redirect('/dashboard', 302),
  );
  app.get(
    '/dashboard',
    {
      schema: {
        summary: "The analysts' dashboard (HTML)",
        tags: ['dashboard'],
        produces: ['text/html'],
        response: { 200: Type.String({ description: 'the page' }) },
      },
    },
    async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header(
          'content-security-policy',
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
        )
        .send(html),
  );
  app.get(
    '/dashboard/assets/:name',
    {
      schema: {
        summary: "The dashboard's script, style sheet and the bundled uPlot",
        tags: ['dashboard'],
        params: Type.Object({ name: Type.Union(Object.keys(ASSETS).map((n) => Type.Literal(n))) }),
        response: { 200: Type.String({ description: 'the file' }), 400: ErrorSchema },
      },
    },
    async (request, reply) => {
      const file = files.get(request.params.name) as { body: Buffer; type: string };
      return reply
        .type(file.type)
        .header('cache-control', 'public, max-age=300')
        .send(file.body as unknown as string);
    },
  );
}
