import { z } from 'zod';
import {
  AddItemBody,
  CartLineSchema,
  CartEventSchema,
  CartSchema,
  ChangeQuantityBody,
  CommandResponse,
  CreateCartBody,
  ErrorSchema,
  OrderSchema,
  ProductSchema,
  ProjectionJobSchema,
  ProjectionStatusSchema,
  SalesResponse,
  DashboardResponse,
} from './schemas';
import { AuditCursorSchema, AuditEventSchema, AuditFilterParams, AuditPageSchema, AUDIT_MAX_LIMIT } from './schemas';
import { AdminOrdersResponse, CheckoutBody, OrderStatusSchema, OrderSummarySchema, RepricingSchema, UpdateProductBody, UpdateProductResponse } from './schemas';

/** A cart as GET answers it: the read model plus the lines whose catalog price changed since. */
const CartWithPricesSchema = CartSchema.extend({ repricing: RepricingSchema.optional() }).meta({ id: 'CartWithPrices' });

/** Bodies a POST may leave out entirely. */
const optionalBody = new Set(['/api/carts', '/api/carts/{cartId}/checkout']);

type Op = {
  summary: string;
  body?: z.ZodType;
  ok: { status: number; schema: z.ZodType; description: string; contentType?: string };
  errors: number[];
  params?: string[];
  query?: { name: string; schema: z.ZodType; description: string }[];
  command?: boolean;
  auth?: boolean;
  /** Per-operation wording for an error status, where the shared one does not fit. */
  errorText?: Record<number, string>;
};

const errorText: Record<number, string> = {
  400: 'Invalid input (issues listed) or malformed JSON',
  401: 'Not signed in',
  403: 'Signed in but not allowed',
  404: 'Not found, or not yours',
  409: 'Business conflict: cart closed, not enough stock, quantity limit',
  412: 'If-Match did not match the current version',
  413: 'Body larger than 64 KB',
  415: 'Body is not JSON',
  422: 'Idempotency-Key reused for a different request',
  503: 'Database unavailable',
};

const cmdErrors = [400, 401, 404, 409, 412, 413, 415, 422];

