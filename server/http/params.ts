import 'server-only';
import { z } from 'zod';
import { notFound } from './errors';
import { CartIdSchema, ProductIdSchema } from './schemas';

/** A malformed id cannot name a cart, so it is answered like a missing one: 404, no hint. */
export function cartIdParam(raw: string): string {
  const parsed = CartIdSchema.safeParse(raw);
  if (!parsed.success) throw notFound('cart_not_found', 'Cart not found.');
  return parsed.data;
}

export function productIdParam(raw: string): string {
  // Next has already decoded the segment; decoding again would turn %25 into % and throw on it.
  const parsed = ProductIdSchema.safeParse(raw);
  if (!parsed.success) throw notFound('line_not_found', 'This cart has no such line.');
  return parsed.data;
}

export const OrderIdParam = z.string().regex(/^ord_[a-f0-9]{16}$/);
