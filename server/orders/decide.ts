import { CartError } from '../cart/errors';
import type { OrderEvent, OrderPlaced, OrderStep, StockLine } from './events';
import type { OrderState } from './evolve';

/** What the payment provider answered for an authorisation. */
export type PaymentOutcome =
  | { status: 'authorized'; paymentId: string; amountCents: number }
  | { status: 'declined'; code: string; reason: string };

export type OrderCommand =
  | { type: 'PlaceOrder'; data: OrderPlaced['data'] }
  | { type: 'RecordPayment'; data: { attempt: number; outcome: PaymentOutcome } }
  /** stock: each line's product stock as locked now (absent: the catalog no longer has it). */
  | { type: 'CommitStock'; data: { stock: Record<string, number | undefined> } }
  | { type: 'Confirm'; data: Record<string, never> }
  | { type: 'FailStep'; data: { step: OrderStep; code: string; reason: string } }
  | { type: 'ReturnStock'; data: Record<string, never> }
  | { type: 'RecordVoid'; data: { paymentId: string } }
  | { type: 'Close'; data: Record<string, never> }
  | { type: 'Retry'; data: { by: string } };

function outOfOrder(state: OrderState, command: OrderCommand['type']): CartError {
  return new CartError('conflict', 'order_step_out_of_order', `Order ${state.orderId} is ${state.status}; ${command} does not apply.`, {
    status: state.status,
  });
}

function requireOrder(state: OrderState | null): OrderState {
  if (!state) throw new CartError('not_found', 'order_not_found', 'Order not found.');
  return state;
}

const linesOf = (s: OrderState): StockLine[] =>
  [...s.items].sort((a, b) => (a.productId < b.productId ? -1 : 1)).map((l) => ({ productId: l.productId, name: l.name, quantity: l.quantity }));

/** Pure: the events an order command produces, or a CartError saying why not. */
export function decideOrder(command: OrderCommand, state: OrderState | null): OrderEvent[] {
  if (command.type === 'PlaceOrder') {
    if (state) throw new CartError('conflict', 'order_exists', `Order ${state.orderId} exists already.`);
    if (command.data.items.length === 0) throw new CartError('invalid', 'order_empty', 'An order needs at least one line.');
    return [{ type: 'OrderPlaced', data: command.data }];
  }
  const s = requireOrder(state);
  switch (command.type) {
    case 'RecordPayment': {
      if (s.status !== 'placed' || command.data.attempt !== s.attempt) throw outOfOrder(s, command.type);
      const o = command.data.outcome;
      if (o.status === 'declined') {
        return [{ type: 'OrderStepFailed', data: { attempt: s.attempt, step: 'payment', code: o.code, reason: o.reason } }];
      }
      if (o.amountCents !== s.totalCents) {
        // Never go on with a payment for another amount than the order's total: fail (and void it).
        return [
          { type: 'PaymentAuthorized', data: { attempt: s.attempt, paymentId: o.paymentId, amountCents: o.amountCents } },
          {
            type: 'OrderStepFailed',
            data: { attempt: s.attempt, step: 'payment', code: 'amount_mismatch', reason: `The payment was for ${o.amountCents}, the order is ${s.totalCents}.` },
          },
        ];
      }
      return [{ type: 'PaymentAuthorized', data: { attempt: s.attempt, paymentId: o.paymentId, amountCents: o.amountCents } }];
    }
    case 'CommitStock': {
      if (s.status !== 'paid') throw outOfOrder(s, command.type);
      for (const l of linesOf(s)) {
        const stock = command.data.stock[l.productId];
        if (stock === undefined) {
          return [{ type: 'OrderStepFailed', data: { attempt: s.attempt, step: 'stock', code: 'product_unavailable', reason: `${l.name} is no longer sold.` } }];
        }
        if (stock < l.quantity) {
          const reason = stock === 0 ? `${l.name} is out of stock.` : `Only ${stock} of ${l.name} left; the order needs ${l.quantity}.`;
          return [{ type: 'OrderStepFailed', data: { attempt: s.attempt, step: 'stock', code: 'insufficient_stock', reason } }];
        }
      }
      return [{ type: 'StockCommitted', data: { lines: linesOf(s) } }];
    }
    case 'Confirm':
      if (s.status !== 'stock_committed') throw outOfOrder(s, command.type);
      return [{ type: 'OrderConfirmed', data: { attempt: s.attempt } }];
    case 'FailStep':
      // Only a step still going forward can fail; a confirmed order stays confirmed.
      if (s.status !== 'placed' && s.status !== 'paid' && s.status !== 'stock_committed') throw outOfOrder(s, command.type);
      return [{ type: 'OrderStepFailed', data: { attempt: s.attempt, ...command.data } }];
    case 'ReturnStock':
      if (s.status !== 'compensating' || !s.stockCommitted) throw outOfOrder(s, command.type);
      return [{ type: 'StockReturned', data: { lines: linesOf(s) } }];
    case 'RecordVoid':
      if (s.status !== 'compensating' || s.stockCommitted || s.paymentId !== command.data.paymentId || s.paymentVoided) throw outOfOrder(s, command.type);
      return [{ type: 'PaymentVoided', data: { paymentId: command.data.paymentId } }];
    case 'Close': {
      // The last compensation: only once nothing taken is still held.
      if (s.status !== 'compensating' || s.stockCommitted || (s.paymentId !== null && !s.paymentVoided) || !s.failure) throw outOfOrder(s, command.type);
      const { step, code, reason } = s.failure;
      return [{ type: 'OrderFailed', data: { attempt: s.attempt, step, code, reason } }];
    }
    case 'Retry':
      if (s.status !== 'failed') {
        throw new CartError('conflict', 'order_not_failed', `Order ${s.orderId} is ${s.status}; only a failed order can be retried.`, { status: s.status });
      }
      return [{ type: 'OrderRetried', data: { attempt: s.attempt + 1, by: command.data.by } }];
  }
}
