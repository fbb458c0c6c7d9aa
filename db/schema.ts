import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

// ---------------------------------------------------------------- event store (generic)

/** One row per stream: its current version. Appends lock this row, which serialises writers per stream. */
export const streams = pgTable('streams', {
  streamId: text('stream_id').primaryKey(),
  streamType: text('stream_type').notNull(),
  version: integer('version').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** The append-only log. Nothing updates or deletes a row here. */
export const events = pgTable(
  'events',
  {
    globalPosition: bigint('global_position', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    streamId: text('stream_id').notNull(),
    streamType: text('stream_type').notNull(),
    streamVersion: integer('stream_version').notNull(),
    type: text('type').notNull(),
    schemaVersion: integer('schema_version').notNull().default(1),
    data: jsonb('data').notNull(),
    metadata: jsonb('metadata').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    // xid8 as text -> bigint: lets a subscriber read only transactions older than the snapshot's xmin.
    transactionId: bigint('transaction_id', { mode: 'number' })
      .notNull()
      .default(sql`(pg_current_xact_id()::text)::bigint`),
  },
  (t) => [
    uniqueIndex('events_stream_version_uq').on(t.streamId, t.streamVersion),
    index('events_tx_position_idx').on(t.transactionId, t.globalPosition),
    index('events_type_idx').on(t.type, t.globalPosition),
    // Audit filters: by actor, by time range (newest first pages by global position).
    index('events_actor_idx').on(sql`(${t.metadata} -> 'actor' ->> 'userId')`, t.globalPosition),
    index('events_occurred_at_idx').on(t.occurredAt),
    check('events_stream_version_positive', sql`${t.streamVersion} > 0`),
  ],
);

/**
 * Snapshots of a stream's folded state every K events, so the state at any version starts from the
 * nearest one. A snapshot whose schema version is not the current state schema is ignored.
 */
export const snapshots = pgTable(
  'snapshots',
  {
    streamId: text('stream_id').notNull(),
    version: integer('version').notNull(),
    schemaVersion: integer('schema_version').notNull(),
    state: jsonb('state').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.streamId, t.version] })],
);

/** Idempotency: a command id is recorded once with its result; a repeat returns that result. */
export const commands = pgTable('commands', {
  commandId: text('command_id').primaryKey(),
  streamId: text('stream_id').notNull(),
  fingerprint: text('fingerprint').notNull(),
  result: jsonb('result'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * Where each asynchronous subscriber has got to in the log: the (transaction id, global position) of
 * the last event it handled. Written in the same transaction as the subscriber's work, so the work and
 * the checkpoint commit or vanish together.
 */
export const subscriberCheckpoints = pgTable('subscriber_checkpoints', {
  subscriber: text('subscriber').primaryKey(),
  transactionId: bigint('transaction_id', { mode: 'number' }).notNull().default(0),
  globalPosition: bigint('global_position', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

// ---------------------------------------------------------------- accounts and catalog

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  role: text('role', { enum: ['shopper', 'admin'] }).notNull().default('shopper'),
  passwordHash: text('password_hash').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export const products = pgTable(
  'products',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull(),
    priceCents: integer('price_cents').notNull(),
    currency: text('currency').notNull().default('EUR'),
    stock: integer('stock').notNull(),
    /**
     * The stock the product started with. Checkout only ever takes units, so stock + units sold (over
     * every order's lines) must equal it: `npm run verify` checks that. Databases that existed before
     * this column were backfilled with stock + units sold (migration 0004).
     */
    initialStock: integer('initial_stock').notNull(),
    imageUrl: text('image_url').notNull(),
    sortOrder: integer('sort_order').notNull().default(0),
  },
  (t) => [
    check('products_stock_non_negative', sql`${t.stock} >= 0`),
    check('products_price_non_negative', sql`${t.priceCents} >= 0`),
  ],
);

// ---------------------------------------------------------------- read models (inline projections)

export type CartLineRow = {
  productId: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
};

export const carts = pgTable(
  'carts',
  {
    cartId: text('cart_id').primaryKey(),
    userId: text('user_id').notNull(),
    status: text('status', { enum: ['open', 'checked_out', 'merged'] }).notNull(),
    items: jsonb('items').$type<CartLineRow[]>().notNull(),
    itemCount: integer('item_count').notNull(),
    totalCents: integer('total_cents').notNull(),
    currency: text('currency').notNull(),
    version: integer('version').notNull(),
    orderId: text('order_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('carts_user_updated_idx').on(t.userId, t.updatedAt)],
);

export const orders = pgTable(
  'orders',
  {
    orderId: text('order_id').primaryKey(),
    cartId: text('cart_id').notNull().unique(),
    userId: text('user_id').notNull(),
    items: jsonb('items').$type<CartLineRow[]>().notNull(),
    itemCount: integer('item_count').notNull(),
    totalCents: integer('total_cents').notNull(),
    currency: text('currency').notNull(),
    placedAt: timestamp('placed_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('orders_user_placed_idx').on(t.userId, t.placedAt)],
);

// ---------------------------------------------------------------- read models (asynchronous subscribers)

/** Sales per product per UTC day, from CartCheckedOut events (server/analytics/sales-daily.ts). */
export const salesDaily = pgTable(
  'sales_daily',
  {
    day: date('day', { mode: 'string' }).notNull(),
    productId: text('product_id').notNull(),
    units: integer('units').notNull(),
    revenueCents: bigint('revenue_cents', { mode: 'number' }).notNull(),
    orders: integer('orders').notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.productId] })],
);
