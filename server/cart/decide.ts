import { CartError } from './errors';
import { MAX_QUANTITY, MIN_QUANTITY, type CartEvent, type CartLine, type CartRepriced, type CartReopened, type MergedLine, type MergeShortfall } from './events';
import type { CartState } from './evolve';
import { repricingOf } from './reprice';

/** What the catalog said about a product when the command was handled. */
export type ProductSnapshot = {
  productId: string;
  name: string;
  unitPriceCents: number;
  currency: string;
  stock: number;
  /** Units other carts hold under live reservations: this cart may take only stock minus these. */
  reservedByOthers?: number;
  /** Checkout: units this cart itself holds under a live reservation (a held line needs only the stock). */
  heldByThisCart?: number;
  /** Checkout: units other carts' orders hold until their stock step (part of reservedByOthers). */
  heldForOrders?: number;
};

export type CartCommand =
  | { type: 'OpenCart'; data: { cartId: string; userId: string; currency: string } }
  | { type: 'AddItem'; data: { productId: string; quantity: number; product: ProductSnapshot | null; reservedUntil?: string } }
  | { type: 'ChangeQuantity'; data: { productId: string; quantity: number; product: ProductSnapshot | null; reservedUntil?: string } }
  | { type: 'RemoveItem'; data: { productId: string } }
  | {
      type: 'CheckOut';
      /** expectedTotalCents: the total the shopper was shown; see checkoutRepricing. */
      data: { orderId: string; products: Record<string, ProductSnapshot | undefined>; expectedTotalCents?: number };
    }
  | ReservationCommand
  | MergeCommand
  | OrderProcessCommand;

const wholeIn = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;

function requireQuantity(quantity: number, min: number) {
  if (!wholeIn(quantity, min, MAX_QUANTITY)) {
    throw new CartError('invalid', 'invalid_quantity', `Quantity must be a whole number from ${min} to ${MAX_QUANTITY}.`, {
      quantity,
    });
  }
}

function requireOpen(state: CartState | null): CartState {
  if (!state) throw new CartError('not_found', 'cart_not_found', 'Cart not found.');
  if (state.status !== 'open') {
    throw new CartError('conflict', 'cart_closed', closedMessage[state.status] ?? 'This cart is closed and can no longer change.', {
      status: state.status,
      orderId: state.orderId,
    });
  }
  return state;
}

/** Stock minus what other carts hold: a cart's own live reservation never counts against it. */
function requireStock(product: ProductSnapshot, quantity: number) {
  const available = Math.max(0, product.stock - (product.reservedByOthers ?? 0));
  if (available < quantity) {
    throw new CartError(
      'conflict',
      'insufficient_stock',
      available === 0
        ? `${product.name} is out of stock.`
        : `Only ${available} of ${product.name} ${product.reservedByOthers ? 'available' : 'in stock'}; ${quantity} requested.`,
      { productId: product.productId, available, requested: quantity },
    );
  }
}

function requireProduct(productId: string, product: ProductSnapshot | null): ProductSnapshot {
  if (!product) throw new CartError('not_found', 'product_not_found', `No product with id "${productId}".`, { productId });
  return product;
}

