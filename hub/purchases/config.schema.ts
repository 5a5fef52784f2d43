import { Type, type Static } from '@sinclair/typebox';

/**
 * The `purchases` section of hub.yaml (docs/purchases.md): how a POS export's customer ids find
 * enrolled shoppers, the link key, the products file and the size of an upload. Defaults live here.
 */
const closed = { additionalProperties: false } as const;
const FilePath = Type.String({ minLength: 1 });

export const LINK_MODES = ['linked', 'shopper-id'] as const;
export type LinkMode = (typeof LINK_MODES)[number];

export const PurchasesSection = Type.Object(
  {
    /**
     * 'linked': a customer id finds its shopper through the links the admin set (`hushpoint
     * purchases link`, PUT /v1/admin/shoppers/:id/customer-link), kept as HMAC-SHA256 under the
     * link key. 'shopper-id': the POS knows the loyalty id, and a customer id is the shopper's id.
     */
    link: Type.Union(
      LINK_MODES.map((mode) => Type.Literal(mode)),
      { default: 'linked' },
    ),
    /** The link key: 32 random bytes as 64 hex digits, readable by the hub's user only (required for 'linked'). */
    linkKeyFile: Type.Optional(FilePath),
    /** A CSV of stock_code,category: the offer category of each product (otherwise "uncategorised"). */
    productsFile: Type.Optional(FilePath),
    /** Largest upload to POST /v1/admin/purchases/import, compressed as sent. */
    maxBodyBytes: Type.Integer({ minimum: 1024, maximum: 1024 ** 3, default: 64 * 1024 ** 2 }),
    /** Largest export once decompressed (a gzip upload or file). */
    maxFileBytes: Type.Integer({ minimum: 1024, maximum: 1024 ** 3, default: 256 * 1024 ** 2 }),
  },
  { ...closed, default: {} },
);

export type PurchasesConfig = Static<typeof PurchasesSection>;
