import { describe, expect, it } from 'vitest';
import { CartError } from '../cart/errors';
import { decideOrder, type OrderCommand } from './decide';
import type { OrderEvent, OrderPlaced } from './events';
import { foldOrder, nextAction, type OrderState } from './evolve';

// The order process's rules, pure: each command against each state, and what the runner does next.

const placed: OrderPlaced['data'] = {
  orderId: 'ord_0123456789abcdef',
  cartId: 'cart-1',
  userId: 'user-1',
  items: [
    { productId: 'mug', name: 'Mug', unitPriceCents: 1200, quantity: 2, lineTotalCents: 2400 },
    { productId: 'beans', name: 'Beans', unitPriceCents: 2490, quantity: 1, lineTotalCents: 2490 },
  ],
  itemCount: 3,
  totalCents: 4890,
  currency: 'EUR',
  paymentMethod: 'card_ok',
};

/** Run commands from nothing, folding as the store does; returns the state and every event. */
function run(...commands: OrderCommand[]): { state: OrderState; events: OrderEvent[] } {
  let state: OrderState | null = null;
  const all: OrderEvent[] = [];
  for (const c of commands) {
    const events = decideOrder(c, state);
    state = foldOrder(
      events.map((e, i) => ({ ...e, version: (state?.version ?? 0) + i + 1, occurredAt: '2026-11-29T10:00:00.000Z' }) as never),
      state,
    );
    all.push(...events);
  }
  return { state: state!, events: all };
}

const place: OrderCommand = { type: 'PlaceOrder', data: placed };
const authorized = (amountCents = 4890): OrderCommand => ({
  type: 'RecordPayment',
  data: { attempt: 1, outcome: { status: 'authorized', paymentId: 'pay_1', amountCents } },
});
const declined: OrderCommand = {
  type: 'RecordPayment',
  data: { attempt: 1, outcome: { status: 'declined', code: 'insufficient_funds', reason: 'The card was declined: insufficient funds.' } },
};
const commit = (stock: Record<string, number | undefined> = { mug: 5, beans: 1 }): OrderCommand => ({ type: 'CommitStock', data: { stock } });
const confirm: OrderCommand = { type: 'Confirm', data: {} };
const close: OrderCommand = { type: 'Close', data: {} };

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CartError);
    return (e as CartError).code;
  }
  throw new Error('expected a refusal');
}

