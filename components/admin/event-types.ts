import type { CartEventType } from '@/server/cart/events';

/** The cart event types as the filter offers them. */
export const eventTypeLabels: Record<CartEventType, string> = {
  CartOpened: 'Cart opened',
  ItemAdded: 'Item added',
  ItemQuantityChanged: 'Quantity changed',
  ItemRemoved: 'Item removed',
  CartCheckedOut: 'Checked out',
  GuestCartMerged: 'Guest cart merged in',
  CartMergedInto: 'Merged into a cart',
};
