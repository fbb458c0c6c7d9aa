import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
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
    status: text('status', { enum: ['open', 'checked_out', 'abandoned', 'expired', 'merged'] }).notNull(),
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
    // Not unique: a cart reopened after a failed order can be checked out again, as a new order.
    cartId: text('cart_id').notNull(),
    userId: text('user_id').notNull(),
    items: jsonb('items').$type<CartLineRow[]>().notNull(),
    itemCount: integer('item_count').notNull(),
    totalCents: integer('total_cents').notNull(),
    currency: text('currency').notNull(),
    placedAt: timestamp('placed_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('orders_user_placed_idx').on(t.userId, t.placedAt), index('orders_cart_idx').on(t.cartId)],
);

export type OrderFailureRow = { step: 'payment' | 'stock' | 'confirm'; code: string; reason: string; at: string };

/**
 * The order process (server/orders/): one row per order stream, written in the transaction of each of
 * its events (status and the steps done, from the fold), plus the runner's schedule: `next_run_at` is
 * when the next step is due (null once confirmed or failed), `locked_until`/`locked_by` the lease of
 * the runner working on it, `tries` the failed tries of the current step.
 */
export const orderProcesses = pgTable(
  'order_processes',
  {
    orderId: text('order_id').primaryKey(),
    cartId: text('cart_id').notNull(),
    userId: text('user_id').notNull(),
    status: text('status', { enum: ['placed', 'paid', 'stock_committed', 'confirmed', 'compensating', 'failed'] }).notNull(),
    attempt: integer('attempt').notNull(),
    version: integer('version').notNull(),
    totalCents: integer('total_cents').notNull(),
    currency: text('currency').notNull(),
    paymentId: text('payment_id'),
    holdsStock: boolean('holds_stock').notNull(),
    stockCommitted: boolean('stock_committed').notNull(),
    failure: jsonb('failure').$type<OrderFailureRow | null>(),
    placedAt: timestamp('placed_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
    nextRunAt: timestamp('next_run_at', { withTimezone: true, mode: 'date' }),
    tries: integer('tries').notNull().default(0),
    lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
    lockedBy: text('locked_by'),
    lastError: text('last_error'),
  },
  (t) => [
    index('order_processes_due_idx').on(t.nextRunAt).where(sql`${t.nextRunAt} is not null`),
    index('order_processes_status_idx').on(t.status, t.updatedAt),
    index('order_processes_cart_idx').on(t.cartId),
  ],
);

/**
 * The simulated payment provider's own ledger (server/payments/simulated.ts): what a real provider
 * would keep on its side. An authorisation is looked up by its idempotency key, so asking twice
 * (a runner that crashed after the call) returns the first answer.
 */
export const simulatedPayments = pgTable('simulated_payments', {
  paymentId: text('payment_id').primaryKey(),
  idempotencyKey: text('idempotency_key').notNull().unique(),
  orderId: text('order_id').notNull(),
  amountCents: integer('amount_cents').notNull(),
  currency: text('currency').notNull(),
  method: text('method').notNull(),
  status: text('status', { enum: ['authorized', 'declined', 'voided'] }).notNull(),
  declineCode: text('decline_code'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  voidedAt: timestamp('voided_at', { withTimezone: true, mode: 'date' }),
});

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

// ---------------------------------------------------------------- integration events (outbox) and notifications

/**
 * The transactional outbox: integration events for the outside world, written in the transaction of
 * the domain events they announce, published at least once and in order by the relay. A row is kept
 * after publishing (published_at set) as a record of what left the shop.
 */
export const outbox = pgTable(
  'outbox',
  {
    position: bigint('position', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    messageId: text('message_id').notNull().unique(),
    subject: text('subject').notNull(),
    /** Messages with one key (a cart) are published in the order they were written. */
    partitionKey: text('partition_key').notNull(),
    payload: jsonb('payload').notNull(),
    correlationId: text('correlation_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    publishedAt: timestamp('published_at', { withTimezone: true, mode: 'date' }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [index('outbox_unpublished_idx').on(t.position).where(sql`${t.publishedAt} is null`)],
);

/** Which messages each consumer has handled: at-least-once delivery, handled once. */
export const processedMessages = pgTable(
  'processed_messages',
  {
    consumer: text('consumer').notNull(),
    messageId: text('message_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.messageId] })],
);

/** Messages to shoppers (order confirmations): sent by SMTP when configured, else kept here to read. */
export const notifications = pgTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    messageId: text('message_id').notNull(),
    kind: text('kind').notNull(),
    userId: text('user_id').notNull(),
    orderId: text('order_id'),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    textBody: text('text_body').notNull(),
    htmlBody: text('html_body').notNull(),
    channel: text('channel', { enum: ['smtp', 'stored'] }).notNull(),
    status: text('status', { enum: ['sent', 'stored', 'failed'] }).notNull(),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('notifications_message_kind_uq').on(t.messageId, t.kind),
    index('notifications_order_idx').on(t.orderId),
    index('notifications_created_idx').on(t.createdAt),
  ],
);

/** Named leases: one holder at a time across app servers, renewed while held (server/outbox/lease.ts). */
export const leases = pgTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
});
/**
 * One row per cart with the moments of its funnel (opened, first item, checked out, abandoned,
 * expired, merged), from the cart events by the asynchronous `cart-funnel` subscriber.
 */
export const analyticsCarts = pgTable(
  'analytics_carts',
  {
    cartId: text('cart_id').primaryKey(),
    userId: text('user_id'),
    openedAt: timestamp('opened_at', { withTimezone: true, mode: 'date' }),
    firstItemAt: timestamp('first_item_at', { withTimezone: true, mode: 'date' }),
    checkedOutAt: timestamp('checked_out_at', { withTimezone: true, mode: 'date' }),
    /** Its order failed and the cart was reopened (checkedOutAt is then cleared until it is checked out again). */
    reopenedAt: timestamp('reopened_at', { withTimezone: true, mode: 'date' }),
    abandonedAt: timestamp('abandoned_at', { withTimezone: true, mode: 'date' }),
    expiredAt: timestamp('expired_at', { withTimezone: true, mode: 'date' }),
    mergedAt: timestamp('merged_at', { withTimezone: true, mode: 'date' }),
    status: text('status'),
    totalCents: bigint('total_cents', { mode: 'number' }),
    itemCount: integer('item_count'),
  },
  (t) => [index('analytics_carts_opened_idx').on(t.openedAt), index('analytics_carts_checked_out_idx').on(t.checkedOutAt)],
);

/** Per-day counters that are not a cart's state (reservation expiries), by the same subscriber. */
export const analyticsDaily = pgTable(
  'analytics_daily',
  {
    day: date('day', { mode: 'string' }).notNull(),
    metric: text('metric').notNull(),
    value: bigint('value', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.metric] })],
);
// ---------------------------------------------------------------- reservations (inline projection, docs/reservations.md)

/**
 * Units a cart holds for its shopper until `expires_at`, from its own events (ItemAdded /
 * ItemQuantityChanged with reservedUntil); written in the command's transaction. A row past its
 * expiry no longer counts; the sweeper deletes it through a ReservationsExpired event.
 */
export const reservations = pgTable(
  'reservations',
  {
    cartId: text('cart_id').notNull(),
    productId: text('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.cartId, t.productId] }),
    index('reservations_product_expires_idx').on(t.productId, t.expiresAt),
    index('reservations_expires_idx').on(t.expiresAt),
    check('reservations_quantity_positive', sql`${t.quantity} > 0`),
  ],
);
