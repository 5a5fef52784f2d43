import { Type } from '@sinclair/typebox';
import { AppError, isAppError } from '../../shared/errors.ts';
import { errors } from '../../shared/http/mod.ts';
import { REJECT_REASONS } from '../../shared/recommend/mod.ts';
import { requireToken, type ApiServer } from '../http/mod.ts';
import type { PurchaseService } from './purchase-service.ts';

/**
 * The purchases' admin routes (the admin token of `api.adminTokenFile`; docs/purchases.md):
 *
 *   POST   /v1/admin/purchases/import            a POS export as the body (text/csv or application/gzip)
 *   GET    /v1/admin/shoppers/:id/customer-link  whether the shopper is linked, and since when
 *   PUT    /v1/admin/shoppers/:id/customer-link  link a POS customer id to the shopper ({customerId})
 *   DELETE /v1/admin/shoppers/:id/customer-link  remove the link
 *
 * No answer ever holds the customer id: the link is kept as an HMAC, and the import report gives
 * line numbers and reasons only.
 */

export interface PurchaseRouteDeps {
  api: ApiServer;
  purchases: PurchaseService;
  adminToken: () => string | null;
  /** Largest upload (purchases.maxBodyBytes). */
  maxBodyBytes: number;
}

const closed = { additionalProperties: false } as const;
const BearerHeader = { security: [{ bearer: [] }] };
export const IMPORT_MEDIA_TYPES = ['text/csv', 'application/gzip', 'application/x-gzip'] as const;

const Counts = Type.Object(Object.fromEntries(REJECT_REASONS.map((r) => [r, Type.Integer({ minimum: 0 })])), {
  ...closed,
  description: 'rejected lines by reason (every reason, zeros included)',
});
const Samples = Type.Object(
  Object.fromEntries(
    REJECT_REASONS.map((r) => [
      r,
      Type.Optional(Type.Array(Type.Object({ line: Type.Integer({ minimum: 1 }), message: Type.String() }, closed))),
    ]),
  ),
  { ...closed, description: 'the first lines rejected for each reason: line number and what was wrong' },
);
const TimeOfLine = Type.Union([
  Type.Object(
    {
      local: Type.String({ description: "the POS's wall-clock time, YYYY-MM-DD HH:MM" }),
      at: Type.String({ format: 'date-time' }),
    },
    closed,
  ),
  Type.Null(),
]);

