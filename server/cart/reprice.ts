// Repricing (pure, safe for the browser): cart lines keep the price they were added at (events are
// immutable); when the catalog price differs, the shopper sees the difference and checkout charges
// the current price only if the shopper was shown it (decide.ts, CheckOut).
import type { CartLine } from './events';

/** One line whose catalog price is no longer the price it was added at. */
export type PriceChange = { productId: string; name: string; quantity: number; fromCents: number; toCents: number };

/** The lines that changed, and the cart's total at current prices (what checkout would charge). */
export type Repricing = { lines: PriceChange[]; totalCents: number; differenceCents: number };

/**
 * `prices` maps product id -> current unit price in cents; a product missing from it (no longer sold)
 * is left alone here (checkout refuses it on its own). Null when no line's price changed.
 */
export function repricingOf(items: CartLine[], prices: Record<string, number | undefined>): Repricing | null {
  const lines: PriceChange[] = [];
  let totalCents = 0;
  let oldTotal = 0;
  for (const l of items) {
    const now = Object.hasOwn(prices, l.productId) ? prices[l.productId] : undefined;
    const toCents = now ?? l.unitPriceCents;
    if (toCents !== l.unitPriceCents) {
      lines.push({ productId: l.productId, name: l.name, quantity: l.quantity, fromCents: l.unitPriceCents, toCents });
    }
    totalCents += toCents * l.quantity;
    oldTotal += l.lineTotalCents;
  }
  return lines.length === 0 ? null : { lines, totalCents, differenceCents: totalCents - oldTotal };
}

/** The current prices a repricing implies (product id -> new price), for re-deriving it after local changes. */
export const pricesOf = (r: Repricing | null | undefined): Record<string, number> =>
  Object.fromEntries((r?.lines ?? []).map((l) => [l.productId, l.toCents]));
