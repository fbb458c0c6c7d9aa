import { formatMoney } from '@/components/ui/format';
import type { EventIconName } from '../cart/registry';
import type { OrderEventEnvelope } from './events';

/** One event of an order's process as its timeline shows it (shopper's order page, admin, API). */
export type OrderStepView = {
  version: number;
  type: OrderEventEnvelope['type'];
  at: string;
  title: string;
  detail: string | null;
  tone: 'done' | 'failed' | 'undo' | 'info';
};

const ATTEMPT = (n: number) => (n > 1 ? ` (attempt ${n})` : '');

/** Pure: the words for one order event. */
export function stepView(e: OrderEventEnvelope): OrderStepView {
  const base = { version: e.version, type: e.type, at: e.occurredAt };
  switch (e.type) {
    case 'OrderPlaced':
      return { ...base, title: 'Order placed', detail: `${e.data.itemCount} ${e.data.itemCount === 1 ? 'item' : 'items'}, ${formatMoney(e.data.totalCents, e.data.currency)}`, tone: 'done' };
    case 'PaymentAuthorized':
      return { ...base, title: `Payment authorised${ATTEMPT(e.data.attempt)}`, detail: e.data.paymentId, tone: 'done' };
    case 'StockCommitted':
      return { ...base, title: 'Stock committed', detail: e.data.lines.map((l) => `${l.quantity} × ${l.name}`).join(', '), tone: 'done' };
    case 'OrderConfirmed':
      return { ...base, title: `Order confirmed${ATTEMPT(e.data.attempt)}`, detail: null, tone: 'done' };
    case 'OrderStepFailed':
      return { ...base, title: `${STEP[e.data.step]} failed${ATTEMPT(e.data.attempt)}`, detail: e.data.reason, tone: 'failed' };
    case 'StockReturned':
      return { ...base, title: 'Stock returned', detail: e.data.lines.map((l) => `${l.quantity} × ${l.name}`).join(', '), tone: 'undo' };
    case 'PaymentVoided':
      return { ...base, title: 'Payment voided', detail: e.data.paymentId, tone: 'undo' };
    case 'OrderFailed':
      return { ...base, title: 'Order failed; the cart is open again', detail: e.data.reason, tone: 'failed' };
    case 'OrderRetried':
      return { ...base, title: `Retried by an admin (attempt ${e.data.attempt})`, detail: null, tone: 'info' };
  }
}

const STEP = { payment: 'Payment', stock: 'Stock', confirm: 'Confirmation' } as const;

const ICONS: Record<OrderEventEnvelope['type'], EventIconName> = {
  OrderPlaced: 'open',
  PaymentAuthorized: 'payment',
  StockCommitted: 'stock',
  OrderConfirmed: 'checkout',
  OrderStepFailed: 'failed',
  StockReturned: 'undo',
  PaymentVoided: 'undo',
  OrderFailed: 'failed',
  OrderRetried: 'reopen',
};

/** The timeline icon of an order event type (null: not an order event). */
export const orderEventIcon = (type: string): EventIconName | null => (Object.hasOwn(ICONS, type) ? ICONS[type as keyof typeof ICONS] : null);
