import 'server-only';
import { and, desc, eq } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { carts, orderProcesses, orders } from '@/db/schema';
import type { Actor } from '../eventstore';
import { notFound } from '../http/errors';
import { currentPrices } from '../catalog/queries';
import type { CartState } from './evolve';
import { loadCart } from './handler';
import { repricingOf, type Repricing } from './reprice';
import type { OrderFailure, OrderStatus } from '../orders/evolve';
import { loadOrder } from '../orders/store';
import { stepView, type OrderStepView } from '../orders/steps';

/**
 * The read model plus, only for an open cart with a line whose catalog price changed since it was
 * added, `repricing` (absent otherwise, so carts without price changes read exactly as before).
 */
export type CartView = Omit<CartState, 'orderId'> & { orderId: string | null; repricing?: Repricing };

/** Adds `repricing` from the catalog's current prices (one query for all the carts' lines). */
export async function withRepricing<T extends Omit<CartView, 'repricing'>>(list: T[]): Promise<(T & { repricing?: Repricing })[]> {
  const open = list.filter((c) => c.status === 'open');
  const prices = await currentPrices([...new Set(open.flatMap((c) => c.items.map((l) => l.productId)))]);
  return list.map((c) => {
    const repricing = c.status === 'open' ? repricingOf(c.items, prices) : null;
    return repricing ? { ...c, repricing } : c;
  });
}

function toView(row: typeof carts.$inferSelect): Omit<CartView, 'repricing'> {
  return {
    cartId: row.cartId,
    userId: row.userId,
    status: row.status,
    items: row.items,
    itemCount: row.itemCount,
    totalCents: row.totalCents,
    currency: row.currency,
    version: row.version,
    orderId: row.orderId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const canRead = (actor: Actor, ownerId: string) => actor.userId === ownerId || actor.role === 'admin';
const cartNotFound = () => notFound('cart_not_found', 'Cart not found.');

/** The read model of one cart; 404 when it does not exist or the actor may not see it (no leak). */
export async function getCart(actor: Actor, cartId: string): Promise<CartView> {
  const [row] = await getDb().select().from(carts).where(eq(carts.cartId, cartId));
  if (!row || !canRead(actor, row.userId)) throw cartNotFound();
  return (await withRepricing([toView(row)]))[0];
}

export async function listMyCarts(
  actor: Actor,
  opts: { status?: CartView['status']; limit?: number } = {},
): Promise<CartView[]> {
  const rows = await getDb()
    .select()
    .from(carts)
    .where(and(eq(carts.userId, actor.userId), opts.status ? eq(carts.status, opts.status) : undefined))
    .orderBy(desc(carts.updatedAt))
    .limit(opts.limit ?? 100);
  return withRepricing(rows.map(toView));
}

/** The shopper's current cart: the most recently changed open one. */
export async function getOpenCart(actor: Actor): Promise<CartView | null> {
  const [row] = await getDb()
    .select()
    .from(carts)
    .where(and(eq(carts.userId, actor.userId), eq(carts.status, 'open')))
    .orderBy(desc(carts.updatedAt))
    .limit(1);
  return row ? (await withRepricing([toView(row)]))[0] : null;
}

/** The cart as it was at a version or a moment, folded from its events with the same evolve. */
export async function getCartStateAt(
  actor: Actor,
  cartId: string,
  point: { version: number } | { at: Date },
): Promise<{ cartId: string; version: number; state: CartState }> {
  const current = await getCart(actor, cartId);
  if ('version' in point && point.version > current.version) {
    throw notFound('version_not_found', `The cart has ${current.version} versions; there is no version ${point.version}.`);
  }
  const { state } = await loadCart(
    getDb(),
    cartId,
    'version' in point ? { toVersion: point.version } : { until: point.at },
  );
  if (!state) {
    throw notFound('no_state_at_point', 'The cart did not exist yet at that point.');
  }
  // The fold may start from a snapshot with no event after it: the state knows its own version.
  return { cartId, version: state.version, state };
}

export type OrderView = {
  orderId: string;
  cartId: string;
  userId: string;
  items: CartState['items'];
  itemCount: number;
  totalCents: number;
  currency: string;
  placedAt: string;
  /** Where the order process is (orders placed before it existed read as confirmed). */
  status: OrderStatus;
  attempt: number;
  failure: OrderFailure | null;
};

const toOrderView = (o: typeof orders.$inferSelect, p: typeof orderProcesses.$inferSelect | null): OrderView => ({
  ...o,
  placedAt: o.placedAt.toISOString(),
  status: p?.status ?? 'confirmed',
  attempt: p?.attempt ?? 1,
  failure: p?.failure ? { ...p.failure } : null,
});

/** One order with its process's steps (the order stream's events), for its owner or an admin. */
export async function getOrder(actor: Actor, orderId: string): Promise<OrderView & { steps: OrderStepView[] }> {
  const [row] = await getDb()
    .select()
    .from(orders)
    .leftJoin(orderProcesses, eq(orderProcesses.orderId, orders.orderId))
    .where(eq(orders.orderId, orderId));
  if (!row || !canRead(actor, row.orders.userId)) throw notFound('order_not_found', 'Order not found.');
  const { events } = await loadOrder(getDb(), orderId);
  return { ...toOrderView(row.orders, row.order_processes), steps: events.map(stepView) };
}

export async function listMyOrders(actor: Actor): Promise<OrderView[]> {
  const rows = await getDb()
    .select()
    .from(orders)
    .leftJoin(orderProcesses, eq(orderProcesses.orderId, orders.orderId))
    .where(eq(orders.userId, actor.userId))
    .orderBy(desc(orders.placedAt));
  return rows.map((r) => toOrderView(r.orders, r.order_processes));
}
