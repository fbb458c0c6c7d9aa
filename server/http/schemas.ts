import { z } from 'zod';
import { MAX_QUANTITY } from '../cart/events';
import { orderEventTypes, PAYMENT_METHODS, type OrderEventType } from '../orders/events';

// Every edge's shapes in one place: route handlers validate with them, /api/openapi.json is generated from them.

export const ProductIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'Product ids are lowercase letters, digits and dashes.')
  .meta({ description: 'Stable product id, e.g. "espresso-beans"' });

export const CartIdSchema = z.uuid().meta({ description: 'Cart id (UUID)' });

export const AddItemBody = z
  .object({
    productId: ProductIdSchema,
    quantity: z.number().int().min(1).max(MAX_QUANTITY).meta({ description: `1 to ${MAX_QUANTITY}` }),
  })
  .strict()
  .meta({ id: 'AddItemBody' });

export const ChangeQuantityBody = z
  .object({ quantity: z.number().int().min(0).max(MAX_QUANTITY).meta({ description: `0 removes the line; at most ${MAX_QUANTITY}` }) })
  .strict()
  .meta({ id: 'ChangeQuantityBody' });

export const CreateCartBody = z
  .object({ currency: z.literal('EUR').optional() })
  .strict()
  .meta({ id: 'CreateCartBody' });

