import 'server-only';
import { desc, eq, sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { orderProcesses, orders } from '@/db/schema';
import { handleCartCommand, SYSTEM_ACTOR } from '../cart/handler';
import { productsForCheckout } from '../cart/reservations';
import type { Actor } from '../eventstore';
import { forbidden, notFound } from '../http/errors';
import type { OrderStatus } from './evolve';
import { driveAfterCheckout, type OrderSummary } from './place';
import { executeOrderCommand, loadOrder } from './store';

const ORDER_STATUSES: OrderStatus[] = ['placed', 'paid', 'stock_committed', 'confirmed', 'compensating', 'failed'];
export const isOrderStatus = (s: string): s is OrderStatus => (ORDER_STATUSES as string[]).includes(s);

export type AdminOrderRow = {
  orderId: string;
  cartId: string;
  userId: string;
  itemCount: number;
  totalCents: number;
  currency: string;
  placedAt: string;
  status: OrderStatus;
  attempt: number;
  failure: { step: string; code: string; reason: string } | null;
  /** The runner's schedule: when the next step is due, failed tries of it, the last error. */
  nextRunAt: string | null;
  tries: number;
  lastError: string | null;
  updatedAt: string;
};

/** Every order with its process, newest first; `status` filters. Counts per status for the tabs. */
export async function listOrderProcesses(opts: { status?: OrderStatus; limit?: number } = {}) {
  const db = getDb();
  const q = db
    .select()
    .from(orders)
    .leftJoin(orderProcesses, eq(orderProcesses.orderId, orders.orderId))
    .orderBy(desc(orders.placedAt))
    .limit(Math.min(opts.limit ?? 100, 500));
  const rows = opts.status
    ? await q.where(opts.status === 'confirmed' ? sql`coalesce(${orderProcesses.status}, 'confirmed') = 'confirmed'` : eq(orderProcesses.status, opts.status))
    : await q;
  const counted = await db.execute(sql`select coalesce(p.status, 'confirmed') as status, count(*)::int as n
    from orders o left join order_processes p on p.order_id = o.order_id group by 1`);
  const counts = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as Record<OrderStatus, number>;
  for (const r of (Array.isArray(counted) ? counted : (counted as { rows: unknown[] }).rows) as { status: OrderStatus; n: number }[]) {
    counts[r.status] = Number(r.n);
  }
  const list: AdminOrderRow[] = rows.map(({ orders: o, order_processes: p }) => ({
    orderId: o.orderId,
    cartId: o.cartId,
    userId: o.userId,
    itemCount: o.itemCount,
    totalCents: o.totalCents,
    currency: o.currency,
    placedAt: o.placedAt.toISOString(),
    status: p?.status ?? 'confirmed',
    attempt: p?.attempt ?? 1,
    failure: p?.failure ?? null,
    nextRunAt: p?.nextRunAt?.toISOString() ?? null,
    tries: p?.tries ?? 0,
    lastError: p?.lastError ?? null,
    updatedAt: (p?.updatedAt ?? o.placedAt).toISOString(),
  }));
  return { orders: list, counts };
}

/** The runner's view of one process (for the admin detail page). */
export async function processSchedule(orderId: string) {
  const [p] = await getDb().select().from(orderProcesses).where(eq(orderProcesses.orderId, orderId));
  if (!p) return null;
  return {
    nextRunAt: p.nextRunAt?.toISOString() ?? null,
    tries: p.tries,
    lastError: p.lastError,
    lockedBy: p.lockedBy,
    lockedUntil: p.lockedUntil?.toISOString() ?? null,
  };
}

/**
 * An admin retries a failed order: in one transaction the cart, still exactly as the failed order left
 * it, is checked out again under the same order id (its stock held again, checked against other carts'
 * holds), and the order stream gets OrderRetried (the next attempt). Then the process runs again from
 * the payment. A cart the shopper changed since is refused (409 cart_changed): they check out again.
 */
export async function retryOrder(admin: Actor, orderId: string): Promise<OrderSummary> {
  if (admin.role !== 'admin') throw forbidden('Only admins retry orders.');
  const db = getDb();
  await db.transaction(async (tx) => {
    const { state } = await loadOrder(tx, orderId);
    if (!state) throw notFound('order_not_found', 'Order not found.');
    const now = new Date();
    const correlationId = `order-${orderId}`;
    if (state.status === 'failed') {
      await handleCartCommand(
        state.cartId,
        'resume-order',
        { orderId },
        { actor: { ...SYSTEM_ACTOR }, correlationId, now: () => now },
        async (t, cart) => ({
          type: 'ResumeOrder',
          data: { orderId, items: state.items, products: await productsForCheckout(t, (cart?.items ?? []).map((l) => l.productId), state.cartId, now) },
        }),
        tx,
      );
    }
    // Anything but a failed order is refused here (409 order_not_failed), and the cart's change rolls back.
    await executeOrderCommand(tx, state, { type: 'Retry', data: { by: admin.userId } }, { actor: admin, correlationId, now });
  });
  return driveAfterCheckout(orderId);
}
