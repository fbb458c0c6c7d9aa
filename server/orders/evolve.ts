import type { CartLine } from '../cart/events';
import type { OrderEventEnvelope, OrderStep, PaymentMethod } from './events';

export type OrderStatus = 'placed' | 'paid' | 'stock_committed' | 'confirmed' | 'compensating' | 'failed';
export type OrderFailure = { step: OrderStep; code: string; reason: string; at: string };

/** The order process as the runner, the pages and the API see it. */
export type OrderState = {
  orderId: string;
  cartId: string;
  userId: string;
  items: CartLine[];
  itemCount: number;
  totalCents: number;
  currency: string;
  paymentMethod: PaymentMethod;
  status: OrderStatus;
  attempt: number;
  /** The current attempt's authorisation, while it stands (kept after a void, for the record). */
  paymentId: string | null;
  paymentVoided: boolean;
  /** Units taken off the shelf and not returned. */
  stockCommitted: boolean;
  /** The cart's reservations still hold this order's units (from checkout until the stock is committed or released). */
  holdsStock: boolean;
  failure: OrderFailure | null;
  version: number;
  placedAt: string;
  updatedAt: string;
};

export const terminal = (s: OrderStatus) => s === 'confirmed' || s === 'failed';

/** Pure: the process after one event. */
export function evolveOrder(state: OrderState | null, e: OrderEventEnvelope): OrderState {
  if (e.type === 'OrderPlaced') {
    const d = e.data;
    return {
      orderId: d.orderId,
      cartId: d.cartId,
      userId: d.userId,
      items: d.items,
      itemCount: d.itemCount,
      totalCents: d.totalCents,
      currency: d.currency,
      paymentMethod: d.paymentMethod,
      status: 'placed',
      attempt: 1,
      paymentId: null,
      paymentVoided: false,
      stockCommitted: false,
      holdsStock: true,
      failure: null,
      version: e.version,
      placedAt: e.occurredAt,
      updatedAt: e.occurredAt,
    };
  }
  if (!state) throw new Error(`${e.type} before OrderPlaced`);
  const next = { ...state, version: e.version, updatedAt: e.occurredAt };
  switch (e.type) {
    case 'PaymentAuthorized':
      return { ...next, status: 'paid', paymentId: e.data.paymentId, paymentVoided: false };
    case 'StockCommitted':
      return { ...next, status: 'stock_committed', stockCommitted: true, holdsStock: false };
    case 'OrderConfirmed':
      return { ...next, status: 'confirmed' };
    case 'OrderStepFailed':
      return { ...next, status: 'compensating', failure: { step: e.data.step, code: e.data.code, reason: e.data.reason, at: e.occurredAt } };
    case 'StockReturned':
      return { ...next, stockCommitted: false };
    case 'PaymentVoided':
      return { ...next, paymentVoided: true };
    case 'OrderFailed':
      return { ...next, status: 'failed', holdsStock: false };
    case 'OrderRetried':
      return { ...next, status: 'placed', attempt: e.data.attempt, paymentId: null, paymentVoided: false, holdsStock: true, failure: null };
  }
}

export function foldOrder(events: OrderEventEnvelope[], from: OrderState | null = null): OrderState | null {
  return events.reduce<OrderState | null>(evolveOrder, from);
}

/** What the runner does next with a process in this state (null: nothing, it is confirmed or failed). */
export type OrderAction = 'authorize_payment' | 'commit_stock' | 'confirm' | 'return_stock' | 'void_payment' | 'close_failed';

export function nextAction(s: OrderState): OrderAction | null {
  switch (s.status) {
    case 'placed':
      return 'authorize_payment';
    case 'paid':
      return 'commit_stock';
    case 'stock_committed':
      return 'confirm';
    case 'compensating':
      // Undo the completed steps, newest first: the stock, then the payment, then release and reopen.
      if (s.stockCommitted) return 'return_stock';
      if (s.paymentId && !s.paymentVoided) return 'void_payment';
      return 'close_failed';
    default:
      return null;
  }
}

/** The forward step an action belongs to (a failure is recorded against it). */
export const stepOf: Record<'authorize_payment' | 'commit_stock' | 'confirm', OrderStep> = {
  authorize_payment: 'payment',
  commit_stock: 'stock',
  confirm: 'confirm',
};