export const ListCartsQuery = z
  .object({
    status: z.enum(['open', 'checked_out', 'abandoned', 'expired', 'merged']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(100),
  })
  .strict();

export const EventsQuery = z
  .object({
    after: z.coerce.number().int().min(0).max(1e9).optional().meta({ description: 'Cursor: a version; events after it' }),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export const DiffQuery = z
  .object({
    from: z.coerce.number().int().min(1).max(1e9),
    to: z.coerce.number().int().min(1).max(1e9),
  })
  .strict();

export const StateQuery = z
  .union([
    z.object({ version: z.coerce.number().int().min(1).max(1e9) }).strict(),
    z.object({ at: z.iso.datetime({ offset: true }) }).strict(),
  ])
  .meta({ description: 'Exactly one of version or at' });

export const ProductSchema = z
  .object({
    id: ProductIdSchema,
    name: z.string(),
    description: z.string(),
    priceCents: z.number().int(),
    currency: z.string(),
    stock: z.number().int(),
    /** Stock minus the units live cart reservations hold: what a shopper can still add. */
    available: z.number().int(),
    imageUrl: z.string(),
  })
  .meta({ id: 'Product' });

export const CartLineSchema = z
  .object({
    productId: z.string(),
    name: z.string(),
    unitPriceCents: z.number().int(),
    quantity: z.number().int(),
    lineTotalCents: z.number().int(),
  })
  .meta({ id: 'CartLine' });

export const CartSchema = z
  .object({
    cartId: CartIdSchema,
    userId: z.string(),
    status: z.enum(['open', 'checked_out', 'abandoned', 'expired', 'merged']),
    items: z.array(CartLineSchema),
    itemCount: z.number().int(),
    totalCents: z.number().int(),
    currency: z.string(),
    version: z.number().int(),
    orderId: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Cart' });

export const OrderStatusSchema = z
  .enum(['placed', 'paid', 'stock_committed', 'confirmed', 'compensating', 'failed'])
  .meta({
    id: 'OrderStatus',
    description:
      'Where the order process is: placed (awaiting payment), paid, stock_committed, confirmed; or compensating (a step failed, undoing) and failed (undone, the cart is open again)',
  });

export const OrderFailureSchema = z
  .object({
    step: z.enum(['payment', 'stock', 'confirm']),
    code: z.string().meta({ description: 'e.g. insufficient_funds, card_declined, insufficient_stock, payment_provider_unavailable' }),
    reason: z.string().meta({ description: 'For the shopper' }),
    at: z.iso.datetime(),
  })
  .meta({ id: 'OrderFailure' });

export const OrderSummarySchema = z
  .object({ orderId: z.string(), status: OrderStatusSchema, attempt: z.number().int(), failure: OrderFailureSchema.nullable() })
  .meta({ id: 'OrderSummary' });

export const CommandResponse = z
  .object({
    cartId: CartIdSchema,
    version: z.number().int(),
    events: z.array(z.object({ type: z.string(), version: z.number().int() })),
    orderId: z.string().optional(),
    order: OrderSummarySchema.optional().meta({
      description: 'Checkout only: how far the order process got before the answer (it goes on in the background if not confirmed or failed)',
    }),
    cart: CartSchema,
  })
  .meta({ id: 'CommandResponse' });

export const ActorSchema = z.object({ userId: z.string(), role: z.enum(['shopper', 'admin', 'system', 'guest']) });

export const CartEventSchema = z
  .object({
    globalPosition: z.number().int(),
    version: z.number().int(),
    type: z.string(),
    schemaVersion: z.number().int(),
    data: z.record(z.string(), z.unknown()),
    occurredAt: z.iso.datetime(),
    actor: ActorSchema,
    correlationId: z.string(),
    causationId: z.string().nullable(),
  })
  .meta({ id: 'CartEvent' });

export const OrderSchema = z
  .object({
    orderId: z.string(),
    cartId: CartIdSchema,
    userId: z.string(),
    items: z.array(CartLineSchema),
    itemCount: z.number().int(),
    totalCents: z.number().int(),
    currency: z.string(),
    placedAt: z.iso.datetime(),
    status: OrderStatusSchema,
    attempt: z.number().int(),
    failure: OrderFailureSchema.nullable(),
    steps: z
      .array(
        z.object({
          version: z.number().int(),
          type: z.string(),
          at: z.iso.datetime(),
          title: z.string(),
          detail: z.string().nullable(),
          tone: z.enum(['done', 'failed', 'undo', 'info']),
        }),
      )
      .optional()
      .meta({ description: "GET /api/orders/{orderId} only: the order process's events, oldest first" }),
  })
  .meta({ id: 'Order' });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Machine-readable, e.g. cart_closed' }),
      message: z.string().meta({ description: 'For humans' }),
      issues: z.array(z.object({ path: z.array(z.string()), code: z.string(), message: z.string() })).optional(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });

// ---------------------------------------------------------------- admin audit: GET /api/admin/events(/export)
// (Its own import here so this block stays append-only next to other branches' edits above.)
import { cartEventTypes, type CartEventType } from '../cart/events';
import { productEventTypes, type ProductEventType } from '../catalog/events';

/** A GET form sends empty fields as `name=`: an empty field is no filter. Values are trimmed. */
const blank = (v: unknown) => (typeof v === 'string' ? v.trim() || undefined : v);

const hasOffset = /(?:Z|[+-]\d{2}:\d{2})$/i;

/** ISO 8601 date-time; without an offset (a datetime-local field) it is read as UTC. */
export const AuditTimeSchema = z.iso
  .datetime({ local: true, offset: true })
  .transform((s) => new Date(hasOffset.test(s) ? s : `${s}Z`))
  .meta({ description: 'ISO 8601 date-time, e.g. 2026-11-23T13:57:00Z; without an offset it is UTC' });

type AuditEventType = CartEventType | ProductEventType | OrderEventType;
export const AuditEventTypeSchema = z.enum([...cartEventTypes, ...productEventTypes, ...orderEventTypes] as [AuditEventType, ...AuditEventType[]]);

/** The opaque paging cursor: `nextCursor` of the previous page. */
export const AuditCursorSchema = z.string().regex(/^[1-9]\d{0,14}$/, 'Not a cursor from a previous page.');

export const AUDIT_MAX_LIMIT = 200;
export const AUDIT_DEFAULT_LIMIT = 50;

const auditFilterShape = {
  cartId: z.preprocess(blank, CartIdSchema.optional()),
  userId: z.preprocess(blank, z.string().max(200).optional()),
  type: z.preprocess(blank, AuditEventTypeSchema.optional()),
  from: z.preprocess(blank, AuditTimeSchema.optional()),
  to: z.preprocess(blank, AuditTimeSchema.optional()),
};

const fromNotAfterTo = (q: { from?: Date; to?: Date }) => !q.from || !q.to || q.from.getTime() <= q.to.getTime();
const fromAfterTo = { path: ['to'], message: '"to" must not be before "from".' };

export const AuditEventsQuery = z
  .object({
    ...auditFilterShape,
    limit: z.preprocess(blank, z.coerce.number().int().min(1).max(AUDIT_MAX_LIMIT).default(AUDIT_DEFAULT_LIMIT)),
    after: z.preprocess(blank, AuditCursorSchema.optional()),
  })
  .strict()
  .refine(fromNotAfterTo, fromAfterTo);

export const AuditExportQuery = z
  .object({ ...auditFilterShape, format: z.preprocess(blank, z.enum(['csv', 'json']).default('csv')) })
  .strict()
  .refine(fromNotAfterTo, fromAfterTo);

export const AuditEventSchema = z
  .object({
    globalPosition: z.number().int(),
    cartId: CartIdSchema.nullable().meta({ description: 'The cart of a cart event; null for catalog (product) events' }),
    productId: z.string().optional().meta({ description: 'Only on catalog events: the product whose price or stock an admin changed' }),
    orderId: z.string().optional().meta({ description: 'Only on order process events (checkout as a saga): the order' }),
    version: z.number().int().meta({ description: "The event's version in its stream (the cart's or the product's)" }),
    type: z.string(),
    title: z.string().meta({ description: 'Readable summary, e.g. "Added 2 × Espresso beans"' }),
    data: z.record(z.string(), z.unknown()),
    occurredAt: z.iso.datetime(),
    actor: ActorSchema,
    correlationId: z.string(),
    causationId: z.string().nullable(),
    schemaVersion: z.number().int(),
  })
  .meta({ id: 'AuditEvent' });

export const AuditPageSchema = z
  .object({
    events: z.array(AuditEventSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `after` for older events; null on the last page' }),
  })
  .meta({ id: 'AuditPage' });

/** The audit's filters as query parameters, for /api/openapi.json. */
export const AuditFilterParams: { name: string; schema: z.ZodType; description: string }[] = [
  { name: 'cartId', schema: CartIdSchema, description: "Only this cart's events" },
  { name: 'userId', schema: z.string().max(200), description: 'Only events whose actor is this user id, e.g. user-bob' },
  { name: 'type', schema: AuditEventTypeSchema, description: 'Only events of this type' },
  { name: 'from', schema: AuditTimeSchema, description: 'occurredAt at or after this time (ISO 8601; UTC without an offset)' },
  { name: 'to', schema: AuditTimeSchema, description: 'occurredAt before this time; not before from' },
];
// ---------------------------------------------------------------- admin: projections

export const ProjectionMismatchSchema = z
  .object({
    cartId: z.string(),
    projection: z.enum(['carts', 'orders']),
    key: z.string().meta({ description: 'Primary key of the row (the order id for orders)' }),
    field: z.string().meta({ description: 'Database column, or "row" for a missing row or one no event explains' }),
    expected: z.unknown().meta({ description: 'From the events ("present"/"absent" for field "row")' }),
    actual: z.unknown().meta({ description: 'In the read model ("missing"/"present" for field "row")' }),
  })
  .meta({ id: 'ProjectionMismatch' });

export const ProjectionJobSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['verify', 'rebuild']),
    state: z.enum(['running', 'succeeded', 'failed']),
    progress: z.object({
      phase: z.enum(['preparing', 'verifying', 'building', 'orphans', 'catching_up', 'swapping', 'done']),
      done: z.number().int(),
      total: z.number().int(),
    }),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    startedBy: z.string(),
    report: z
      .object({
        checked: z.number().int().meta({ description: 'Cart streams folded and compared' }),
        mismatches: z.array(ProjectionMismatchSchema).meta({ description: 'The first 500' }),
        totalMismatches: z.number().int(),
        mismatchedCarts: z.number().int(),
        durationMs: z.number().int(),
        rows: z.record(z.string(), z.number().int()).optional().meta({ description: 'Rebuild: rows per table after the swap' }),
        caughtUp: z.number().int().optional().meta({ description: 'Rebuild: streams refolded because they changed meanwhile' }),
        swapMs: z.number().int().optional().meta({ description: 'Rebuild: how long the live tables were locked' }),
      })
      .nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'ProjectionJob' });

export const ProjectionStatusSchema = z
  .object({
    job: ProjectionJobSchema.nullable().meta({ description: "This server process's latest job" }),
    rebuildRunning: z.boolean().meta({ description: 'A rebuild holds the lock on this database (any server or the CLI)' }),
  })
  .meta({ id: 'ProjectionStatus' });
const DAY_DESCRIPTION = 'UTC day, YYYY-MM-DD';

export const SalesQuery = z
  .object({
    from: z.iso.date().optional().meta({ description: `${DAY_DESCRIPTION}; default 29 days before \`to\`` }),
    to: z.iso.date().optional().meta({ description: `${DAY_DESCRIPTION}; default today` }),
  })
  .strict();

export const SalesDaySchema = z
  .object({
    day: z.iso.date().meta({ description: DAY_DESCRIPTION }),
    productId: z.string(),
    units: z.number().int(),
    revenueCents: z.number().int().meta({ description: 'Sum of line totals, integer cents in the shop currency' }),
    orders: z.number().int().meta({ description: 'Orders that contained the product' }),
  })
  .meta({ id: 'SalesDay' });

export const SalesResponse = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    days: z.array(SalesDaySchema).meta({ description: 'One row per day and product that sold, by day then product' }),
  })
  .meta({ id: 'SalesResponse' });

