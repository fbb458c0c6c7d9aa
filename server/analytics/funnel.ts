import 'server-only';
import { sql } from 'drizzle-orm';
import { getDb, type Db } from '@/db/client';
import { analyticsCarts, analyticsDaily } from '@/db/schema';
import type { Actor, StoredEvent, Subscriber } from '../eventstore';
import { CART_STREAM_TYPE } from '../cart/events';
import { AppError } from '../http/errors';
import { rowsOf } from '../projections/sql';
import { assertCanReadSales, MAX_SALES_RANGE_DAYS, utcDay } from './sales-daily';

/**
 * The cart funnel for the admin dashboard: an asynchronous projection of the cart events (the
 * gap-free reader, like sales-daily). It keeps, per cart, when it was opened, got its first item, was
 * checked out, abandoned, expired or merged into another cart; and per day, how many reservations
 * lapsed. Each batch is folded in memory and written in one statement per table, in the batch's
 * transaction with the checkpoint, so an event counts once.
 */
export const CART_FUNNEL_SUBSCRIBER = 'cart-funnel';

export type CartFacts = {
  cartId: string;
  userId: string | null;
  openedAt: Date | null;
  firstItemAt: Date | null;
  checkedOutAt: Date | null;
  reopenedAt: Date | null;
  abandonedAt: Date | null;
  expiredAt: Date | null;
  mergedAt: Date | null;
  status: string | null;
  totalCents: number | null;
  itemCount: number | null;
};

export type DailyIncrement = { day: string; metric: DailyMetric; value: number };
export type DailyMetric = 'reservations_expired';

const RESERVATION_EXPIRY = /^Reservations?(Expired|Lapsed)$/;
const FUNNEL_TYPES = new Set(['CartOpened', 'ItemAdded', 'GuestCartMerged', 'CartCheckedOut', 'CartReopened', 'CartAbandoned', 'CartExpired', 'CartMergedInto']);

/** The lines a reservation-expiry event released: `productIds` (ReservationsExpired), else one. */
const linesReleased = (data: unknown): number => {
  const d = data as { productIds?: unknown; lines?: unknown };
  if (Array.isArray(d?.productIds)) return d.productIds.length;
  if (Array.isArray(d?.lines)) return d.lines.length;
  return 1;
};

/** Pure: the batch folded into one fact row per cart touched and one increment per (day, metric). */
export function funnelIncrements(events: StoredEvent[]): { carts: CartFacts[]; daily: DailyIncrement[] } {
  const carts = new Map<string, CartFacts>();
  const daily = new Map<string, DailyIncrement>();
  const cart = (id: string) => {
    let f = carts.get(id);
    if (!f) {
      f = {
        cartId: id,
        userId: null,
        openedAt: null,
        firstItemAt: null,
        checkedOutAt: null,
        reopenedAt: null,
        abandonedAt: null,
        expiredAt: null,
        mergedAt: null,
        status: null,
        totalCents: null,
        itemCount: null,
      };
      carts.set(id, f);
    }
    return f;
  };
  const bump = (day: string, metric: DailyMetric, value: number) => {
    const key = `${day}\u0000${metric}`;
    const row = daily.get(key) ?? { day, metric, value: 0 };
    row.value += value;
    daily.set(key, row);
  };
  for (const e of events) {
    if (e.streamType !== CART_STREAM_TYPE) continue;
    // Facts only for the events that move a cart through the funnel; others touch no row.
    const id = e.streamId.replace(/^cart-/, '');
    const f = FUNNEL_TYPES.has(e.type) ? cart(id) : null;
    const at = e.occurredAt;
    const data = e.data as Record<string, unknown>;
    switch (e.type) {
      case 'CartOpened':
        f!.userId = String(data.userId);
        f!.openedAt = at;
        f!.status = 'open';
        break;
      case 'ItemAdded':
      case 'GuestCartMerged':
        f!.firstItemAt ??= at;
        break;
      case 'CartCheckedOut':
        f!.checkedOutAt = at;
        f!.status = 'checked_out';
        f!.totalCents = Number(data.totalCents);
        f!.itemCount = Number(data.itemCount);
        break;
      case 'CartReopened':
        // Its order failed: the cart is open again and not checked out (until it is, again).
        f!.reopenedAt = at;
        f!.checkedOutAt = null;
        f!.totalCents = null;
        f!.itemCount = null;
        f!.status = 'open';
        break;
      case 'CartAbandoned':
        f!.abandonedAt = at;
        f!.status = 'abandoned';
        break;
      case 'CartExpired':
        f!.expiredAt = at;
        f!.status = 'expired';
        break;
      case 'CartMergedInto':
        f!.mergedAt = at;
        f!.status = 'merged';
        break;
      default:
        if (RESERVATION_EXPIRY.test(e.type)) {
          bump(utcDay(at), 'reservations_expired', linesReleased(data));
        }
    }
  }
  return { carts: [...carts.values()], daily: [...daily.values()] };
}

