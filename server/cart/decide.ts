import { CartError } from './errors';
import { MAX_QUANTITY, MIN_QUANTITY, type CartEvent, type CartLine, type MergedLine, type MergeShortfall } from './events';
import type { CartState } from './evolve';

/** What the catalog said about a product when the command was handled. */
export type ProductSnapshot = { productId: string; name: string; unitPriceCents: number; currency: string; stock: number };

export type CartCommand =
  | { type: 'OpenCart'; data: { cartId: string; userId: string; currency: string } }
  | { type: 'AddItem'; data: { productId: string; quantity: number; product: ProductSnapshot | null } }
  | { type: 'ChangeQuantity'; data: { productId: string; quantity: number; product: ProductSnapshot | null } }
  | { type: 'RemoveItem'; data: { productId: string } }
  | { type: 'CheckOut'; data: { orderId: string; products: Record<string, ProductSnapshot | undefined> } }
  | MergeCommand;

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
    const why = state.status === 'merged' ? 'was merged into another cart' : 'is checked out';
    throw new CartError('conflict', 'cart_closed', `This cart ${why} and can no longer change.`, {
      status: state.status,
      orderId: state.orderId,
    });
  }
  return state;
}

function requireStock(product: ProductSnapshot, quantity: number) {
  if (product.stock < quantity) {
    throw new CartError(
      'conflict',
      'insufficient_stock',
      product.stock === 0
        ? `${product.name} is out of stock.`
        : `Only ${product.stock} of ${product.name} in stock; ${quantity} requested.`,
      { productId: product.productId, available: product.stock, requested: quantity },
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
      return [
        {
          type: 'ItemAdded',
          data: { productId, name: product.name, unitPriceCents: product.unitPriceCents, quantity },
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
      if (quantity > current.quantity) requireStock(requireProduct(productId, command.data.product), quantity);
      return [{ type: 'ItemQuantityChanged', data: { productId, from: current.quantity, to: quantity } }];
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
        requireStock(product, l.quantity);
      }
      return [
        {
          type: 'CartCheckedOut',
          data: {
            orderId: command.data.orderId,
            items: cart.items,
            itemCount: cart.itemCount,
            totalCents: cart.totalCents,
            currency: cart.currency,
          },
        },
      ];
    }
    case 'MergeGuestCart':
    case 'MarkMergedInto':
      return decideMerge(command, state);
  }
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