/** Pure: the events a command produces against the current state, or a CartError saying why not. */
export function decide(command: CartCommand, state: CartState | null): CartEvent[] {
  switch (command.type) {
    case 'OpenCart': {
      if (state) throw new CartError('conflict', 'cart_exists', 'This cart exists already.');
      return [{ type: 'CartOpened', data: command.data }];
    }
    case 'AddItem': {
      const cart = requireOpen(state);
      const { productId, quantity } = command.data;
      requireQuantity(quantity, MIN_QUANTITY);
      const product = requireProduct(productId, command.data.product);
      if (product.currency !== cart.currency) {
        throw new CartError('conflict', 'currency_mismatch', `${product.name} is priced in ${product.currency}, this cart in ${cart.currency}.`);
      }
      const current = cart.items.find((l) => l.productId === productId)?.quantity ?? 0;
      if (current + quantity > MAX_QUANTITY) {
        throw new CartError(
          'conflict',
          'quantity_limit',
          `A cart holds at most ${MAX_QUANTITY} of one product; this one has ${current} of ${product.name}.`,
          { productId, current, requested: quantity, max: MAX_QUANTITY },
        );
      }
      requireStock(product, current + quantity);
      const { reservedUntil } = command.data;
      return [
        // ItemAdded prices the whole line at the current price: say so when that changes the line's price.
        ...repricedLine(cart, product),
        {
          type: 'ItemAdded',
          data: { productId, name: product.name, unitPriceCents: product.unitPriceCents, quantity, ...(reservedUntil ? { reservedUntil } : {}) },
        },
      ];
    }
    case 'ChangeQuantity': {
      const cart = requireOpen(state);
      const { productId, quantity } = command.data;
      requireQuantity(quantity, 0);
      const current = cart.items.find((l) => l.productId === productId);
      if (!current) throw new CartError('not_found', 'line_not_found', `This cart has no line for "${productId}".`, { productId });
      if (quantity === current.quantity) return [];
      if (quantity === 0) return [{ type: 'ItemRemoved', data: { productId, quantity: current.quantity } }];
      if (quantity < current.quantity) return [{ type: 'ItemQuantityChanged', data: { productId, from: current.quantity, to: quantity } }];
      // An increase reserves the whole line again (so a lapsed reservation is re-checked and renewed).
      requireStock(requireProduct(productId, command.data.product), quantity);
      const { reservedUntil } = command.data;
      return [{ type: 'ItemQuantityChanged', data: { productId, from: current.quantity, to: quantity, ...(reservedUntil ? { reservedUntil } : {}) } }];
    }
    case 'RemoveItem': {
      const cart = requireOpen(state);
      const current = cart.items.find((l) => l.productId === command.data.productId);
      if (!current) {
        throw new CartError('not_found', 'line_not_found', `This cart has no line for "${command.data.productId}".`, {
          productId: command.data.productId,
        });
      }
      return [{ type: 'ItemRemoved', data: { productId: current.productId, quantity: current.quantity } }];
    }
    case 'CheckOut': {
      const cart = requireOpen(state);
      if (cart.items.length === 0) throw new CartError('conflict', 'cart_empty', 'An empty cart cannot be checked out.');
      for (const l of cart.items) {
        const product = Object.hasOwn(command.data.products, l.productId) ? command.data.products[l.productId] : undefined;
        if (!product) throw new CartError('conflict', 'product_unavailable', `${l.name} is no longer sold.`, { productId: l.productId });
        // A live reservation is honoured while the units exist beside the orders already placed (their
        // units leave the shelf at their stock step); a lapsed one competes with every other hold.
        const held = (product.heldByThisCart ?? 0) >= l.quantity;
        requireStock(held ? { ...product, reservedByOthers: product.heldForOrders ?? 0 } : product, l.quantity);
      }
      const { repriced, items, totalCents } = checkoutRepricing(cart, command.data.products, command.data.expectedTotalCents);
      return [
        ...repriced,
        {
          type: 'CartCheckedOut',
          data: { orderId: command.data.orderId, items, itemCount: cart.itemCount, totalCents, currency: cart.currency },
        },
      ];
    }
    case 'MergeGuestCart':
    case 'MarkMergedInto':
      return decideMerge(command, state);
    case 'ReopenCart':
    case 'ResumeOrder':
      return decideOrderProcess(command, state);
    default:
      return decideReservation(command, state);
  }
}

// ------------------------------------------------------------------ closing a cart, lapsed reservations

const closedMessage: Partial<Record<CartState['status'], string>> = {
  checked_out: 'This cart is checked out and can no longer change.',
  abandoned: 'This cart was abandoned and can no longer change.',
  expired: 'This cart expired after a long time without activity and can no longer change.',
  merged: 'This cart was merged into another cart and can no longer change.',
};

export type ReservationCommand =
  | { type: 'AbandonCart'; data: Record<string, never> }
  /** Sweeper: close the cart if nothing happened to it since `inactiveBefore` (ISO time). */
  | { type: 'ExpireCart'; data: { inactiveBefore: string; ttlSeconds: number } }
  /** Sweeper: release these lines, whose reservation lapsed (read by the handler under the cart's lock). */
  | { type: 'ExpireReservations'; data: { productIds: string[] } };