export async function projectCartFunnel(tx: Db, events: StoredEvent[]): Promise<void> {
  const { carts, daily } = funnelIncrements(events);
  if (carts.length > 0) {
    // The earliest opening and first item win, the latest closing moments and status win.
    await tx
      .insert(analyticsCarts)
      .values(carts)
      .onConflictDoUpdate({
        target: analyticsCarts.cartId,
        set: {
          userId: sql`coalesce(excluded.user_id, ${analyticsCarts.userId})`,
          openedAt: sql`coalesce(${analyticsCarts.openedAt}, excluded.opened_at)`,
          firstItemAt: sql`least(${analyticsCarts.firstItemAt}, excluded.first_item_at)`,
          // A reopening in this batch makes the batch's checkout facts the truth (null unless checked out again).
          checkedOutAt: sql`case when excluded.reopened_at is not null then excluded.checked_out_at else coalesce(excluded.checked_out_at, ${analyticsCarts.checkedOutAt}) end`,
          reopenedAt: sql`coalesce(excluded.reopened_at, ${analyticsCarts.reopenedAt})`,
          abandonedAt: sql`coalesce(excluded.abandoned_at, ${analyticsCarts.abandonedAt})`,
          expiredAt: sql`coalesce(excluded.expired_at, ${analyticsCarts.expiredAt})`,
          mergedAt: sql`coalesce(excluded.merged_at, ${analyticsCarts.mergedAt})`,
          status: sql`coalesce(excluded.status, ${analyticsCarts.status})`,
          totalCents: sql`case when excluded.reopened_at is not null then excluded.total_cents else coalesce(excluded.total_cents, ${analyticsCarts.totalCents}) end`,
          itemCount: sql`case when excluded.reopened_at is not null then excluded.item_count else coalesce(excluded.item_count, ${analyticsCarts.itemCount}) end`,
        },
      });
  }
  if (daily.length > 0) {
    await tx
      .insert(analyticsDaily)
      .values(daily)
      .onConflictDoUpdate({ target: [analyticsDaily.day, analyticsDaily.metric], set: { value: sql`${analyticsDaily.value} + excluded.value` } });
  }
}

export const cartFunnelSubscriber: Subscriber = { name: CART_FUNNEL_SUBSCRIBER, handle: projectCartFunnel, batchSize: 500 };

// ------------------------------------------------------------------ the dashboard's figures

export type Funnel = { opened: number; withItems: number; checkedOut: number; abandoned: number; expired: number; merged: number; stillOpen: number };
export type DayFigures = {
  day: string;
  cartsOpened: number;
  orders: number;
  revenueCents: number;
  abandoned: number;
  expired: number;
  /** Mean seconds from opening to checkout of the carts checked out that day; null without orders. */
  avgSecondsToCheckout: number | null;
  reservationsExpired: number;
};
export type TopProduct = { productId: string; name: string; units: number; revenueCents: number; orders: number };
export type Dashboard = {
  from: string;
  to: string;
  /** Carts opened in the range, and how far they got. */
  funnel: Funnel;
  days: DayFigures[];
  topProducts: TopProduct[];
  totals: { orders: number; revenueCents: number; avgSecondsToCheckout: number | null; reservationsExpired: number };
  currency: string;
};

const DAY_MS = 86_400_000;
const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

function dayRange(range: { from?: string; to?: string }, now: Date) {
  const to = range.to ?? utcDay(now);
  const from = range.from ?? utcDay(new Date(Date.parse(to) - 29 * DAY_MS));
  if (from > to) throw new AppError(400, 'invalid_range', '`from` must not be after `to`.');
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days > MAX_SALES_RANGE_DAYS) throw new AppError(400, 'invalid_range', `At most ${MAX_SALES_RANGE_DAYS} days at a time.`);
  return { from, to, days: Array.from({ length: days }, (_, i) => utcDay(new Date(Date.parse(from) + i * DAY_MS))) };
}