const ops: Record<string, Record<string, Op>> = {
  '/api/health': {
    get: {
      summary: 'Liveness: the process is up (does not touch the database)',
      ok: { status: 200, schema: z.object({ status: z.literal('ok'), uptimeSeconds: z.number().int() }), description: 'Alive' },
      errors: [],
      auth: false,
    },
  },
  '/api/ready': {
    get: {
      summary: 'Readiness: the database answers and every migration of this build is applied',
      ok: { status: 200, schema: z.object({ status: z.literal('ready'), database: z.enum(['pglite', 'postgres']), migrations: z.number().int() }), description: 'Ready' },
      errors: [503],
      errorText: { 503: 'Not ready: database_unavailable, or migrations_pending with details.missing naming the migrations (Retry-After)' },
      auth: false,
    },
  },
  '/api/metrics': {
    get: {
      summary: 'Prometheus metrics (text exposition 0.0.4); with METRICS_TOKEN set, send Authorization: Bearer <token>',
      ok: { status: 200, schema: z.string(), description: 'Counters, histograms, subscriber lag and process gauges', contentType: 'text/plain; version=0.0.4' },
      errors: [401],
      errorText: { 401: 'METRICS_TOKEN is set and the bearer token is missing or wrong' },
      auth: false,
    },
  },
  '/api/products': {
    get: { summary: 'The catalog; `available` is stock minus the units live cart reservations hold', ok: { status: 200, schema: z.object({ products: z.array(ProductSchema) }), description: 'Products' }, errors: [], auth: false },
  },
  '/api/carts': {
    get: {
      summary: "The signed-in user's carts",
      query: [
        { name: 'status', schema: z.enum(['open', 'checked_out', 'abandoned', 'expired', 'merged']), description: 'Only carts in this status' },
        { name: 'limit', schema: z.number().int().min(1).max(200), description: 'At most this many (default 100)' },
      ],
      ok: { status: 200, schema: z.object({ carts: z.array(CartWithPricesSchema) }), description: 'Carts, newest first' }, errors: [401] },
    post: { summary: 'Open a new cart', body: CreateCartBody, ok: { status: 201, schema: CommandResponse, description: 'Opened' }, errors: cmdErrors, command: true },
  },
  '/api/carts/{cartId}': {
    get: {
      summary: 'A cart (read model), with the lines whose catalog price changed since they were added (repricing)',
      params: ['cartId'],
      ok: { status: 200, schema: CartWithPricesSchema, description: 'The cart; ETag is its version' },
      errors: [401, 404],
    },
    delete: {
      summary: 'Abandon the cart: CartAbandoned, status abandoned, its stock reservations released; later commands get 409 cart_closed',
      params: ['cartId'],
      ok: { status: 200, schema: CommandResponse, description: 'Abandoned' },
      errors: cmdErrors,
      command: true,
    },
  },
  // Live carts (server/live): server-sent events, one `cart` event `{ cartId, version, types }` per committed change.
  '/api/carts/live': {
    get: { summary: "Server-sent events: your carts' changes (first your open cart's version, if any)", ok: { status: 200, schema: z.string(), description: 'An endless text/event-stream', contentType: 'text/event-stream' }, errors: [401] },
  },
  '/api/carts/{cartId}/live': {
    get: { summary: "Server-sent events: this cart's changes (first its version now)", params: ['cartId'], ok: { status: 200, schema: z.string(), description: 'An endless text/event-stream', contentType: 'text/event-stream' }, errors: [401, 404] },
  },
  '/api/carts/{cartId}/items': {
    post: { summary: 'Add an item', params: ['cartId'], body: AddItemBody, ok: { status: 200, schema: CommandResponse, description: 'Added' }, errors: cmdErrors, command: true },
  },
  '/api/carts/{cartId}/items/{productId}': {
    patch: { summary: "Change a line's quantity (0 removes it)", params: ['cartId', 'productId'], body: ChangeQuantityBody, ok: { status: 200, schema: CommandResponse, description: 'Changed' }, errors: cmdErrors, command: true },
    delete: { summary: 'Remove a line', params: ['cartId', 'productId'], ok: { status: 200, schema: CommandResponse, description: 'Removed' }, errors: cmdErrors, command: true },
  },
  '/api/carts/{cartId}/checkout': {
    post: {
      summary:
        'Check out to an order. Never charges a price the shopper was not shown: if a catalog price changed since a line was added, send the total at current prices (GET the cart: repricing.totalCents) as expectedTotalCents; CartRepriced is then recorded before CartCheckedOut. Without it, or with another total, 409 prices_changed (details.lines: old and new prices) and nothing is written.',
      params: ['cartId'],
      body: CheckoutBody,
      ok: {
        status: 200,
        schema: CommandResponse,
        description:
          'Checked out and the order placed; orderId is set. `order` says how far the order process got (payment, stock, confirmation): confirmed, failed (with the reason; the cart is open again and nothing was charged), or still running in the background (GET /api/orders/{orderId})',
      },
      errors: cmdErrors,
      command: true,
      errorText: {
        409: 'Business conflict: cart closed, not enough stock, prices_changed (details.lines with fromCents/toCents, details.currentTotalCents), total_changed (expectedTotalCents is not the cart total)',
      },
    },
  },
  '/api/carts/{cartId}/events': {
    get: {
      summary: "The cart's events in version order, a page at a time",
      params: ['cartId'],
      query: [
        { name: 'after', schema: z.number().int().min(0), description: 'Cursor: return events after this version' },
        { name: 'limit', schema: z.number().int().min(1).max(500), description: 'Page size (default 100)' },
      ],
      ok: {
        status: 200,
        schema: z.object({ events: z.array(CartEventSchema), nextCursor: z.string().nullable() }),
        description: 'Events; nextCursor is the `after` of the next page, null on the last',
      },
      errors: [400, 401, 404],
    },
  },
  '/api/carts/{cartId}/diff': {
    get: {
      summary: 'What changed between two versions: lines added, removed, changed, and the total delta',
      params: ['cartId'],
      query: [
        { name: 'from', schema: z.number().int().min(1), description: 'Version' },
        { name: 'to', schema: z.number().int().min(1), description: 'Version' },
      ],
      ok: {
        status: 200,
        schema: z.object({
          cartId: z.string(),
          from: z.object({ version: z.number().int(), state: CartSchema }),
          to: z.object({ version: z.number().int(), state: CartSchema }),
          diff: z.object({
            added: z.array(CartLineSchema),
            removed: z.array(CartLineSchema),
            changed: z.array(z.object({ productId: z.string(), name: z.string(), before: z.record(z.string(), z.number()), after: z.record(z.string(), z.number()) })),
            totalDeltaCents: z.number().int(),
            itemCountDelta: z.number().int(),
            status: z.object({ before: z.string(), after: z.string() }).nullable(),
          }),
        }),
        description: 'Both states and the diff',
      },
      errors: [400, 401, 404],
    },
  },
  '/api/carts/{cartId}/state': {
    get: {
      summary: 'The cart as it was at a version or a moment (folded from its events)',
      params: ['cartId'],
      query: [
        { name: 'version', schema: z.number().int().min(1), description: 'Stream version' },
        { name: 'at', schema: z.iso.datetime({ offset: true }), description: 'ISO 8601 time' },
      ],
      ok: { status: 200, schema: z.object({ cartId: z.string(), version: z.number().int(), state: CartSchema }), description: 'The state' },
      errors: [400, 401, 404],
    },
  },
  '/api/orders': {
    get: { summary: "The signed-in user's orders", ok: { status: 200, schema: z.object({ orders: z.array(OrderSchema) }), description: 'Orders' }, errors: [401] },
  },
  '/api/admin/sales': {
    get: {
      summary: 'Sales per product per UTC day (admins only; updated asynchronously, usually within a second)',
      query: [
        { name: 'from', schema: z.iso.date(), description: 'First UTC day, YYYY-MM-DD (default: 29 days before `to`)' },
        { name: 'to', schema: z.iso.date(), description: 'Last UTC day, YYYY-MM-DD (default: today); at most 366 days in all' },
      ],
      ok: { status: 200, schema: SalesResponse, description: 'Rows per day and product, by day then product' },
      errors: [400, 401, 403],
    },
  },
  '/api/admin/analytics': {
    get: {
      summary: 'The admin dashboard: cart funnel, orders and revenue per day, top products, time to checkout, reservation expiries (admins only; asynchronous projections)',
      query: [
        { name: 'from', schema: z.iso.date(), description: 'First UTC day, YYYY-MM-DD (default: 29 days before `to`)' },
        { name: 'to', schema: z.iso.date(), description: 'Last UTC day, YYYY-MM-DD (default: today); at most 366 days in all' },
      ],
      ok: { status: 200, schema: DashboardResponse, description: 'Every figure the dashboard draws' },
      errors: [400, 401, 403],
    },
  },
  '/api/orders/{orderId}': {
    get: { summary: 'An order', params: ['orderId'], ok: { status: 200, schema: OrderSchema, description: 'The order' }, errors: [401, 404] },
  },
  '/api/admin/events': {
    get: {
      summary: 'Admin audit: every event of every cart, newest first, filtered, one page at a time',
      query: [
        ...AuditFilterParams,
        { name: 'limit', schema: z.number().int().min(1).max(AUDIT_MAX_LIMIT), description: 'Page size (default 50)' },
        { name: 'after', schema: AuditCursorSchema, description: 'nextCursor of the previous page: only older events' },
      ],
      ok: { status: 200, schema: AuditPageSchema, description: 'A page of events; nextCursor is null on the last page' },
      errors: [400, 401, 403],
    },
  },
  '/api/admin/events/export': {
    get: {
      summary: 'Admin audit export: every matching event, newest first, streamed as a download',
      query: [
        { name: 'format', schema: z.enum(['csv', 'json']), description: 'csv (default) or json' },
        ...AuditFilterParams,
      ],
      ok: {
        status: 200,
        schema: z.array(AuditEventSchema),
        description:
          'An attachment (Content-Disposition). format=json: a JSON array of AuditEvent. format=csv: text/csv (RFC 4180) with the columns global_position, occurred_at, cart_id, version, type, title, actor_user_id, actor_role, correlation_id, data (JSON)',
      },
      errors: [400, 401, 403],
    },
  },
  '/api/admin/orders': {
    get: {
      summary: 'Admin: every order with its process (status, attempt, failure, the runner\'s schedule), newest first; counts per status',
      query: [
        { name: 'status', schema: OrderStatusSchema, description: 'Only orders at this status' },
        { name: 'limit', schema: z.number().int().min(1).max(500), description: 'At most this many (default 100)' },
      ],
      ok: { status: 200, schema: AdminOrdersResponse, description: 'Orders' },
      errors: [400, 401, 403],
    },
  },
  '/api/admin/orders/{orderId}': {
    get: {
      summary: "Admin: one order with its process's steps (the order stream's events) and the runner's schedule",
      params: ['orderId'],
      ok: { status: 200, schema: OrderSchema.extend({ schedule: z.object({ nextRunAt: z.string().nullable(), tries: z.number().int(), lastError: z.string().nullable(), lockedBy: z.string().nullable(), lockedUntil: z.string().nullable() }).nullable() }), description: 'The order' },
      errors: [401, 403, 404],
    },
  },
  '/api/admin/orders/{orderId}/retry': {
    post: {
      summary:
        'Admin: retry a failed order. Its cart, unchanged since the failure, is checked out again under the same order id (stock held again) and the process runs again from the payment (OrderRetried, the next attempt).',
      params: ['orderId'],
      ok: { status: 200, schema: z.object({ order: OrderSummarySchema }), description: 'How far the retried order got' },
      errors: [401, 403, 404, 409],
      errorText: { 409: 'order_not_failed (only failed orders are retried), cart_changed (the shopper changed the reopened cart: they check out again), insufficient_stock, cart_closed' },
    },
  },
  '/api/admin/products/{productId}': {
    patch: {
      summary:
        "Admin: change a product's price and/or stock. Each change is an event on the product's stream (ProductPriceChanged, ProductStockAdjusted) and updates the catalog in the same transaction; a stock change by d also adds d to the initial stock (verify's invariant).",
      params: ['productId'],
      body: UpdateProductBody,
      ok: { status: 200, schema: UpdateProductResponse, description: 'Changed (events lists what was appended; ETag is the product version)' },
      errors: [400, 401, 403, 404, 409, 413, 415],
      errorText: { 409: 'version_conflict: expectedVersion is not the product\'s current version (someone else changed it)' },
    },
  },
  '/api/admin/projections/status': {
    get: {
      summary: "Admin: this server's verify/rebuild job with its progress and report, and whether a rebuild runs anywhere",
      ok: { status: 200, schema: ProjectionStatusSchema, description: 'Status' },
      errors: [401, 403],
    },
  },
  '/api/admin/projections/verify': {
    post: {
      summary: 'Admin: start a read-only check of the read models against the events (runs in this server process)',
      ok: { status: 202, schema: z.object({ job: ProjectionJobSchema }), description: 'Started; poll the status' },
      errors: [401, 403, 409],
      errorText: { 409: 'A verify or rebuild is already running on this server' },
    },
  },
  '/api/admin/projections/rebuild': {
    post: {
      summary: 'Admin: rebuild the read models from the events into shadow tables and swap them in without downtime',
      ok: { status: 202, schema: z.object({ job: ProjectionJobSchema }), description: 'Started; poll the status' },
      errors: [401, 403, 409],
      errorText: { 409: 'A rebuild is already running (on any server or the CLI), or a verify on this server' },
    },
  },
};

