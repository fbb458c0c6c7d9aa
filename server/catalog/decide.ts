// Pure decider for admin catalog changes: the product as the catalog holds it now comes in, events
// come out. No I/O; the command handler (commands.ts) loads, locks and appends.
import { CartError } from '../cart/errors';
import { MAX_PRICE_CENTS, MAX_STOCK, type ProductEvent } from './events';

export type ProductState = { productId: string; name: string; currency: string; priceCents: number; stock: number };

export type UpdateProduct = { priceCents?: number; stock?: number; reason?: string };

const whole = (n: number, max: number) => Number.isInteger(n) && n >= 0 && n <= max;

/** Price first, then stock; a field equal to the current value yields no event (nothing happened). */
export function decideProductUpdate(cmd: UpdateProduct, product: ProductState | null, productId: string): ProductEvent[] {
  if (!product) throw new CartError('not_found', 'product_not_found', `No product with id "${productId}".`, { productId });
  if (cmd.priceCents === undefined && cmd.stock === undefined) {
    throw new CartError('invalid', 'nothing_to_change', 'Send a new price (priceCents) or stock.');
  }
  if (cmd.priceCents !== undefined && !whole(cmd.priceCents, MAX_PRICE_CENTS)) {
    throw new CartError('invalid', 'invalid_price', `The price is a whole number of cents from 0 to ${MAX_PRICE_CENTS}.`, { priceCents: cmd.priceCents });
  }
  if (cmd.stock !== undefined && !whole(cmd.stock, MAX_STOCK)) {
    throw new CartError('invalid', 'invalid_stock', `Stock is a whole number from 0 to ${MAX_STOCK}.`, { stock: cmd.stock });
  }
  const out: ProductEvent[] = [];
  const { name, currency } = product;
  if (cmd.priceCents !== undefined && cmd.priceCents !== product.priceCents) {
    out.push({ type: 'ProductPriceChanged', data: { productId, name, currency, fromCents: product.priceCents, toCents: cmd.priceCents } });
  }
  if (cmd.stock !== undefined && cmd.stock !== product.stock) {
    out.push({ type: 'ProductStockAdjusted', data: { productId, name, from: product.stock, to: cmd.stock, reason: cmd.reason?.trim() || 'admin adjustment' } });
  }
  return out;
}
