// The cart's events: what happened, with everything needed to replay it (no look-ups on replay).

export type CartLine = {
  productId: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
};

export type CartOpened = { type: 'CartOpened'; data: { cartId: string; userId: string; currency: string } };
/** Schema version 2: the price in integer cents. v1 stored a decimal string; upcast.ts converts it on read. */
export type ItemAdded = {
  type: 'ItemAdded';
  data: { productId: string; name: string; unitPriceCents: number; quantity: number; reservedUntil?: string };
};
export type ItemQuantityChanged = {
  type: 'ItemQuantityChanged';
  data: { productId: string; from: number; to: number; reservedUntil?: string };
};
export type ItemRemoved = { type: 'ItemRemoved'; data: { productId: string; quantity: number } };
export type CartCheckedOut = {
  type: 'CartCheckedOut';
  data: { orderId: string; items: CartLine[]; itemCount: number; totalCents: number; currency: string };
};

/**
 * Catalog prices changed for lines in the cart, and the shopper was shown the new ones: appended just
 * before CartCheckedOut (or ItemAdded, which adds at the current price) so the lines are charged at them.
 */
export type CartRepriced = {
  type: 'CartRepriced';
  data: { currency: string; lines: { productId: string; name: string; fromCents: number; toCents: number }[] };
};

export type CartEvent =
  | CartOpened
  | ItemAdded
  | ItemQuantityChanged
  | ItemRemoved
  | CartCheckedOut
  | ReservationsExpired
  | CartAbandoned
  | CartExpired
  | CartRepriced
  | GuestCartMerged
  | CartMergedInto
  | CartReopened;
export type CartEventType = CartEvent['type'];

/** An event as evolve sees it: the event plus its place in the stream and its time. */
export type CartEventEnvelope = CartEvent & { version: number; occurredAt: string };

export const cartEventTypes: CartEventType[] = [
  'CartOpened',
  'ItemAdded',
  'ItemQuantityChanged',
  'ItemRemoved',
  'CartCheckedOut',
  'ReservationsExpired',
  'CartAbandoned',
  'CartExpired',
  'CartRepriced',
  'GuestCartMerged',
  'CartMergedInto',
  'CartReopened',
];

/** Quantity bounds for one line: a whole number from 1 to 99. */
export const MIN_QUANTITY = 1;
export const MAX_QUANTITY = 99;

export const cartStreamId = (cartId: string) => `cart-${cartId}`;
export const CART_STREAM_TYPE = 'cart';

// ------------------------------------------------------------------ reservations and expiry (docs/reservations.md)
// `reservedUntil` on ItemAdded / ItemQuantityChanged (an increase): the whole line's quantity is held
// for this cart until then. Optional: events written before reservations existed hold nothing.

/** The sweeper (system actor) released the lines whose reservation lapsed; the lines stay in the cart. */
export type ReservationsExpired = { type: 'ReservationsExpired'; data: { productIds: string[] } };
/** The shopper gave the cart up; its reservations are released and it refuses further commands. */
export type CartAbandoned = { type: 'CartAbandoned'; data: Record<string, never> };
/** The sweeper closed a cart inactive for `ttlSeconds` since `lastActivityAt`; reservations released. */
export type CartExpired = { type: 'CartExpired'; data: { lastActivityAt: string; ttlSeconds: number } };

// ------------------------------------------------------------------ guest carts merged on sign-in

/** A line as a merge carries it: the units added (current catalog name and price). */
export type MergedLine = { productId: string; name: string; unitPriceCents: number; quantity: number };
/** A guest line that did not fit whole: what was asked, what was merged, and why not more. */
export type MergeShortfall = {
  productId: string;
  name: string;
  requested: number;
  merged: number;
  reason: 'quantity_limit' | 'insufficient_stock' | 'product_not_found' | 'currency_mismatch';
};
/** In the shopper's cart: the guest cart `fromCartId` was merged in; `capped` names what did not fit. */
export type GuestCartMerged = {
  type: 'GuestCartMerged';
  data: { fromCartId: string; guestId: string; lines: MergedLine[]; capped: MergeShortfall[] };
};
/** In the guest cart: handed over to `userId`'s cart `intoCartId` on sign-in; closes it (status merged). */
export type CartMergedInto = {
  type: 'CartMergedInto';
  data: { intoCartId: string; userId: string; lines: MergedLine[] };
};

// ------------------------------------------------------------------ the order process (server/orders/)

/**
 * The order placed from this cart failed (payment declined, stock gone, ...): every step it had taken
 * was undone and the cart is open again with its lines, so the shopper can fix the cause and check out
 * again. Appended by the system actor in the transaction of the order's OrderFailed; the lines are not
 * held until their next add (like merged lines).
 */
export type CartReopened = {
  type: 'CartReopened';
  data: {
    orderId: string;
    step: string;
    code: string;
    reason: string;
    /** The failed order's lines and total, and when it was placed: sales and the funnel take it back. */
    items: CartLine[];
    totalCents: number;
    placedAt: string;
  };
};