describe('order process decider', () => {
  it('the happy path: placed -> paid -> stock committed -> confirmed, and the runner knows each next step', () => {
    const steps: [OrderCommand, string, string | null][] = [
      [place, 'placed', 'authorize_payment'],
      [authorized(), 'paid', 'commit_stock'],
      [commit(), 'stock_committed', 'confirm'],
      [confirm, 'confirmed', null],
    ];
    const done: OrderCommand[] = [];
    for (const [command, status, next] of steps) {
      done.push(command);
      const { state } = run(...done);
      expect(state.status).toBe(status);
      expect(nextAction(state)).toBe(next);
    }
    const { state, events } = run(...done);
    expect(events.map((e) => e.type)).toEqual(['OrderPlaced', 'PaymentAuthorized', 'StockCommitted', 'OrderConfirmed']);
    expect(state).toMatchObject({ paymentId: 'pay_1', stockCommitted: true, holdsStock: false, failure: null, version: 4 });
    // Stock lines in product order, as the runner locks them.
    expect(events[2]).toEqual({
      type: 'StockCommitted',
      data: { lines: [{ productId: 'beans', name: 'Beans', quantity: 1 }, { productId: 'mug', name: 'Mug', quantity: 2 }] },
    });
  });

  it('an order is placed once and never empty', () => {
    expect(refusal(() => run(place, place))).toBe('order_exists');
    expect(refusal(() => decideOrder({ type: 'PlaceOrder', data: { ...placed, items: [] } }, null))).toBe('order_empty');
    expect(refusal(() => decideOrder(confirm, null))).toBe('order_not_found');
  });

  it('a declined payment: nothing to undo but the hold; then OrderFailed with the reason', () => {
    const { state } = run(place, declined);
    expect(state.status).toBe('compensating');
    expect(state.failure).toMatchObject({ step: 'payment', code: 'insufficient_funds', reason: 'The card was declined: insufficient funds.' });
    expect(nextAction(state)).toBe('close_failed');
    const closed = run(place, declined, close);
    expect(closed.events.at(-1)).toEqual({
      type: 'OrderFailed',
      data: { attempt: 1, step: 'payment', code: 'insufficient_funds', reason: 'The card was declined: insufficient funds.' },
    });
    expect(closed.state).toMatchObject({ status: 'failed', holdsStock: false });
    expect(nextAction(closed.state)).toBeNull();
  });

  it('a payment for another amount is recorded, failed and then voided', () => {
    const { state, events } = run(place, authorized(100));
    expect(events.map((e) => e.type)).toEqual(['OrderPlaced', 'PaymentAuthorized', 'OrderStepFailed']);
    expect(state.failure?.code).toBe('amount_mismatch');
    expect(nextAction(state)).toBe('void_payment');
  });

  it('stock that is gone fails the stock step; the payment is voided before the order closes', () => {
    const short = run(place, authorized(), commit({ mug: 1, beans: 1 }));
    expect(short.state.failure).toMatchObject({ step: 'stock', code: 'insufficient_stock', reason: 'Only 1 of Mug left; the order needs 2.' });
    expect(nextAction(short.state)).toBe('void_payment');
    expect(refusal(() => run(place, authorized(), commit({ mug: 1, beans: 1 }), close))).toBe('order_step_out_of_order');
    const voided = run(place, authorized(), commit({ mug: 1, beans: 1 }), { type: 'RecordVoid', data: { paymentId: 'pay_1' } });
    expect(nextAction(voided.state)).toBe('close_failed');
    expect(run(place, authorized(), commit({ mug: 0, beans: 1 })).state.failure?.reason).toBe('Mug is out of stock.');
    expect(run(place, authorized(), commit({ beans: 1 })).state.failure?.code).toBe('product_unavailable');
  });

  it('a failed confirmation undoes newest first: stock returned, payment voided, then closed', () => {
    const failStep: OrderCommand = { type: 'FailStep', data: { step: 'confirm', code: 'step_failed', reason: 'broken' } };
    let cmds: OrderCommand[] = [place, authorized(), commit(), failStep];
    expect(nextAction(run(...cmds).state)).toBe('return_stock');
    expect(refusal(() => run(...cmds, { type: 'RecordVoid', data: { paymentId: 'pay_1' } }))).toBe('order_step_out_of_order');
    cmds = [...cmds, { type: 'ReturnStock', data: {} }];
    expect(run(...cmds).state).toMatchObject({ stockCommitted: false, status: 'compensating' });
    expect(nextAction(run(...cmds).state)).toBe('void_payment');
    expect(refusal(() => run(...cmds, { type: 'RecordVoid', data: { paymentId: 'pay_other' } }))).toBe('order_step_out_of_order');
    cmds = [...cmds, { type: 'RecordVoid', data: { paymentId: 'pay_1' } }, close];
    const { state, events } = run(...cmds);
    expect(events.map((e) => e.type)).toEqual([
      'OrderPlaced',
      'PaymentAuthorized',
      'StockCommitted',
      'OrderStepFailed',
      'StockReturned',
      'PaymentVoided',
      'OrderFailed',
    ]);
    expect(state).toMatchObject({ status: 'failed', paymentVoided: true, stockCommitted: false, failure: { step: 'confirm' } });
  });

  it('steps out of order are refused: no stock before payment, no confirmation before stock, no failing a confirmed order', () => {
    expect(refusal(() => run(place, commit()))).toBe('order_step_out_of_order');
    expect(refusal(() => run(place, confirm))).toBe('order_step_out_of_order');
    expect(refusal(() => run(place, authorized(), authorized()))).toBe('order_step_out_of_order');
    expect(refusal(() => run(place, authorized(), commit(), confirm, { type: 'FailStep', data: { step: 'confirm', code: 'x', reason: 'y' } }))).toBe(
      'order_step_out_of_order',
    );
    expect(refusal(() => run(place, { type: 'ReturnStock', data: {} }))).toBe('order_step_out_of_order');
    // A payment answer for an earlier attempt (a runner that lost its lease) is refused.
    expect(
      refusal(() => run(place, { type: 'RecordPayment', data: { attempt: 2, outcome: { status: 'authorized', paymentId: 'p', amountCents: 4890 } } })),
    ).toBe('order_step_out_of_order');
  });

  it('only a failed order can be retried; a retry is the next attempt, from the payment, holding the stock again', () => {
    expect(refusal(() => run(place, { type: 'Retry', data: { by: 'admin' } }))).toBe('order_not_failed');
    const failed = [place, declined, close];
    const { state, events } = run(...failed, { type: 'Retry', data: { by: 'admin-1' } });
    expect(events.at(-1)).toEqual({ type: 'OrderRetried', data: { attempt: 2, by: 'admin-1' } });
    expect(state).toMatchObject({ status: 'placed', attempt: 2, paymentId: null, holdsStock: true, failure: null });
    expect(nextAction(state)).toBe('authorize_payment');
    const again = run(...failed, { type: 'Retry', data: { by: 'a' } }, { type: 'RecordPayment', data: { attempt: 2, outcome: { status: 'authorized', paymentId: 'pay_2', amountCents: 4890 } } });
    expect(again.state).toMatchObject({ status: 'paid', paymentId: 'pay_2' });
  });
});