type Json = Record<string, unknown>;

/** Named schemas (zod `.meta({ id })`), collected while the paths are built; refs point at them. */
const components: Record<string, unknown> = {};

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node as Json).map(([k, v]) =>
        k === '$ref' && typeof v === 'string' ? [k, v.replace(/^#\/(definitions|\$defs)\//, '#/components/schemas/')] : [k, rewriteRefs(v)],
      ),
    );
  }
  return node;
}

/** zod -> OpenAPI 3.0 schema; shared named schemas move to components.schemas. */
function schema(s: z.ZodType): unknown {
  const out = z.toJSONSchema(s, { target: 'openapi-3.0', unrepresentable: 'any', io: 'input' }) as Json;
  const defs = (out.definitions ?? out.$defs ?? {}) as Json;
  delete out.definitions;
  delete out.$defs;
  delete out.$schema;
  for (const [name, def] of Object.entries(defs)) components[name] = rewriteRefs(def);
  return rewriteRefs(out);
}

/** OpenAPI 3.0 built from the same zod schemas the route handlers validate with. */
let built: Json | undefined;

export function buildOpenApi(): Json {
  built ??= build();
  return built;
}

function build(): Json {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, methods] of Object.entries(ops)) {
    paths[path] = {};
    for (const [method, op] of Object.entries(methods)) {
      const parameters = [
        ...(op.params ?? []).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
        ...(op.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, description: q.description, schema: schema(q.schema) })),
        ...(op.command
          ? [
              { name: 'If-Match', in: 'header', required: false, description: 'Expected cart version, e.g. "3"; mismatch -> 412', schema: { type: 'string' } },
              { name: 'Idempotency-Key', in: 'header', required: false, description: 'A repeat returns the first result and appends nothing', schema: { type: 'string', maxLength: 200 } },
            ]
          : []),
      ];
      const responses: Record<string, unknown> = {
        [op.ok.status]: { description: op.ok.description, content: { [op.ok.contentType ?? 'application/json']: { schema: schema(op.ok.schema) } } },
      };
      for (const status of op.errors) {
        responses[status] = { description: op.errorText?.[status] ?? errorText[status], content: { 'application/json': { schema: schema(ErrorSchema) } } };
      }
      paths[path][method] = {
        summary: op.summary,
        ...(op.auth === false ? { security: [] } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(op.body ? { requestBody: { required: !optionalBody.has(path), content: { 'application/json': { schema: schema(op.body) } } } } : {}),
        responses,
      };
    }
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'eventcart API',
      version: '1.0.0',
      description:
        'Event-sourced shopping carts. Sign in through Auth.js (POST /api/auth/callback/credentials) and send the session cookie. Money is integer cents.',
    },
    components: { schemas: components, securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'authjs.session-token' } } },
    security: [{ session: [] }],
    paths,
  };
}
