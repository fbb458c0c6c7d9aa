import 'server-only';
import { and, asc, eq, gt, inArray, lte, ne, sql, type SQL } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { send, settled } from '@/db/pipeline';
import { products, reservations } from '@/db/schema';
import { getProduct, lockProducts, toSnapshot } from '../catalog/queries';
import type { ProductSnapshot } from './decide';
import type { CartEventEnvelope } from './events';
import { evolve, type CartState } from './evolve';

// The `reservations` read model: which units each cart holds, until when. It is written from the
// cart's own events in the command's transaction (like `carts`), and read to work out what a product
// still has available. Why it lives in the cart's stream: docs/reservations.md.

/**
 * Inline projection: apply the reservation side of the new events. `before` is the cart before them;
 * the line quantity after each event comes from folding them one by one.
 */
export async function projectReservations(tx: Db, before: CartState | null, newEvents: CartEventEnvelope[]): Promise<void> {
  // Every statement is sent before any answer is awaited (they need none of each other's), so all of
  // them are on their way when the command sends its COMMIT (db/client.ts, commitWithoutWaiting).
  const sent: Promise<unknown>[] = [];
  const later = (q: PromiseLike<unknown>) => sent.push(send(q));
  let state = before;
  for (const e of newEvents) {
    state = evolve(state, e);
    const cartId = state.cartId;
    switch (e.type) {
      case 'ItemAdded':
      case 'ItemQuantityChanged': {
        const quantity = state.items.find((l) => l.productId === e.data.productId)?.quantity ?? 0;
        if (e.data.reservedUntil) {
          const expiresAt = new Date(e.data.reservedUntil);
          later(tx
            .insert(reservations)
            .values({ cartId, productId: e.data.productId, quantity, expiresAt })
            .onConflictDoUpdate({ target: [reservations.cartId, reservations.productId], set: { quantity, expiresAt } }));
        } else if (e.type === 'ItemQuantityChanged') {
          // A decrease keeps the reservation's expiry and holds only what the line still has.
          later(tx.update(reservations).set({ quantity }).where(and(eq(reservations.cartId, cartId), eq(reservations.productId, e.data.productId))));
        }
        break;
      }
      case 'ItemRemoved':
        later(tx.delete(reservations).where(and(eq(reservations.cartId, cartId), eq(reservations.productId, e.data.productId))));
        break;
      case 'ReservationsExpired':
        later(tx.delete(reservations).where(and(eq(reservations.cartId, cartId), inArray(reservations.productId, e.data.productIds))));
        break;
      case 'CartCheckedOut': {
        // The order holds every line until its stock is committed (or the order fails and reopens the
        // cart): lapsed and merged lines too, since checkout checked them against the other holds.
        later(tx.delete(reservations).where(eq(reservations.cartId, cartId)));
        const held = e.data.items.map((l) => ({ cartId, productId: l.productId, quantity: l.quantity, expiresAt: ORDER_HOLD_UNTIL }));
        if (held.length > 0) later(tx.insert(reservations).values(held));
        break;
      }
      case 'CartReopened':
      case 'CartAbandoned':
      case 'CartExpired':
      // A guest cart handed over on sign-in holds nothing any more. The lines merged into the shopper's
      // cart are not held (GuestCartMerged carries no reservedUntil): checkout checks them against what
      // other carts hold, and the shopper's next add of the product holds the whole line again.
      case 'CartMergedInto':
        later(tx.delete(reservations).where(eq(reservations.cartId, cartId)));
        break;
    }
  }
  await settled(sent);
}

/** A checked-out cart's holds last until its order commits or releases them: no clock ends them. */
export const ORDER_HOLD_UNTIL = new Date('9999-12-31T00:00:00.000Z');

/** The order process took the units off the shelf (StockCommitted): the cart's holds end. */
export async function releaseOrderHolds(tx: Db, cartId: string): Promise<void> {
  await tx.delete(reservations).where(eq(reservations.cartId, cartId));
}

/** Per product, the units that reservations of carts other than `cartId` matching `which` hold. */
async function heldByOtherCarts(tx: Db, productIds: string[], cartId: string, which: SQL | undefined): Promise<Record<string, number>> {
  if (productIds.length === 0) return {};
  const rows = await tx
    .select({ productId: reservations.productId, units: sql<number>`sum(${reservations.quantity})::int` })
    .from(reservations)
    .where(and(inArray(reservations.productId, productIds), ne(reservations.cartId, cartId), which))
    .groupBy(reservations.productId);
  return Object.fromEntries(rows.map((r) => [r.productId, Number(r.units)]));
}

/** Per product, the units live reservations of carts other than `cartId` hold at `now`. */
export const reservedByOthers = (tx: Db, productIds: string[], cartId: string, now: Date) =>
  heldByOtherCarts(tx, productIds, cartId, gt(reservations.expiresAt, now));

/** Per product, the units other carts' placed orders hold (until their stock step or failure). */
const heldForOrders = (tx: Db, productIds: string[], cartId: string) =>
  heldByOtherCarts(tx, productIds, cartId, eq(reservations.expiresAt, ORDER_HOLD_UNTIL));

