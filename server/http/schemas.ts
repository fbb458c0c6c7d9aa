import { z } from 'zod';
import { MAX_QUANTITY } from '../cart/events';

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
    status: z.enum(['open', 'checked_out']).optional(),
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
    status: z.enum(['open', 'checked_out']),
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

export const CommandResponse = z
  .object({
    cartId: CartIdSchema,
    version: z.number().int(),
    events: z.array(z.object({ type: z.string(), version: z.number().int() })),
    orderId: z.string().optional(),
    cart: CartSchema,
  })
  .meta({ id: 'CommandResponse' });

export const ActorSchema = z.object({ userId: z.string(), role: z.enum(['shopper', 'admin', 'system']) });

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
