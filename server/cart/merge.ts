import 'server-only';
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/db/client';
import { carts, streams } from '@/db/schema';
import { ConcurrencyError, readStream, type Actor } from '../eventstore';
import { getProduct, toSnapshot } from '../catalog/queries';
import { recordRetry } from '../metrics';
import type { ProductSnapshot } from './decide';
import { cartStreamId, type MergedLine, type MergeShortfall } from './events';
import { handleCartCommand, openCart, type CommandContext } from './handler';
import { loadState } from './snapshots';

// On sign-in a guest's open cart is merged into the shopper's open cart (opened if there is none):
// GuestCartMerged on the shopper's cart, CartMergedInto on the guest's (which closes it), both in ONE
// transaction, so either both carts show the merge or neither changed. The guest cart's stream row is
// locked first; a second merge (another tab, a retry) then finds it closed and does nothing.

export type MergeOutcome = { fromCartId: string; intoCartId: string; lines: MergedLine[]; capped: MergeShortfall[] };

const MAX_ATTEMPTS = 5;
const RETRYABLE_PG = new Set(['40001', '40P01']);
const retryable = (e: unknown) => {
  if (e instanceof ConcurrencyError) return true;
  const err = e as { code?: string; cause?: { code?: string } };
  return RETRYABLE_PG.has(err?.code ?? err?.cause?.code ?? '');
};

/** Merges every open, non-empty cart of `guestId` into `shopper`'s open cart. Returns what was merged. */
export async function mergeGuestCarts(
  shopper: Actor,
  guestId: string,
  opts: { correlationId?: string; now?: () => Date } = {},
): Promise<MergeOutcome[]> {
  if (shopper.role === 'guest' || shopper.role === 'system') throw new Error('Only a signed-in user can take over a guest cart.');
  const correlationId = opts.correlationId ?? randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      return await getDb().transaction((tx) => mergeIn(tx, shopper, guestId, { correlationId, now: opts.now }));
    } catch (e) {
      if (!retryable(e) || attempt >= MAX_ATTEMPTS) throw e;
      recordRetry();
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
}

async function mergeIn(tx: Db, shopper: Actor, guestId: string, meta: { correlationId: string; now?: () => Date }): Promise<MergeOutcome[]> {
  // The same per-user lock ensureOpenCart takes: the shopper's other devices cannot open a second cart meanwhile.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'open-cart:' + shopper.userId}))`);
  const guestCarts = await tx
    .select({ cartId: carts.cartId })
    .from(carts)
    .where(and(eq(carts.userId, guestId), eq(carts.status, 'open')))
    .orderBy(asc(carts.createdAt));
  const shopperCtx: CommandContext = { actor: shopper, correlationId: meta.correlationId, now: meta.now };
  const guestCtx: CommandContext = { actor: { userId: guestId, role: 'guest' }, correlationId: meta.correlationId, now: meta.now };
  const outcomes: MergeOutcome[] = [];
  for (const { cartId: fromCartId } of guestCarts) {
    await tx.select({ v: streams.version }).from(streams).where(eq(streams.streamId, cartStreamId(fromCartId))).for('update');
    const { state: guest } = await loadState(tx, fromCartId);
    if (!guest || guest.status !== 'open' || guest.items.length === 0 || guest.userId !== guestId) continue;
    const intoCartId = await openCartOf(tx, shopperCtx, guest.currency);
    const products: Record<string, ProductSnapshot | undefined> = {};
    for (const l of guest.items) {
      const p = await getProduct(l.productId, tx);
      if (p) Object.defineProperty(products, l.productId, { value: toSnapshot(p), enumerable: true });
    }
    const into = await handleCartCommand(
      intoCartId,
      'merge',
      { fromCartId },
      shopperCtx,
      async () => ({ type: 'MergeGuestCart', data: { fromCartId, guestId, lines: guest.items, products } }),
      tx,
    );
    await handleCartCommand(
      fromCartId,
      'merged',
      { intoCartId },
      guestCtx,
      async () => ({ type: 'MarkMergedInto', data: { intoCartId, userId: shopper.userId } }),
      tx,
    );
    // The event's data says what fitted and what did not.
    const [event] = await readStream(tx, cartStreamId(intoCartId), { afterVersion: into.version - 1, toVersion: into.version });
    const data = event.data as { lines: MergedLine[]; capped: MergeShortfall[] };
    outcomes.push({ fromCartId, intoCartId, lines: data.lines, capped: data.capped });
  }
  return outcomes;
}

/** The shopper's most recently changed open cart, or a new one in the guest cart's currency. */
async function openCartOf(tx: Db, ctx: CommandContext, currency: string): Promise<string> {
  const [open] = await tx
    .select({ cartId: carts.cartId })
    .from(carts)
    .where(and(eq(carts.userId, ctx.actor.userId), eq(carts.status, 'open')))
    .orderBy(desc(carts.updatedAt))
    .limit(1);
  if (open) return open.cartId;
  return (await openCart(ctx, { currency }, tx)).cartId;
}

export type MergeNotice = { version: number; fromCartId: string; lines: number; capped: MergeShortfall[] };

/**
 * The guest merge that is a cart's newest event, for the cart page to say what just came in; else
 * null. The caller has already read the cart (and so checked who may see it).
 */
export async function newestGuestMerge(cart: { cartId: string; version: number }): Promise<MergeNotice | null> {
  const [e] = await readStream(getDb(), cartStreamId(cart.cartId), { afterVersion: cart.version - 1, toVersion: cart.version });
  if (e?.type !== 'GuestCartMerged') return null;
  const data = e.data as { fromCartId: string; lines: MergedLine[]; capped: MergeShortfall[] };
  return { version: cart.version, fromCartId: data.fromCartId, lines: data.lines.length, capped: data.capped ?? [] };
}