const count = z.number().int().min(0);
export const DashboardResponse = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    currency: z.string(),
    funnel: z
      .object({
        opened: count.meta({ description: 'Carts opened in the range (the cohort)' }),
        withItems: count.meta({ description: 'Of those, carts that got at least one item' }),
        checkedOut: count,
        abandoned: count,
        expired: count,
        merged: count.meta({ description: 'Guest carts merged into a shopper cart' }),
        stillOpen: count,
      })
      .meta({ id: 'Funnel' }),
    days: z.array(
      z
        .object({
          day: z.iso.date(),
          cartsOpened: count,
          orders: count,
          revenueCents: z.number().int(),
          abandoned: count,
          expired: count,
          avgSecondsToCheckout: z.number().int().nullable().meta({ description: 'Mean seconds from opening to checkout of the carts checked out that day' }),
          reservationsExpired: count,
        })
        .meta({ id: 'DashboardDay' }),
    ),
    topProducts: z.array(z.object({ productId: z.string(), name: z.string(), units: count, revenueCents: z.number().int(), orders: count })),
    totals: z.object({
      orders: count,
      revenueCents: z.number().int(),
      avgSecondsToCheckout: z.number().int().nullable(),
      reservationsExpired: count,
    }),
  })
  .meta({ id: 'DashboardResponse' });

