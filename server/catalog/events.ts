// The catalog's events: one stream per product (`product-<id>`), appended by an admin. The `products`
// table is their read model, updated in the same transaction (server/catalog/commands.ts). Pure.

export type ProductPriceChanged = {
  type: 'ProductPriceChanged';
  data: { productId: string; name: string; currency: string; fromCents: number; toCents: number };
};
export type ProductStockAdjusted = {
  type: 'ProductStockAdjusted';
  data: { productId: string; name: string; from: number; to: number; reason: string };
};

export type ProductEvent = ProductPriceChanged | ProductStockAdjusted;
export type ProductEventType = ProductEvent['type'];

export const productEventTypes: ProductEventType[] = ['ProductPriceChanged', 'ProductStockAdjusted'];

export const PRODUCT_STREAM_TYPE = 'product';
export const productStreamId = (productId: string) => `product-${productId}`;

/** Upper bounds an admin may set: a price up to €100,000.00 and 1,000,000 units. */
export const MAX_PRICE_CENTS = 10_000_000;
export const MAX_STOCK = 1_000_000;

const money = (cents: number, currency: string) =>
  new Intl.NumberFormat('en-IE', { style: 'currency', currency }).format(cents / 100);

/** Readable titles and icons for the admin audit (the cart's registry covers cart events). */
export const productEventRegistry: Record<ProductEventType, { icon: 'price' | 'stock'; title: (data: never) => string }> = {
  ProductPriceChanged: {
    icon: 'price',
    title: (d: ProductPriceChanged['data']) => `Price of ${d.name}: ${money(d.fromCents, d.currency)} → ${money(d.toCents, d.currency)}`,
  },
  ProductStockAdjusted: {
    icon: 'stock',
    title: (d: ProductStockAdjusted['data']) => `Stock of ${d.name}: ${d.from} → ${d.to}${d.reason ? ` (${d.reason})` : ''}`,
  },
};

export const isProductEventType = (type: string): type is ProductEventType => Object.hasOwn(productEventRegistry, type);
