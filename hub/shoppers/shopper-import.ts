import { Type } from '@sinclair/typebox';
import { AppError } from '../../shared/errors.ts';
import { compileValidator } from '../../shared/validation.ts';
import { SHOPPER_ID_PATTERN, type ImportedShopper } from './shopper-store.ts';

/**
 * The import format for shoppers whose identity keys already exist (the simulator's
 * shoppers.json, or a migration): a JSON array, or an object with a `shoppers` array, of
 *
 *   { "id": "s-001", "identityKey": "<32 hex>", "exponent": 9, "consent": {...}, ...other fields ignored }
 *
 * `shopperId` is accepted for `id`; `exponent` defaults to the hub's default.
 */
const Entry = Type.Object({
  id: Type.Optional(Type.String({ pattern: SHOPPER_ID_PATTERN })),
  shopperId: Type.Optional(Type.String({ pattern: SHOPPER_ID_PATTERN })),
  identityKey: Type.String({ pattern: '^[0-9a-fA-F]{32}$' }),
  exponent: Type.Optional(Type.Integer({ minimum: 0, maximum: 15 })),
  consent: Type.Optional(
    Type.Object({ presenceForOffers: Type.Optional(Type.Boolean()), analytics: Type.Optional(Type.Boolean()) }),
  ),
});
/** The body of POST /v1/admin/shoppers/import: the array, or an object with a `shoppers` array. */
export const ShopperImportSchema = Type.Union([
  Type.Array(Entry, { maxItems: 1_000_000 }),
  Type.Object({ shoppers: Type.Array(Entry, { maxItems: 1_000_000 }) }),
]);

const validateEntries = compileValidator<
  Array<{
    id?: string;
    shopperId?: string;
    identityKey: string;
    exponent?: number;
    consent?: { presenceForOffers?: boolean; analytics?: boolean };
  }>
>(Type.Array(Entry, { maxItems: 1_000_000 }));

export function parseShopperImport(document: unknown, defaultExponent: number): ImportedShopper[] {
  const list = Array.isArray(document)
    ? document
    : document !== null && typeof document === 'object' && Array.isArray((document as { shoppers?: unknown }).shoppers)
      ? (document as { shoppers: unknown[] }).shoppers
      : null;
  const base = Array.isArray(document) ? '' : '/shoppers';
  if (list === null)
    throw new AppError('API_BAD_REQUEST', 'Shopper import is not a JSON array or an object with a "shoppers" array', {
      details: { field: '' },
    });
  const checked = validateEntries(list);
  if (!checked.ok) {
    const first = checked.problems[0] as { path: string; message: string };
    throw new AppError(
      'API_BAD_REQUEST',
      `Shopper import ${base}${first.path} ${first.message}${checked.problems.length > 1 ? ` (and ${checked.problems.length - 1} more problems)` : ''}`,
      { details: { field: `${base}${first.path}`, problems: checked.problems } },
    );
  }
  return checked.value.map((entry, i) => {
    const id = entry.id ?? entry.shopperId;
    if (id === undefined)
      throw new AppError('API_BAD_REQUEST', `Shopper import ${base}/${i}/id is required (or shopperId)`, {
        details: { field: `${base}/${i}/id` },
      });
    return {
      id,
      identityKey: Buffer.from(entry.identityKey, 'hex'),
      exponent: entry.exponent ?? defaultExponent,
      ...(entry.consent ? { consent: entry.consent } : {}),
    };
  });
}