// ---------------------------------------------------------------- prices that change

export const CheckoutBody = z
  .object({
    expectedTotalCents: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({
        description:
          'The total the shopper was shown, in cents. If catalog prices changed since the lines were added, checkout charges the current prices only when this equals the total at current prices (a CartRepriced event is recorded first); otherwise, or when it is missing, 409 prices_changed and nothing is written.',
      }),
    paymentMethod: z.enum(PAYMENT_METHODS).optional().meta({
      description: 'A test card of the simulated payment provider: card_ok (default) is approved, card_declined is declined (insufficient funds)',
    }),
  })
  .strict()
  .meta({ id: 'CheckoutBody' });

export const UpdateProductBody = z
  .object({
    priceCents: z.number().int().min(0).max(10_000_000).optional().meta({ description: 'New price in cents' }),
    stock: z.number().int().min(0).max(1_000_000).optional().meta({ description: 'New stock (units on hand)' }),
    reason: z.string().trim().max(200).optional().meta({ description: 'Why the stock changed (recorded in the event)' }),
    expectedVersion: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: "The product stream's version the client last saw (0: never changed); a different current version gives 409 version_conflict" }),
  })
  .strict()
  .refine((b) => b.priceCents !== undefined || b.stock !== undefined, { message: 'Send priceCents or stock (or both).', path: ['priceCents'] })
  .meta({ id: 'UpdateProductBody' });

export const AdminProductSchema = ProductSchema.extend({
  version: z.number().int().meta({ description: "The product stream's version (0: unchanged since the seed)" }),
}).meta({ id: 'AdminProduct' });

export const UpdateProductResponse = z
  .object({
    product: AdminProductSchema,
    events: z.array(z.object({ type: z.string(), version: z.number().int() })).meta({ description: 'Appended to product-<id>; empty when nothing changed' }),
  })
  .meta({ id: 'UpdateProductResponse' });

export const PriceChangeSchema = z
  .object({ productId: z.string(), name: z.string(), quantity: z.number().int(), fromCents: z.number().int(), toCents: z.number().int() })
  .meta({ id: 'PriceChange' });

export const RepricingSchema = z
  .object({
    lines: z.array(PriceChangeSchema).meta({ description: 'Lines whose current catalog price differs from the price they were added at' }),
    totalCents: z.number().int().meta({ description: 'The total at current prices: what checkout charges' }),
    differenceCents: z.number().int().meta({ description: 'totalCents minus the cart total' }),
  })
  .meta({ id: 'Repricing', description: 'Present only on an open cart with a line whose catalog price changed since it was added' });

// ---------------------------------------------------------------- the order process (admin)

export const AdminOrdersQuery = z
  .object({
    status: OrderStatusSchema.optional().meta({ description: 'Only orders at this status' }),
    limit: z.coerce.number().int().min(1).max(500).optional().meta({ description: 'At most this many (default 100)' }),
  })
  .strict();

export const AdminOrderRowSchema = z
  .object({
    orderId: z.string(),
    cartId: CartIdSchema,
    userId: z.string(),
    itemCount: z.number().int(),
    totalCents: z.number().int(),
    currency: z.string(),
    placedAt: z.iso.datetime(),
    status: OrderStatusSchema,
    attempt: z.number().int(),
    failure: z.object({ step: z.string(), code: z.string(), reason: z.string() }).nullable(),
    nextRunAt: z.iso.datetime().nullable().meta({ description: 'When the runner does the next step (null: confirmed or failed)' }),
    tries: z.number().int().meta({ description: 'Failed tries of the current step' }),
    lastError: z.string().nullable(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'AdminOrderRow' });

export const AdminOrdersResponse = z
  .object({ orders: z.array(AdminOrderRowSchema), counts: z.record(OrderStatusSchema, z.number().int()) })
  .meta({ id: 'AdminOrders' });
