'use server';

import { revalidatePath } from 'next/cache';
import { headers } from 'next/headers';
import { z } from 'zod';
import { currentUser } from '../auth';
import { ensureGuestId, guestActor, readGuestId } from '../guest/identity';
import { inAction } from '../http/action-context';
import { toAppError } from '../http/errors';
import { currentRequestId } from '../http/request-context';
import { log } from '../log';
import { clientIp, takeCommand } from '../http/rate-limit';
import { AddItemBody, CartIdSchema, ChangeQuantityBody, ProductIdSchema } from '../http/schemas';
import { CartError } from './errors';
import type { CartState } from './evolve';
import { getOpenCart, withRepricing } from './queries';
import type { Repricing } from './reprice';
import { PAYMENT_METHODS, type PaymentMethod } from '../orders/events';
import type { OrderSummary } from '../orders/place';
import { abandonCart, addItem, changeQuantity, checkOut, ensureOpenCart, removeItem, type CommandContext } from './handler';

export type ActionError = { code: string; message: string; fieldErrors?: Record<string, string[]>; retryAfterSeconds?: number };
/** The cart comes back with `repricing` when a line's catalog price changed, like GET /api/carts/{id}. */
export type CartActionResult =
  | { ok: true; cart: CartState & { repricing?: Repricing }; orderId?: string; order?: OrderSummary }
  | { ok: false; error: ActionError };

/**
 * The signed-in actor, else the browser's guest (made now when `asGuest` is 'create': the first add);
 * the request id (see inAction) is the events' correlation id, as for the API.
 */
async function context(asGuest: 'create' | 'existing' | 'no'): Promise<CommandContext | null> {
  const user = await currentUser();
  if (user) return { actor: { userId: user.userId, role: user.role }, correlationId: currentRequestId() };
  if (asGuest === 'no') return null;
  const guestId = asGuest === 'create' ? await ensureGuestId() : await readGuestId();
  return guestId ? { actor: guestActor(guestId), correlationId: currentRequestId() } : null;
}

function run(
  input: unknown,
  schema: z.ZodType,
  fn: (ctx: CommandContext) => Promise<{ cart: CartState; orderId?: string; order?: OrderSummary }>,
  asGuest: 'create' | 'existing' | 'no' = 'existing',
): Promise<CartActionResult> {
  return inAction(() => runCommand(input, schema, fn, asGuest));
}

async function runCommand(
  input: unknown,
  schema: z.ZodType,
  fn: (ctx: CommandContext) => Promise<{ cart: CartState; orderId?: string; order?: OrderSummary }>,
  asGuest: 'create' | 'existing' | 'no',
): Promise<CartActionResult> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: 'invalid_input',
        message: parsed.error.issues[0]?.message ?? 'Invalid input.',
        fieldErrors: z.flattenError(parsed.error).fieldErrors as Record<string, string[]>,
      },
    };
  }
  const ctx = await context(asGuest);
  if (!ctx) return { ok: false, error: { code: 'unauthorized', message: 'Sign in first.' } };
  const limited = takeCommand(ctx.actor.userId, clientIp(await headers()));
  if (limited) {
    return { ok: false, error: { code: limited.code, message: limited.message, retryAfterSeconds: Number(limited.extra.details?.retryAfterSeconds) } };
  }
  try {
    const result = await fn(ctx);
    revalidatePath('/', 'layout');
    const [cart] = await withRepricing([result.cart]);
    return { ok: true, cart, ...(result.orderId ? { orderId: result.orderId } : {}), ...(result.order ? { order: result.order } : {}) };
  } catch (e) {
    const err = toAppError(e);
    if (err.status >= 500) log.error({ err: e }, 'server action failed');
    return { ok: false, error: { code: err.code, message: err.message } };
  }
}

/**
 * From the catalog: into the shopper's open cart (opened on first add). Signed out, into a guest cart
 * (the guest cookie is made on this first add); it is merged into the shopper's cart on sign-in.
 * `returnTo` is kept for callers from before guest carts; it is no longer used.
 */
export async function addToCartAction(productId: string, quantity = 1, returnTo = '/'): Promise<CartActionResult> {
  void returnTo;
  return run({ productId, quantity }, AddItemBody, async (ctx) => {
    for (let attempt = 0; ; attempt++) {
      const cartId = await ensureOpenCart(ctx);
      try {
        return await addItem(ctx, cartId, { productId, quantity });
      } catch (e) {
        // Checked out on another device between finding the cart and adding: open a new one once.
        if (attempt === 0 && e instanceof CartError && e.code === 'cart_closed') continue;
        throw e;
      }
    }
  }, 'create');
}

const LineInput = z.object({ cartId: CartIdSchema, productId: ProductIdSchema });

export async function changeQuantityAction(cartId: string, productId: string, quantity: number): Promise<CartActionResult> {
  return run({ cartId, productId, quantity }, LineInput.extend(ChangeQuantityBody.shape), (ctx) =>
    changeQuantity(ctx, cartId, { productId, quantity }),
  );
}

export async function removeItemAction(cartId: string, productId: string): Promise<CartActionResult> {
  return run({ cartId, productId }, LineInput, (ctx) => removeItem(ctx, cartId, { productId }));
}

/**
 * expectedTotalCents: the total the page showed (at current prices when a price changed). Checkout
 * charges nothing else: a stale total gets prices_changed and the page then shows the new prices.
 * paymentMethod: the test card picked. The answer carries how far the order process got (`order`).
 */
export async function checkoutAction(cartId: string, expectedTotalCents?: number, paymentMethod?: PaymentMethod): Promise<CartActionResult> {
  return run(
    { cartId, expectedTotalCents, paymentMethod },
    z.object({ cartId: CartIdSchema, expectedTotalCents: z.number().int().min(0).optional(), paymentMethod: z.enum(PAYMENT_METHODS).optional() }),
    (ctx) => checkOut(ctx, cartId, { expectedTotalCents, paymentMethod }),
    // Guests sign in first (their cart comes along): an order belongs to an account.
    'no',
  );
}

/** Give the cart up: it closes as abandoned and its reserved stock goes back on the shelf. */
export async function abandonCartAction(cartId: string): Promise<CartActionResult> {
  return run({ cartId }, z.object({ cartId: CartIdSchema }), (ctx) => abandonCart(ctx, cartId));

}

/** The browser's open cart, for a guest's cart page to refresh (the JSON API is for signed-in clients). */
export async function openGuestCartAction(): Promise<(CartState & { repricing?: Repricing }) | null> {
  return inAction(async () => {
    if (await currentUser()) return null;
    const guestId = await readGuestId();
    const cart = guestId ? await getOpenCart(guestActor(guestId)) : null;
    return cart ? ((await withRepricing([cart]))[0] as CartState & { repricing?: Repricing }) : null;
  });
}
