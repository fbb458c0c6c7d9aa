import 'server-only';
import type { Db } from '@/db/client';
import type { CommandContext } from '../cart/handler';
import type { CartEventEnvelope } from '../cart/events';
import type { CartState } from '../cart/evolve';
import type { PaymentMethod } from './events';
import { terminal, type OrderFailure, type OrderStatus } from './evolve';
import { executeOrderCommand, loadOrder, processRow } from './store';

/** How far an order got, as checkout answers and the order page shows it. */
export type OrderSummary = { orderId: string; status: OrderStatus; attempt: number; failure: OrderFailure | null };

/** Checkout's AfterAppend: each CartCheckedOut places its order (OrderPlaced) in the same transaction. */
export function placeOrder(ctx: CommandContext, paymentMethod: PaymentMethod) {
  return async (tx: Db, cart: CartState, events: CartEventEnvelope[], meta: { correlationId: string; commandId: string }) => {
    for (const e of events) {
      if (e.type !== 'CartCheckedOut') continue;
      const d = e.data;
      await executeOrderCommand(
        tx,
        null,
        {
          type: 'PlaceOrder',
          data: {
            orderId: d.orderId,
            cartId: cart.cartId,
            userId: cart.userId,
            items: d.items,
            itemCount: d.itemCount,
            totalCents: d.totalCents,
            currency: d.currency,
            paymentMethod,
          },
        },
        { actor: ctx.actor, correlationId: meta.correlationId, causationId: meta.commandId, now: new Date(e.occurredAt) },
      );
    }
  };
}

/**
 * After checkout commits: run the order process here for up to ORDER_CHECKOUT_WAIT, so the shopper
 * usually learns the outcome in the same answer. When another runner holds the order (the same
 * checkout sent twice at once, an admin's retry), wait for it within the same time, so both answers
 * agree. Whatever is left (a slow provider, a crash) the background runner finishes.
 */
export async function driveAfterCheckout(orderId: string): Promise<OrderSummary> {
  // Imported here, not at the top: the runner imports the cart handler, which imports this module.
  const { defaultRunnerDeps, readOrderEnv, runOrder } = await import('./runner');
  const deps = defaultRunnerDeps();
  const wait = deps.checkoutWaitMs ?? readOrderEnv().ORDER_CHECKOUT_WAIT;
  const deadline = Date.now() + wait;
  let state = null;
  try {
    if (wait === 0) return summarize(orderId, (await loadOrder(deps.db, orderId)).state);
    for (;;) {
      state = await runOrder(deps, orderId, { deadline });
      if (!state || terminal(state.status) || Date.now() > deadline) break;
      const row = await processRow(deps.db, orderId);
      // runOrder returns without a lease of its own: one held now is another runner's.
      const heldElsewhere = !!row?.lockedBy && !!row.lockedUntil && row.lockedUntil > deps.now();
      if (!heldElsewhere) break; // waiting for a retry's backoff: the background runner goes on
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch {
    // The order is placed and due: the background runner takes it from here.
    state = (await loadOrder(deps.db, orderId)).state;
  }
  return summarize(orderId, state);
}

export function summarize(orderId: string, state: { status: OrderStatus; attempt: number; failure: OrderFailure | null } | null): OrderSummary {
  return { orderId, status: state?.status ?? 'placed', attempt: state?.attempt ?? 1, failure: state?.failure ?? null };
}
