import 'server-only';
import { asc, between, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/db/client';
import { salesDaily } from '@/db/schema';
import type { Actor, StoredEvent, Subscriber } from '../eventstore';
import { CART_STREAM_TYPE, type CartCheckedOut, type CartReopened } from '../cart/events';
import { AppError, forbidden } from '../http/errors';

/**
 * Sales per product per UTC day: an asynchronous projection of CartCheckedOut events, less the orders
 * that failed (CartReopened takes them back from the day they were placed). It runs in the
 * subscriber's batch transaction, which also advances the checkpoint, so an event counts exactly once
 * without a per-event ledger: a failed batch rolls back its increments together with the checkpoint
 * and is delivered again. The totals are computed from the batch alone on every call (no state kept
 * between calls), so handling the same batch again after a rollback gives the same rows.
 *
 * Revenue is summed in the order's currency without conversion: the shop sells in one currency (EUR).
 */
export const SALES_DAILY_SUBSCRIBER = 'sales-daily';

export type SalesDay = { day: string; productId: string; units: number; revenueCents: number; orders: number };

/** `YYYY-MM-DD` of the instant in UTC. */
export const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/** The batch folded into one increment per (day, product). */
export function salesIncrements(events: StoredEvent[]): SalesDay[] {
  const byKey = new Map<string, SalesDay>();
  for (const e of events) {
    if (e.streamType !== CART_STREAM_TYPE || (e.type !== 'CartCheckedOut' && e.type !== 'CartReopened')) continue;
    // A failed order (its cart reopened) is taken back from the day it was placed.
    const reopened = e.type === 'CartReopened';
    const data = e.data as CartCheckedOut['data'] | CartReopened['data'];
    const day = reopened ? utcDay(new Date((data as CartReopened['data']).placedAt)) : utcDay(e.occurredAt);
    const sign = reopened ? -1 : 1;
    for (const line of data.items) {
      const key = `${day}\u0000${line.productId}`;
      let acc = byKey.get(key);
      if (!acc) {
        acc = { day, productId: line.productId, units: 0, revenueCents: 0, orders: 0 };
        byKey.set(key, acc);
      }
      acc.units += sign * line.quantity;
      acc.revenueCents += sign * line.lineTotalCents;
      acc.orders += sign;
    }
  }
  return [...byKey.values()]
    .sort((a, b) => (a.day === b.day ? (a.productId < b.productId ? -1 : 1) : a.day < b.day ? -1 : 1));
}

export async function projectSalesDaily(tx: Db, events: StoredEvent[]): Promise<void> {
  const rows = salesIncrements(events);
  if (rows.length === 0) return;
  await tx
    .insert(salesDaily)
    .values(rows)
    .onConflictDoUpdate({
      target: [salesDaily.day, salesDaily.productId],
      set: {
        units: sql`${salesDaily.units} + excluded.units`,
        revenueCents: sql`${salesDaily.revenueCents} + excluded.revenue_cents`,
        orders: sql`${salesDaily.orders} + excluded.orders`,
      },
    });
}

export const salesDailySubscriber: Subscriber = { name: SALES_DAILY_SUBSCRIBER, handle: projectSalesDaily, batchSize: 500 };

// ------------------------------------------------------------------ queries

/** Sales figures are for staff: a shopper gets 403 (the route answers 401 before this when signed out). */
export function assertCanReadSales(actor: Actor) {
  if (actor.role !== 'admin') throw forbidden('Only admins may read sales figures.');
}

export const MAX_SALES_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

/**
 * Rows per (day, product) from `from` to `to` (inclusive, UTC days), by day then product. Days
 * without sales have no rows. Defaults: the last 30 days up to today.
 */
export async function salesByDay(
  actor: Actor,
  range: { from?: string; to?: string } = {},
  opts: { db?: Db; now?: Date } = {},
): Promise<{ from: string; to: string; days: SalesDay[] }> {
  assertCanReadSales(actor);
  const to = range.to ?? utcDay(opts.now ?? new Date());
  const from = range.from ?? utcDay(new Date(Date.parse(to) - 29 * DAY_MS));
  if (from > to) throw new AppError(400, 'invalid_range', '`from` must not be after `to`.');
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_SALES_RANGE_DAYS) {
    throw new AppError(400, 'invalid_range', `At most ${MAX_SALES_RANGE_DAYS} days at a time.`);
  }
  const rows = await (opts.db ?? getDb())
    .select()
    .from(salesDaily)
    .where(between(salesDaily.day, from, to))
    .orderBy(asc(salesDaily.day), asc(salesDaily.productId));
  return {
    from,
    to,
    days: rows.map((r) => ({ day: r.day, productId: r.productId, units: r.units, revenueCents: Number(r.revenueCents), orders: r.orders })),
  };
}