export const ImportReportSchema = Type.Object(
  {
    source: Type.String(),
    digest: Type.String({ pattern: '^[0-9a-f]{64}$', description: "SHA-256 of the file's decompressed content" }),
    link: Type.Union([Type.Literal('linked'), Type.Literal('shopper-id')]),
    lines: Type.Integer({ minimum: 0 }),
    imported: Type.Integer({ minimum: 0 }),
    duplicates: Type.Integer({ minimum: 0, description: 'accepted lines already imported earlier' }),
    deletedByShoppers: Type.Integer({
      minimum: 0,
      description: 'accepted lines whose purchase the shopper deleted from their history (not brought back)',
    }),
    rejected: Type.Integer({ minimum: 0 }),
    byReason: Counts,
    rejectedLines: Samples,
    shoppers: Type.Integer({ minimum: 0 }),
    products: Type.Integer({ minimum: 0 }),
    from: TimeOfLine,
    to: TimeOfLine,
    earlierImports: Type.Integer({ minimum: 0, description: 'imports of the same content committed before' }),
  },
  { ...closed, description: 'What the import did: counts, reasons and line numbers — never a customer id' },
);

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, closed);
const LinkBody = Type.Object(
  {
    customerId: Type.String({
      minLength: 1,
      maxLength: 128,
      description: "the POS customer id, as in the export's customer_id column (kept only as an HMAC)",
    }),
  },
  closed,
);
const LinkView = Type.Object(
  { shopper: Type.String(), linkedAt: Type.String({ format: 'date-time' }) },
  { ...closed, description: "A shopper's customer link: when it was set (never the customer id)" },
);

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function registerImportRoute(deps: PurchaseRouteDeps): void {
  deps.api.routes((app) => {
    // The export arrives as raw bytes: Fastify neither parses nor validates it (the import does).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_request, body, done) =>
      done(null, body),
    );
    app.post(
      '/v1/admin/purchases/import',
      {
        bodyLimit: deps.maxBodyBytes,
        validatorCompiler: () => () => true,
        schema: {
          summary:
            'Import a POS export (all of it in one transaction; re-importing adds nothing); rejected lines are counted by reason (admin token)',
          tags: ['admin'],
          consumes: [...IMPORT_MEDIA_TYPES],
          body: Type.String({ format: 'binary', description: 'the CSV export, or the CSV gzip-compressed' }),
          response: { 200: ImportReportSchema, ...errors(400, 401, 403, 413, 503) },
          ...BearerHeader,
        },
      },
      async (request) => {
        requireToken(request, deps.adminToken(), 'admin');
        const type = mediaType(request.headers['content-type']);
        if (!(IMPORT_MEDIA_TYPES as readonly string[]).includes(type))
          throw new AppError(
            'API_BAD_REQUEST',
            `Content-Type is "${type || 'missing'}", expected ${IMPORT_MEDIA_TYPES.join(' or ')}`,
            { details: { field: 'content-type' } },
          );
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        if (body.length === 0)
          throw new AppError('API_BAD_REQUEST', 'Request body is empty, expected a POS export (CSV or gzip)', {
            details: { field: '' },
          });
        try {
          return deps.purchases.importBytes(body, 'request body');
        } catch (error) {
          // A bad file is the client's: 400 with the importer's message (it names what was wrong).
          if (isAppError(error, 'RECO_BAD_INPUT'))
            throw new AppError('API_BAD_REQUEST', error.message, { cause: error, details: { field: '' } });
          throw error;
        }
      },
    );
  });
}

function registerLinkRoutes(deps: PurchaseRouteDeps): void {
  const { purchases } = deps;
  deps.api.routes((app) => {
    const path = '/v1/admin/shoppers/:id/customer-link';
    app.get(
      path,
      {
        schema: {
          summary: "A shopper's POS customer link: when it was set (admin token)",
          tags: ['admin'],
          params: IdParams,
          response: { 200: LinkView, ...errors(401, 403, 404) },
          ...BearerHeader,
        },
      },
      async (request) => {
        requireToken(request, deps.adminToken(), 'admin');
        const link = purchases.linkOf(request.params.id);
        if (link === null)
          throw new AppError('API_NOT_FOUND', `Shopper "${request.params.id}" has no customer link`, {
            details: { field: 'id' },
          });
        return link;
      },
    );
    app.put(
      path,
      {
        schema: {
          summary: "Link a POS customer id to the shopper, replacing their earlier link (admin token; 'linked' mode)",
          tags: ['admin'],
          params: IdParams,
          body: LinkBody,
          response: {
            200: Type.Object({ ...LinkView.properties, replaced: Type.Boolean() }, closed),
            ...errors(400, 401, 403, 404, 409),
          },
          ...BearerHeader,
        },
      },
      async (request) => {
        requireToken(request, deps.adminToken(), 'admin');
        return purchases.link(request.params.id, request.body.customerId);
      },
    );
    app.delete(
      path,
      {
        schema: {
          summary: "Remove the shopper's customer link (admin token); their imported purchases stay",
          tags: ['admin'],
          params: IdParams,
          response: { 204: Type.Null({ description: 'removed' }), ...errors(401, 403, 404, 409) },
          ...BearerHeader,
        },
      },
      async (request, reply) => {
        requireToken(request, deps.adminToken(), 'admin');
        if (!purchases.unlink(request.params.id))
          throw new AppError('API_NOT_FOUND', `Shopper "${request.params.id}" has no customer link`, {
            details: { field: 'id' },
          });
        return reply.status(204).send(null);
      },
    );
  });
}

export function registerPurchaseRoutes(deps: PurchaseRouteDeps): void {
  registerImportRoute(deps);
  registerLinkRoutes(deps);
}