/** Everything the dashboard draws, for UTC days `from`..`to` (default: the last 30 days). Admins only. */
export async function cartDashboard(actor: Actor, range: { from?: string; to?: string } = {}, opts: { db?: Db; now?: Date } = {}): Promise<Dashboard> {
  assertCanReadSales(actor);
  const db = opts.db ?? getDb();
  const { from, to, days } = dayRange(range, opts.now ?? new Date());
  const dayOf = (col: string) => sql.raw(`(${col} at time zone 'UTC')::date`);
  const inRange = (col: string) => sql`${dayOf(col)} between ${from}::date and ${to}::date`;

  const [funnelRow] = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      select count(*) as opened, count(first_item_at) as with_items, count(checked_out_at) as checked_out,
             count(abandoned_at) as abandoned, count(expired_at) as expired, count(merged_at) as merged,
             count(*) filter (where status = 'open') as still_open
      from analytics_carts where ${inRange('opened_at')}`),
  );
  const perDay = async (col: string, extra = sql``) =>
    rowsOf<Record<string, unknown>>(
      await db.execute(sql`select ${dayOf(col)}::text as day, count(*) as n ${extra} from analytics_carts where ${inRange(col)} group by 1`),
    );
  const opened = await perDay('opened_at');
  const checkedOut = await perDay(
    'checked_out_at',
    sql`, sum(total_cents) as revenue, avg(extract(epoch from checked_out_at - opened_at)) filter (where opened_at is not null) as avg_seconds`,
  );
  const abandoned = await perDay('abandoned_at');
  const expired = await perDay('expired_at');
  const metrics = rowsOf<{ day: string; metric: string; value: unknown }>(
    await db.execute(sql`select day::text as day, metric, value from analytics_daily where day between ${from}::date and ${to}::date`),
  );
  const top = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      select s.product_id, coalesce(p.name, s.product_id) as name, sum(s.units) as units, sum(s.revenue_cents) as revenue, sum(s.orders) as orders
      from sales_daily s left join products p on p.id = s.product_id
      where s.day between ${from}::date and ${to}::date
      group by s.product_id, p.name order by revenue desc, units desc, s.product_id limit 10`),
  );
  const [totalsRow] = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      select count(*) as orders, sum(total_cents) as revenue,
             avg(extract(epoch from checked_out_at - opened_at)) filter (where opened_at is not null) as avg_seconds
      from analytics_carts where ${inRange('checked_out_at')}`),
  );

  const byDay = (rows: Record<string, unknown>[]) => new Map(rows.map((r) => [String(r.day), r]));
  const o = byDay(opened);
  const c = byDay(checkedOut);
  const a = byDay(abandoned);
  const x = byDay(expired);
  const metric = (day: string, m: DailyMetric) => n(metrics.find((r) => r.day === day && r.metric === m)?.value);
  return {
    from,
    to,
    currency: 'EUR',
    funnel: {
      opened: n(funnelRow?.opened),
      withItems: n(funnelRow?.with_items),
      checkedOut: n(funnelRow?.checked_out),
      abandoned: n(funnelRow?.abandoned),
      expired: n(funnelRow?.expired),
      merged: n(funnelRow?.merged),
      stillOpen: n(funnelRow?.still_open),
    },
    days: days.map((day) => {
      const co = c.get(day);
      return {
        day,
        cartsOpened: n(o.get(day)?.n),
        orders: n(co?.n),
        revenueCents: n(co?.revenue),
        abandoned: n(a.get(day)?.n),
        expired: n(x.get(day)?.n),
        avgSecondsToCheckout: co?.avg_seconds === null || co?.avg_seconds === undefined ? null : Math.round(Number(co.avg_seconds)),
        reservationsExpired: metric(day, 'reservations_expired'),
      };
    }),
    topProducts: top.map((r) => ({ productId: String(r.product_id), name: String(r.name), units: n(r.units), revenueCents: n(r.revenue), orders: n(r.orders) })),
    totals: {
      orders: n(totalsRow?.orders),
      revenueCents: n(totalsRow?.revenue),
      avgSecondsToCheckout: totalsRow?.avg_seconds === null || totalsRow?.avg_seconds === undefined ? null : Math.round(Number(totalsRow.avg_seconds)),
      reservationsExpired: metrics.filter((r) => r.metric === 'reservations_expired').reduce((s, r) => s + n(r.value), 0),
    },
  };
}