function decideReservation(command: ReservationCommand, state: CartState | null): CartEvent[] {
  switch (command.type) {
    case 'AbandonCart':
      requireOpen(state);
      return [{ type: 'CartAbandoned', data: {} }];
    case 'ExpireCart': {
      if (!state) throw new CartError('not_found', 'cart_not_found', 'Cart not found.');
      // System commands are idempotent: a cart closed or touched meanwhile (a race the sweeper lost) is left alone.
      if (state.status !== 'open' || state.updatedAt >= command.data.inactiveBefore) return [];
      return [{ type: 'CartExpired', data: { lastActivityAt: state.updatedAt, ttlSeconds: command.data.ttlSeconds } }];
    }
    case 'ExpireReservations': {
      if (!state) throw new CartError('not_found', 'cart_not_found', 'Cart not found.');
      if (state.status !== 'open') return [];
      const productIds = command.data.productIds.filter((id) => state.items.some((l) => l.productId === id));
      return productIds.length === 0 ? [] : [{ type: 'ReservationsExpired', data: { productIds } }];
    }
  }
}

// ------------------------------------------------------------------ repricing (prices that change)

const repricedEvent = (currency: string, lines: { productId: string; name: string; fromCents: number; toCents: number }[]): CartRepriced => ({
  type: 'CartRepriced',
  data: { currency, lines },
});

function repricedLine(cart: CartState, product: ProductSnapshot): CartRepriced[] {
  const l = cart.items.find((x) => x.productId === product.productId);
  if (!l || l.unitPriceCents === product.unitPriceCents) return [];
  return [repricedEvent(cart.currency, [{ productId: l.productId, name: l.name, fromCents: l.unitPriceCents, toCents: product.unitPriceCents }])];
}

/**
 * Checkout never charges a price the shopper was not shown. Lines keep the price they were added at;
 * when the catalog price differs now, the current price is charged only if the shopper's shown total
 * (expectedTotalCents) is the total at current prices: then CartRepriced precedes CartCheckedOut.
 * Otherwise (a stale total, or none sent) 409 prices_changed with the old and new prices, and nothing
 * is written. Prices unchanged: a shown total other than the cart's total is refused too (409 total_changed).
 */
export function checkoutRepricing(
  cart: CartState,
  products: Record<string, ProductSnapshot | undefined>,
  expectedTotalCents: number | undefined,
): { repriced: CartRepriced[]; items: CartState['items']; totalCents: number } {
  const prices = Object.fromEntries(cart.items.map((l) => [l.productId, products[l.productId]?.unitPriceCents]));
  const r = repricingOf(cart.items, prices);
  if (!r) {
    if (expectedTotalCents !== undefined && expectedTotalCents !== cart.totalCents) {
      throw new CartError('conflict', 'total_changed', 'The cart changed since you last saw it; check the new total and try again.', {
        expectedTotalCents,
        totalCents: cart.totalCents,
      });
    }
    return { repriced: [], items: cart.items, totalCents: cart.totalCents };
  }
  if (expectedTotalCents !== r.totalCents) {
    throw new CartError('conflict', 'prices_changed', 'Prices changed since you last saw them; check the new prices and try again.', {
      lines: r.lines.map(({ productId, name, fromCents, toCents }) => ({ productId, name, fromCents, toCents })),
      totalCents: cart.totalCents,
      currentTotalCents: r.totalCents,
      ...(expectedTotalCents !== undefined ? { expectedTotalCents } : {}),
    });
  }
  const to = new Map(r.lines.map((c) => [c.productId, c.toCents]));
  const items = cart.items.map((l) =>
    to.has(l.productId) ? { ...l, unitPriceCents: to.get(l.productId)!, lineTotalCents: to.get(l.productId)! * l.quantity } : l,
  );
  const lines = r.lines.map(({ productId, name, fromCents, toCents }) => ({ productId, name, fromCents, toCents }));
  return { repriced: [repricedEvent(cart.currency, lines)], items, totalCents: r.totalCents };

}

// ------------------------------------------------------------------ guest carts merged on sign-in

type MergeCommand =
  /** On the shopper's cart: take in the guest cart's lines (products as the catalog has them now). */
  | {
      type: 'MergeGuestCart';
      data: { fromCartId: string; guestId: string; lines: CartLine[]; products: Record<string, ProductSnapshot | undefined> };
    }
  /** On the guest cart: close it, handed over to the shopper's cart. */
  | { type: 'MarkMergedInto'; data: { intoCartId: string; userId: string } };