/**
 * For a command that may raise a reservation: the product and what other carts hold of it.
 *
 * `lock: true` locks the product row first (every reservation increase and every checkout of this
 * product queues on it), then reads what other carts hold: checking "stock - held by others" and writing
 * the reservation then happen under one lock, so nothing is oversold. The lock is held from the first
 * round trip of the command to its commit.
 *
 * `lock: false` reads both without a lock; the command's writes must then start with
 * `requireAvailable` (below), which takes the lock and checks again in the round trip that commits, so
 * the lock is held for that round trip only and commands on one product queue for much less time.
 */
export async function productForReservation(
  tx: Db,
  productId: string,
  cartId: string,
  now: Date,
  opts: { lock: boolean } = { lock: true },
): Promise<ProductSnapshot | null> {
  // Both sent at once (one round trip): the read runs after the lock is taken, with its own snapshot.
  const read = opts.lock ? lockProducts(tx, [productId]) : getProduct(productId, tx).then((p) => (p ? { [p.id]: toSnapshot(p) } : {}));
  const [lockedR, heldR] = await Promise.allSettled([read, reservedByOthers(tx, [productId], cartId, now)]);
  if (lockedR.status === 'rejected') throw lockedR.reason;
  if (heldR.status === 'rejected') throw heldR.reason;
  const product = lockedR.value[productId];
  if (!product) return null;
  return { ...product, reservedByOthers: heldR.value[productId] ?? 0 };
}

/** SQLSTATE raised by `requireAvailable` when the product changed or no longer covers the line. */
export const STOCK_CHANGED = 'EC409';

/**
 * The check of a reservation decided on an unlocked read (migration 0009): locks the product row and
 * fails with STOCK_CHANGED unless it still has the price and currency the event carries and stock minus
 * the live reservations of other carts covers `quantity` (the whole line). Sent first among the writes,
 * so a failure rolls the whole command back.
 */
export async function requireAvailable(tx: Db, p: { product: ProductSnapshot; cartId: string; now: Date; quantity: number }): Promise<void> {
  await tx.execute(
    sql`select "eventcart_require_available"(${p.product.productId}, ${p.cartId}, ${p.now.toISOString()}::timestamptz, ${p.quantity}::int, ${p.product.unitPriceCents}::int, ${p.product.currency})`,
  );
}

/** Checkout: lock the lines' products in id order and say what other carts hold of each. */
export async function productsForCheckout(tx: Db, productIds: string[], cartId: string, now: Date): Promise<Record<string, ProductSnapshot>> {
  const locked = await lockProducts(tx, productIds);
  const others = await reservedByOthers(tx, Object.keys(locked), cartId, now);
  const mine = await tx
    .select({ productId: reservations.productId, quantity: reservations.quantity })
    .from(reservations)
    .where(and(eq(reservations.cartId, cartId), gt(reservations.expiresAt, now)));
  const own = new Map(mine.map((r) => [r.productId, r.quantity]));
  const forOrders = await heldForOrders(tx, Object.keys(locked), cartId);
  return Object.fromEntries(
    Object.entries(locked).map(([id, p]) => [
      id,
      { ...p, reservedByOthers: others[id] ?? 0, heldByThisCart: own.get(id) ?? 0, heldForOrders: forOrders[id] ?? 0 },
    ]),
  );
}


/** A decrease needs no lock (it only frees units), just the product as it is. */
export async function productAsIs(tx: Db, productId: string): Promise<ProductSnapshot | null> {
  const p = await getProduct(productId, tx);
  return p && toSnapshot(p);
}

/** The cart's lines whose reservation has lapsed at `now` (read under the cart's stream lock). */
export async function lapsedLines(tx: Db, cartId: string, now: Date): Promise<string[]> {
  const rows = await tx
    .select({ productId: reservations.productId })
    .from(reservations)
    .where(and(eq(reservations.cartId, cartId), lte(reservations.expiresAt, now)))
    .orderBy(asc(reservations.productId));
  return rows.map((r) => r.productId);
}

/** Carts holding at least one lapsed reservation at `now`, oldest lapse first. */
export async function cartsWithLapsedReservations(db: Db, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ cartId: reservations.cartId, first: sql<Date>`min(${reservations.expiresAt})` })
    .from(reservations)
    .where(lte(reservations.expiresAt, now))
    .groupBy(reservations.cartId)
    .orderBy(sql`min(${reservations.expiresAt})`)
    .limit(limit);
  return rows.map((r) => r.cartId);
}

/** Per product, the units all live reservations hold at `now` (the catalog subtracts these from stock). */
export async function liveReservedUnits(db: Db, now: Date): Promise<Map<string, number>> {
  const rows = await db
    .select({ productId: reservations.productId, units: sql<number>`sum(${reservations.quantity})::int` })
    .from(reservations)
    .innerJoin(products, eq(products.id, reservations.productId))
    .where(gt(reservations.expiresAt, now))
    .groupBy(reservations.productId);
  return new Map(rows.map((r) => [r.productId, Number(r.units)]));
}
