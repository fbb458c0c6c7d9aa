import 'server-only';
import { getTableColumns, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { carts, orders } from '@/db/schema';
import { cartRow, orderRows } from '../cart/projections';
import type { CartEventEnvelope } from '../cart/events';
import type { CartState } from '../cart/evolve';
import type { ColumnInfo, ColumnKind, DbRecord } from './compare';
import { normalizeValue } from './compare';
import { rowsOf } from './sql';
import type { ProjectionName } from './types';

/**
 * The inline projections the cart handler writes in its append transaction (server/cart/projections.ts).
 * Each one says which table it owns, how its rows are keyed, and which rows one folded cart stream
 * produces, using the very functions the inline projection uses, so verify and rebuild cannot drift
 * from what the handler writes.
 */
export type InlineProjection = {
  name: ProjectionName;
  /** The live table and the shadow a rebuild fills before it swaps them. */
  table: string;
  shadow: string;
  /** Primary key column (rows are matched on it) and the column naming the cart. */
  keyColumn: string;
  cartColumn: string;
  columns: ColumnInfo[];
  /** The rows this cart's whole history produces, as drizzle rows (camelCase). */
  rows: (state: CartState, events: CartEventEnvelope[]) => Record<string, unknown>[];
  /** drizzle property name -> column, for turning those rows into database records. */
  propertyToColumn: Record<string, ColumnInfo>;
};

function columnsOf(table: typeof carts | typeof orders) {
  const byProperty: Record<string, ColumnInfo> = {};
  for (const [prop, col] of Object.entries(getTableColumns(table))) {
    const kind: ColumnKind = col.columnType === 'PgTimestamp' ? 'timestamp' : col.columnType.startsWith('PgJson') ? 'json' : 'scalar';
    byProperty[prop] = { name: col.name, kind };
  }
  return { byProperty, columns: Object.values(byProperty) };
}

function define(
  name: ProjectionName,
  table: typeof carts | typeof orders,
  keyColumn: string,
  rows: InlineProjection['rows'],
): InlineProjection {
  const { byProperty, columns } = columnsOf(table);
  return { name, table: name, shadow: `${name}_rebuild`, keyColumn, cartColumn: 'cart_id', columns, rows, propertyToColumn: byProperty };
}

export const projections: InlineProjection[] = [
  define('carts', carts, 'cart_id', (state) => [cartRow(state)]),
  define('orders', orders, 'order_id', (state, events) => orderRows(state, events)),
];

/** A drizzle row (camelCase, Dates) -> a database record (column names, normalised values). */
export function toRecord(p: InlineProjection, row: Record<string, unknown>): DbRecord {
  const out: DbRecord = {};
  for (const [prop, col] of Object.entries(p.propertyToColumn)) out[col.name] = normalizeValue(col.kind, row[prop]);
  return out;
}

/** A raw row from the driver (column names) -> a normalised database record. */
export function fromDriver(p: InlineProjection, row: Record<string, unknown>): DbRecord {
  const out: DbRecord = {};
  for (const col of p.columns) out[col.name] = normalizeValue(col.kind, row[col.name]);
  return out;
}

/** The rows `table` (the live table or its shadow) holds for these carts, grouped by cart id. */
export async function readRowsByCart(db: Db, p: InlineProjection, table: string, cartIds: string[]): Promise<Map<string, DbRecord[]>> {
  const out = new Map<string, DbRecord[]>(cartIds.map((id) => [id, []]));
  if (cartIds.length === 0) return out;
  const ids = sql.join(
    cartIds.map((id) => sql`${id}`),
    sql`, `,
  );
  const res = await db.execute(sql`select * from ${sql.identifier(table)} where ${sql.identifier(p.cartColumn)} in (${ids})`);
  for (const raw of rowsOf(res)) {
    const rec = fromDriver(p, raw);
    const cartId = String(rec[p.cartColumn]);
    if (!out.has(cartId)) out.set(cartId, []);
    out.get(cartId)!.push(rec);
  }
  return out;
}

/** Writes records into `table` in one statement (jsonb_populate_recordset maps them by column name). */
export async function insertRecords(db: Db, table: string, records: DbRecord[]): Promise<void> {
  if (records.length === 0) return;
  const t = sql.identifier(table);
  await db.execute(sql`insert into ${t} select * from jsonb_populate_recordset(null::${t}, ${JSON.stringify(records)}::jsonb)`);
}