function decideMerge(command: MergeCommand, state: CartState | null): CartEvent[] {
  if (command.type === 'MarkMergedInto') {
    if (!state) throw new CartError('not_found', 'cart_not_found', 'Cart not found.');
    // Already merged (a second sign-in, a retry), checked out or empty: nothing to hand over.
    if (state.status !== 'open' || state.items.length === 0) return [];
    const lines = state.items.map(({ productId, name, unitPriceCents, quantity }) => ({ productId, name, unitPriceCents, quantity }));
    return [{ type: 'CartMergedInto', data: { ...command.data, lines } }];
  }
  const cart = requireOpen(state);
  const { fromCartId, guestId, products } = command.data;
  if (fromCartId === cart.cartId) throw new CartError('invalid', 'merge_into_self', 'A cart cannot be merged into itself.');
  if (command.data.lines.length === 0) return [];
  const lines: MergedLine[] = [];
  const capped: MergeShortfall[] = [];
  for (const g of command.data.lines) {
    const product = Object.hasOwn(products, g.productId) ? products[g.productId] : undefined;
    const short = (merged: number, reason: MergeShortfall['reason']) =>
      capped.push({ productId: g.productId, name: product?.name ?? g.name, requested: g.quantity, merged, reason });
    if (!product) {
      short(0, 'product_not_found');
      continue;
    }
    if (product.currency !== cart.currency) {
      short(0, 'currency_mismatch');
      continue;
    }
    // The same limits as AddItem (at most 99 of a product, no more than the stock in the cart), but a
    // merge takes what fits and says what did not, instead of refusing the whole sign-in.
    const current = cart.items.find((l) => l.productId === g.productId)?.quantity ?? 0;
    const roomByLimit = Math.max(0, MAX_QUANTITY - current);
    const roomByStock = Math.max(0, product.stock - current);
    const take = Math.min(g.quantity, roomByLimit, roomByStock);
    if (take < g.quantity) short(take, roomByLimit <= roomByStock ? 'quantity_limit' : 'insufficient_stock');
    if (take > 0) lines.push({ productId: g.productId, name: product.name, unitPriceCents: product.unitPriceCents, quantity: take });
  }
  return [{ type: 'GuestCartMerged', data: { fromCartId, guestId, lines, capped } }];
}

// ------------------------------------------------------------------ the order process (server/orders/)

type OrderProcessCommand =
  /** The order failed and its steps were undone: open the cart again (a no-op if that happened already). */
  | { type: 'ReopenCart'; data: CartReopened['data'] }
  /**
   * An admin retries the failed order `orderId`: the cart, still exactly as the order left it, is
   * checked out again under the same order id, with its stock held again.
   */
  | { type: 'ResumeOrder'; data: { orderId: string; items: CartLine[]; products: Record<string, ProductSnapshot | undefined> } };

const sameLines = (a: CartLine[], b: CartLine[]) =>
  a.length === b.length &&
  a.every((l) => b.some((m) => m.productId === l.productId && m.quantity === l.quantity && m.unitPriceCents === l.unitPriceCents));

function decideOrderProcess(command: OrderProcessCommand, state: CartState | null): CartEvent[] {
  if (!state) throw new CartError('not_found', 'cart_not_found', 'Cart not found.');
  if (command.type === 'ReopenCart') {
    if (state.status !== 'checked_out' || state.orderId !== command.data.orderId) return [];
    return [{ type: 'CartReopened', data: command.data }];
  }
  const cart = requireOpen(state);
  if (!sameLines(cart.items, command.data.items)) {
    throw new CartError('conflict', 'cart_changed', 'The cart changed since the order failed; the shopper has to check out again.', {
      orderId: command.data.orderId,
    });
  }
  for (const l of cart.items) {
    const product = Object.hasOwn(command.data.products, l.productId) ? command.data.products[l.productId] : undefined;
    if (!product) throw new CartError('conflict', 'product_unavailable', `${l.name} is no longer sold.`, { productId: l.productId });
    requireStock(product, l.quantity);
  }
  return [
    {
      type: 'CartCheckedOut',
      data: { orderId: command.data.orderId, items: cart.items, itemCount: cart.itemCount, totalCents: cart.totalCents, currency: cart.currency },
    },
  ];
}
