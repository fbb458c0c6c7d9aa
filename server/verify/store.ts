import 'server-only';
import { sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { verifyProjections, type Mismatch } from '../projections';
import { formatValue } from '../projections/format';
import { rowsOf } from '../projections/sql';
import { orderProcessDifferences } from './orders';
import type { Difference, StoreCounts, StoreReport } from './types';

/**
 * Read-only check of the whole store; every broken invariant becomes one readable difference:
 * (a) every cart's read model equals the fold of its events and (c) every order matches its cart's
 *     CartCheckedOut event: both from the projection verifier (server/projections), which folds each
 *     stream and compares the `carts` and `orders` rows column by column, and finds rows no stream explains;
 * (b) every stream's versions are 1..N without a gap and `streams.version` is its last event's;
 * (d) for every product, stock + units sold = initial stock, where sold counts the lines of every order
 *     whose stock the order process committed and did not return (orders from before the order process
 *     existed count as committed); reservations never change stock;
 * (e) every reservation belongs to an open cart's line with that line's quantity (or to a checked-out
 *     cart whose order still holds its units), and live reservations hold no more of a product than its
 *     stock (docs/reservations.md);
 * (f) every order process row equals the fold of its order stream (server/verify/orders.ts).
 * (b), (d) and the counts read one REPEATABLE READ snapshot; (a) and (c) read one snapshot per batch
 * (inline projections commit with their events, so a store in use shows no false differences).
 */
export async function verifyStore(db: Db, opts: { batchSize?: number } = {}): Promise<StoreReport> {
  const started = performance.now();
  const projections = await verifyProjections(db, { batchSize: opts.batchSize });
  const differences: Difference[] = projections.mismatches.map(fromMismatch);
  const snapshot = await db.transaction(
    async (tx) => ({
      counts: await countAll(tx),
      streams: await streamDifferences(tx),
      stock: await stockDifferences(tx),
      reservations: await reservationDifferences(tx),
      orders: await orderProcessDifferences(tx),
    }),
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
  differences.push(...snapshot.streams, ...snapshot.stock, ...snapshot.reservations, ...snapshot.orders);
  const counts: StoreCounts = { ...snapshot.counts, carts: projections.checked };
  return { ok: differences.length === 0, counts, differences, durationMs: Math.round(performance.now() - started) };
}

/** A projection mismatch in the words of the invariant it breaks. */
export function fromMismatch(m: Mismatch): Difference {
  if (m.projection === 'orders') {
    const subject = `order ${m.key}`;
    if (m.field === 'row') {
      return m.actual === 'missing'
        ? { check: 'orders', subject, message: `no orders row, but cart ${m.cartId}'s stream has its CartCheckedOut event` }
        : { check: 'orders', subject, message: `orders row for cart ${m.cartId} has no CartCheckedOut event in that cart's stream` };
    }
    return {
      check: 'orders',
      subject,
      message: `${m.field}: the checkout event (cart ${m.cartId}) says ${formatValue(m.expected)}, the orders row says ${formatValue(m.actual)}`,
    };
  }
  const subject = `cart ${m.cartId}`;
  if (m.field === 'events') return { check: 'read_model', subject, message: `its events cannot be folded: ${String(m.actual)}` };
  if (m.field === 'row') {
    return m.actual === 'missing'
      ? { check: 'read_model', subject, message: 'no carts row, but the stream has events' }
      : { check: 'read_model', subject, message: 'carts row without a stream (no event explains it)' };
  }
  return { check: 'read_model', subject, message: `${m.field}: the fold says ${formatValue(m.expected)}, the carts row says ${formatValue(m.actual)}` };
}

const num = (v: unknown) => Number(v ?? 0);

async function countAll(tx: Db): Promise<Omit<StoreCounts, 'carts'>> {
  const [row] = rowsOf(
    await tx.execute(sql`select
      (select count(*) from streams)::int as streams,
      (select count(*) from events)::int as events,
      (select count(*) from orders)::int as orders,
      (select count(*) from products)::int as products`),
  );
  return { streams: num(row.streams), events: num(row.events), orders: num(row.orders), products: num(row.products) };
}

/** (b): gaps (including a first version other than 1), and the streams row vs the last event. */
async function streamDifferences(tx: Db): Promise<Difference[]> {
  const out: Difference[] = [];
  const gaps = rowsOf(
    await tx.execute(sql`
      select stream_id, prev, stream_version from (
        select stream_id, stream_version, lag(stream_version, 1, 0) over (partition by stream_id order by stream_version) as prev
        from events) x
      where stream_version <> prev + 1
      order by stream_id, stream_version`),
  );
  for (const g of gaps) {
    const from = num(g.prev) + 1;
    const to = num(g.stream_version) - 1;
    out.push({
      check: 'stream',
      subject: `stream ${String(g.stream_id)}`,
      message: `${from === to ? `version ${from} is` : `versions ${from}..${to} are`} missing (the next event is version ${num(g.stream_version)})`,
    });
  }
  const heads = rowsOf(
    await tx.execute(sql`
      with last as (select stream_id, max(stream_version) as v, count(*)::int as n from events group by stream_id)
      select coalesce(s.stream_id, l.stream_id) as stream_id, s.version as head, l.v as last, l.n as n
      from streams s full join last l on l.stream_id = s.stream_id
      where s.stream_id is null or l.stream_id is null or s.version <> l.v
      order by 1`),
  );
  for (const h of heads) {
    const subject = `stream ${String(h.stream_id)}`;
    if (h.head === null || h.head === undefined) out.push({ check: 'stream', subject, message: `${num(h.n)} events but no streams row` });
    else if (h.last === null || h.last === undefined) out.push({ check: 'stream', subject, message: `streams row at version ${num(h.head)} but no events` });
    else out.push({ check: 'stream', subject, message: `streams.version is ${num(h.head)}, but the last event is version ${num(h.last)}` });
  }
  return out;
}

/** (d): stock + units sold = initial stock, and no order sells a product the catalog does not have. */
async function stockDifferences(tx: Db): Promise<Difference[]> {
  const out: Difference[] = [];
  // Per order stream: 1 while its stock is committed, 0 before that or once returned; no stream (an
  // order from before the order process) counts as committed at checkout.
  const committed = sql`select stream_id, sum(case type when 'StockCommitted' then 1 when 'StockReturned' then -1 else 0 end)::int as n
                        from events where stream_type = 'order' and type in ('OrderPlaced', 'StockCommitted', 'StockReturned') group by stream_id`;
  const sold = sql`select l ->> 'productId' as product_id, sum((l ->> 'quantity')::int * coalesce(c.n, 1))::int as sold
                   from orders o left join (${committed}) c on c.stream_id = 'order-' || o.order_id, jsonb_array_elements(o.items) l
                   group by 1 having sum((l ->> 'quantity')::int * coalesce(c.n, 1)) <> 0`;
  const rows = rowsOf(
    await tx.execute(sql`
      select p.id, p.stock, p.initial_stock, coalesce(s.sold, 0)::int as sold
      from products p left join (${sold}) s on s.product_id = p.id
      where p.stock + coalesce(s.sold, 0) <> p.initial_stock
      order by p.id`),
  );
  for (const r of rows) {
    const stock = num(r.stock);
    const units = num(r.sold);
    const initial = num(r.initial_stock);
    out.push({
      check: 'stock',
      subject: `product ${String(r.id)}`,
      message: `stock ${stock} + ${units} sold = ${stock + units}, but the initial stock is ${initial} (${stock + units > initial ? 'over' : 'short'} by ${Math.abs(stock + units - initial)})`,
    });
  }
  const unknown = rowsOf(
    await tx.execute(sql`select s.product_id, s.sold from (${sold}) s where not exists (select 1 from products p where p.id = s.product_id) order by 1`),
  );
  for (const r of unknown) {
    out.push({ check: 'stock', subject: `product ${String(r.product_id)}`, message: `orders sold ${num(r.sold)} units of a product the catalog does not have` });
  }
  return out;
}

/** (e): reservations match open carts' lines (or a pending order's), and what live ones hold fits in the stock. */
async function reservationDifferences(tx: Db): Promise<Difference[]> {
  const out: Difference[] = [];
  const stray = rowsOf(
    await tx.execute(sql`
      select r.cart_id, r.product_id, r.quantity, c.status, li.q as line
      from reservations r
      left join carts c on c.cart_id = r.cart_id
      left join lateral (select (l ->> 'quantity')::int as q from jsonb_array_elements(c.items) l where l ->> 'productId' = r.product_id) li on true
      where c.cart_id is null
         or (c.status <> 'open'
             and not (c.status = 'checked_out' and exists (select 1 from order_processes op where op.order_id = c.order_id and op.holds_stock)))
         or li.q is distinct from r.quantity
      order by 1, 2`),
  );
  for (const r of stray) {
    const why = r.status === null || r.status === undefined
      ? 'a cart that does not exist'
      : r.status !== 'open'
        ? `a cart that is ${String(r.status)}`
        : r.line === null || r.line === undefined
          ? 'a line the cart does not have'
          : `a line of ${num(r.line)}`;
    out.push({ check: 'reservations', subject: `cart ${String(r.cart_id)}`, message: `holds ${num(r.quantity)} of ${String(r.product_id)} for ${why}` });
  }
  const over = rowsOf(
    await tx.execute(sql`
      select p.id, p.stock, sum(r.quantity)::int as held
      from products p join reservations r on r.product_id = p.id and r.expires_at > now()
      group by p.id, p.stock having sum(r.quantity) > p.stock order by 1`),
  );
  for (const r of over) {
    out.push({ check: 'reservations', subject: `product ${String(r.id)}`, message: `live reservations hold ${num(r.held)}, but the stock is ${num(r.stock)}` });
  }
  return out;
}
