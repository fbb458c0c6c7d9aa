import 'server-only';
import { createHash, randomUUID } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import { getDb, getDbHandle, type Db } from '@/db/client';
import { send, settled } from '@/db/pipeline';
import { carts, streams } from '@/db/schema';
import { append, claimCommand, ConcurrencyError, recordCommandResult, type Actor } from '../eventstore';
import { AppError } from '../http/errors';
import { publishCartChange } from '../live/notify';
import { log } from '../log';
import { pgCode } from '../projections/sql';
import { recordCommand, recordRetry } from '../metrics';
import { decide, type CartCommand } from './decide';
import { CartError } from './errors';
import { toEnvelope } from './envelope';
import { CART_STREAM_TYPE, cartStreamId, type CartEvent, type CartEventEnvelope } from './events';
import { fold, type CartState } from './evolve';
import { enqueue } from '../outbox/write';
import { cartIntegrationMessages } from './integration';
import { projectCart } from './projections';
import { lapsedLines, productAsIs, productForReservation, productsForCheckout, projectReservations, requireAvailable, STOCK_CHANGED } from './reservations';
import { readTiming } from './timing';
import { loadState, loadStateAfterLock, writeSnapshotsFor } from './snapshots';
import { currentSchemaVersion } from './upcast';
import type { PaymentMethod } from '../orders/events';
import { driveAfterCheckout, placeOrder, type OrderSummary } from '../orders/place';

/** Everything about a request that is not the command itself. */
export type CommandContext = {
  actor: Actor;
  /** If-Match: the version the client last saw; a mismatch is refused (412) instead of retried. */
  expectedVersion?: number;
  idempotencyKey?: string;
  correlationId?: string;
  causationId?: string;
  now?: () => Date;
};

export type CommandResult = {
  cartId: string;
  version: number;
  events: { type: CartEvent['type']; version: number }[];
  orderId?: string;
  cart: CartState;
};

export type HandledCommand = CommandResult & { replayed: boolean };

export { toEnvelope };

/**
 * The cart now, at a version or at a moment, from the nearest snapshot plus the events after it
 * (see snapshots.ts). `events` holds only those events (upcast), not the whole stream.
 */
export async function loadCart(db: Db, cartId: string, opts: { toVersion?: number; until?: Date } = {}) {
  return loadState(db, cartId, opts);
}

const MAX_ATTEMPTS = 8;
const RETRYABLE_PG = new Set(['40001', '40P01']); // serialization failure, deadlock

function retryable(e: unknown): boolean {
  if (e instanceof ConcurrencyError) return true;
  const code = pgCode(e);
  return code !== undefined && RETRYABLE_PG.has(code);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reads what a command needs besides the cart. `lock`: take the product lock now (see
 * productForReservation); without it the handler checks the stock again among the writes.
 */
type Build = ((tx: Db, state: CartState | null, opts: { lock: boolean }) => Promise<CartCommand>) & { independentOfState?: boolean };

/** A build that reads nothing of the cart: the handler starts it in the round trip that loads the cart. */
function independentOfState(fn: (tx: Db, opts: { lock: boolean }) => Promise<CartCommand>): Build {
  return Object.assign((tx: Db, _state: CartState | null, opts: { lock: boolean }) => fn(tx, opts), { independentOfState: true });
}

/** Work a command does in its transaction after the cart's events (checkout places the order). */
export type AfterAppend = (tx: Db, cart: CartState, events: CartEventEnvelope[], meta: { correlationId: string; commandId: string }) => Promise<void>;

/**
 * Load -> decide -> append(expected version) -> project, in one transaction. The stream row is locked
 * first, so concurrent commands on one cart queue up instead of failing; conflicts that still happen
 * (a brand-new stream, deadlocks) are retried with jittered backoff unless the caller sent If-Match.
 */
export async function handleCartCommand(
  cartId: string,
  kind: string,
  requestBody: unknown,
  ctx: CommandContext,
  build: Build,
  tx?: Db,
  afterAppend?: AfterAppend,
): Promise<HandledCommand> {
  const db = getDb();
  const streamId = cartStreamId(cartId);
  const commandId = ctx.idempotencyKey ? `${ctx.actor.userId}:${ctx.idempotencyKey}` : randomUUID();
  // Opening picks a fresh random cart id per request, so a repeat would never match: the id stays out.
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([kind, kind === 'open' ? null : cartId, requestBody ?? null]))
    .digest('hex');
  const correlationId = ctx.correlationId ?? randomUUID();
  const now = ctx.now ?? (() => new Date());

  // On PostgreSQL a command of its own transaction reads the product without its lock and checks again
  // among the writes (see productForReservation). Inside a caller's transaction a failed check could not be
  // retried, and PGlite runs one transaction at a time anyway: there the lock is taken first.
  const lateStockCheck = !tx && getDbHandle().kind === 'postgres';
  const run: Run = { cartId, streamId, kind, ctx, build, commandId, fingerprint, correlationId, now, afterAppend, lateStockCheck, inCallersTransaction: tx !== undefined };
  const started = performance.now();
  try {
    const result = await attempts(db, run, tx);
    // The live notification of a command in its own transaction goes out after the commit, in a statement
    // of its own (publishCartChange): a transaction that runs NOTIFY holds a database-wide lock through its
    // commit's flush to disk, so commands that notified inside their transaction committed one after
    // another instead of sharing flushes. The command has committed by then: the answer does not wait for
    // the notification, and a failed one (the database gone a moment later) is logged, not answered as
    // the command's failure (listeners see the cart on their next fetch).
    if (!tx && !result.replayed) {
      notifyLive(db, cartId, result, { own: true }).catch((e) => log.warn({ err: e, cartId }, 'live notification after the commit failed'));
    }
    recordCommand(kind, (performance.now() - started) / 1000, { eventsAppended: result.replayed ? 0 : result.events.length });
    return result;
  } catch (e) {
    recordCommand(kind, (performance.now() - started) / 1000, { error: e });
    throw e;
  }
}

async function attempts(db: Db, run: Run, tx?: Db): Promise<HandledCommand> {
  if (tx) return executeCommand(tx, run);
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction((tx) => executeCommand(tx, run));
    } catch (e) {
      if (e instanceof ConcurrencyError && run.ctx.expectedVersion !== undefined) throw preconditionFailed(run.ctx.expectedVersion, e.actual);
      if (pgCode(e) === STOCK_CHANGED && run.lateStockCheck && attempt < MAX_ATTEMPTS) {
        // The product changed between the read and the check: run again, this time with the lock first.
        run.lateStockCheck = false;
        recordRetry();
        continue;
      }
      if (!retryable(e) || attempt >= MAX_ATTEMPTS) throw e;
      recordRetry();
      await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
    }
  }
}

type Run = {
  cartId: string;
  streamId: string;
  kind: string;
  ctx: CommandContext;
  build: Build;
  commandId: string;
  fingerprint: string;
  correlationId: string;
  now: () => Date;
  afterAppend?: AfterAppend;
  /** Read products without their lock and check the stock again among the writes (set per attempt). */
  lateStockCheck: boolean;
  /** The command runs inside a transaction of its caller's (which sends its notifications). */
  inCallersTransaction: boolean;
};

async function executeCommand(tx: Db, run: Run): Promise<HandledCommand> {
  const { cartId, streamId, kind, ctx, build, commandId, fingerprint, correlationId, now, afterAppend } = run;
  // Round trips, not statements, bound a command: what does not depend on an answer is sent before it
  // is awaited, and postgres.js pipelines it on the transaction's connection. PostgreSQL still runs the
  // statements one after the other in the order sent, each (READ COMMITTED) with a snapshot taken when it
  // starts, so a read sent behind a lock sees what the lock's holder committed, as if it had waited.
  const claim = ctx.idempotencyKey ? send(claimCommand<CommandResult>(tx, commandId, streamId, fingerprint)) : undefined;
  const locking = send(tx.select({ v: streams.version }).from(streams).where(eq(streams.streamId, streamId)).for('update'));
  const load = send(loadStateAfterLock(tx, cartId, locking.then(([row]) => row?.v ?? null)));
  // A build that does not read the cart (AddItem: the product's lock and what other carts hold) goes
  // out with the load, behind the cart's lock as before.
  const lock = { lock: !run.lateStockCheck };
  const early = build.independentOfState ? send(build(tx, null, lock)) : undefined;
  const sent = () => Promise.allSettled([claim, locking, load, early]);
  let state: CartState | null;
  try {
    if (claim) {
      const c = await claim;
      if (!c.claimed) {
        if (!c.sameRequest) {
          throw new AppError(422, 'idempotency_key_reused', 'This Idempotency-Key was used for a different request.');
        }
        await sent();
        return { ...c.result, replayed: true };
      }
    }
    ({ state } = await load);
    authorizeWrite(ctx.actor, state, kind);
    const version = state?.version ?? 0;
    if (ctx.expectedVersion !== undefined && ctx.expectedVersion !== version) {
      throw preconditionFailed(ctx.expectedVersion, version);
    }
  } catch (e) {
    await sent();
    throw e;
  }
  const version = state?.version ?? 0;
  const command = await (early ?? build(tx, state, lock));
  const newEvents = decide(command, state);
  const toStore = newEvents.map((e) => ({ ...e, schemaVersion: currentSchemaVersion(e.type) }));
  const occurredAt = now();
  // Sent before the append, so a failed check leaves nothing behind it standing.
  const checking = run.lateStockCheck ? stockCheck(tx, run, command, state, newEvents) : undefined;
  const appending = send(
    append(tx, streamId, toStore, {
      streamType: CART_STREAM_TYPE,
      expectedVersion: state ? version : 'no_stream',
      metadata: { actor: ctx.actor, correlationId, causationId: ctx.causationId ?? commandId, commandId },
      occurredAt,
    }),
  );
  const checkedOut = newEvents.find((e) => e.type === 'CartCheckedOut');
  const [locked] = await locking;
  // On a stream whose row this transaction holds at the version it loaded, the append cannot find another
  // version: the events it stores are known before it answers (versions after the loaded one, this
  // command's time), so the read-model writes go out right behind it, in the same round trip. Checkout
  // (which places its order after them) keeps the step-by-step order.
  if (state && locked?.v === version && !checkedOut && !afterAppend) {
    const expected = toStore.map((e, i) => toEnvelope({ ...STORED_SHAPE, type: e.type, schemaVersion: e.schemaVersion, data: e.data, streamVersion: version + i + 1, occurredAt }));
    const expectedAfter = fold(expected, state)!;
    const expectedResult = commandResult(cartId, expectedAfter, expected, undefined);
    const [, appended] = await settled([checking, appending, ...writeReadModels(tx, run, state, expectedAfter, expected, expectedResult)] as const);
    const envelopes = appended.events.map(toEnvelope);
    if (envelopes.length !== expected.length || envelopes.some((e, i) => e.version !== expected[i].version || e.occurredAt !== expected[i].occurredAt)) {
      throw new Error(`append to ${streamId} stored other versions than the read models were written for`); // never expected: the stream row is locked
    }
    return { ...commandResult(cartId, fold(envelopes, state)!, envelopes, undefined), replayed: false };
  }
  await checking;
  const appended = await appending;
  const envelopes = appended.events.map(toEnvelope);
  const after = fold(envelopes, state);
  if (!after) throw new CartError('not_found', 'cart_not_found', 'Cart not found.');
  const result = commandResult(cartId, after, envelopes, checkedOut?.data.orderId);
  await settled(writeReadModels(tx, run, state, after, envelopes, result));
  // Checkout: the order is placed in this transaction (server/orders/place.ts).
  if (afterAppend && envelopes.length > 0) await afterAppend(tx, after, envelopes, { correlationId, commandId });
  return { ...result, replayed: false };
}

/**
 * A command that raises a reservation on an unlocked read: the product's lock and the check again
 * (requireAvailable), for the whole line the cart will hold, at the clock of this moment.
 */
function stockCheck(tx: Db, run: Run, command: CartCommand, state: CartState | null, newEvents: CartEvent[]): Promise<void> | undefined {
  if (command.type !== 'AddItem' && command.type !== 'ChangeQuantity') return undefined;
  const product = command.data.product;
  const raises = newEvents.some((e) => (e.type === 'ItemAdded' || e.type === 'ItemQuantityChanged') && e.data.reservedUntil);
  if (!product || !raises) return undefined;
  const current = state?.items.find((l) => l.productId === product.productId)?.quantity ?? 0;
  const quantity = command.type === 'AddItem' ? current + command.data.quantity : command.data.quantity;
  return send(requireAvailable(tx, { product, cartId: run.cartId, now: run.now(), quantity }));
}

/** The columns of a stored event that toEnvelope does not read. */
const STORED_SHAPE = { globalPosition: 0, streamId: '', streamType: CART_STREAM_TYPE, metadata: null as never, recordedAt: new Date(0), transactionId: 0 };

function commandResult(cartId: string, after: CartState, envelopes: CartEventEnvelope[], orderId: string | undefined): CommandResult {
  return {
    cartId,
    version: after.version,
    events: envelopes.map((e) => ({ type: e.type, version: e.version })),
    ...(orderId ? { orderId } : {}),
    cart: after,
  };
}

/** Tells the live listeners (server/live) that the cart changed; they fetch it themselves. */
function notifyLive(db: Db, cartId: string, result: CommandResult, opts = { own: false }) {
  return publishCartChange(db, changeOf(cartId, result), opts);
}

const changeOf = (cartId: string, result: CommandResult) => ({
  cartId,
  userId: result.cart.userId,
  version: result.version,
  types: result.events.map((e) => e.type),
});

/**
 * The writes after the append (read models, outbox, snapshots, the idempotency record, the live
 * notification): they depend on no answer of each other, so they are sent together (and awaited together).
 */
function writeReadModels(tx: Db, run: Run, state: CartState | null, after: CartState, envelopes: CartEventEnvelope[], result: CommandResult) {
  const { cartId, streamId, ctx, commandId, correlationId } = run;
  return [
    envelopes.length > 0 ? projectCart(tx, after, envelopes) : undefined,
    enqueue(tx, cartIntegrationMessages(streamId, after, envelopes, correlationId)),
    projectReservations(tx, state, envelopes),
    writeSnapshotsFor(tx, streamId, state, envelopes),
    ctx.idempotencyKey ? recordCommandResult(tx, commandId, result) : undefined,
    // In a caller's transaction: delivered on its commit (else handleCartCommand sends it after ours).
    run.inCallersTransaction ? notifyLive(tx, cartId, result) : undefined,
  ];
}

function preconditionFailed(expected: number, actual: number) {
  return new AppError(412, 'version_mismatch', `The cart is at version ${actual}, not ${expected}. Reload it and try again.`, {
    details: { expectedVersion: expected, currentVersion: actual },
    headers: { ETag: `"${actual}"` },
  });
}

/** Shoppers change only their own carts; to anyone else a cart that is not theirs does not exist. */
function authorizeWrite(actor: Actor, state: CartState | null, kind: string) {
  if (!state) {
    if (kind !== 'open') throw new CartError('not_found', 'cart_not_found', 'Cart not found.');
    return;
  }
  if (state.userId === actor.userId) return;
  if (actor.role === 'system') return; // the sweeper: expiry and lapsed reservations
  if (actor.role === 'admin') throw new AppError(403, 'forbidden', "Admins may read shoppers' carts but not change them.");
  throw new CartError('not_found', 'cart_not_found', 'Cart not found.');
}

// ------------------------------------------------------------------ the commands

export function openCart(ctx: CommandContext, opts: { currency?: string } = {}, tx?: Db) {
  const cartId = randomUUID();
  return handleCartCommand(
    cartId,
    'open',
    opts,
    ctx,
    async () => ({ type: 'OpenCart', data: { cartId, userId: ctx.actor.userId, currency: opts.currency ?? 'EUR' } }),
    tx,
  );
}

/**
 * The shopper's open cart, opened if there is none. A per-user advisory lock makes two devices that
 * add at the same moment share one new cart instead of opening two.
 */
export async function ensureOpenCart(ctx: CommandContext): Promise<string> {
  return getDb().transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'open-cart:' + ctx.actor.userId}))`);
    const [open] = await tx
      .select({ cartId: carts.cartId })
      .from(carts)
      .where(and(eq(carts.userId, ctx.actor.userId), eq(carts.status, 'open')))
      .orderBy(desc(carts.updatedAt))
      .limit(1);
    if (open) return open.cartId;
    return (await openCart({ ...ctx, idempotencyKey: undefined, expectedVersion: undefined }, {}, tx)).cartId;
  });
}

/** The clock of this command and the expiry of a reservation it takes (RESERVATION_TTL from now). */
function reservationClock(ctx: CommandContext) {
  const now = (ctx.now ?? (() => new Date()))();
  return { now, reservedUntil: new Date(now.getTime() + readTiming().RESERVATION_TTL * 1000).toISOString() };
}

export function addItem(ctx: CommandContext, cartId: string, input: { productId: string; quantity: number }) {
  return handleCartCommand(
    cartId,
    'add',
    input,
    ctx,
    independentOfState(async (tx, lock) => {
      const { now, reservedUntil } = reservationClock(ctx);
      const product = await productForReservation(tx, input.productId, cartId, now, lock);
      return { type: 'AddItem', data: { ...input, product, reservedUntil } };
    }),
  );
}

export function changeQuantity(ctx: CommandContext, cartId: string, input: { productId: string; quantity: number }) {
  return handleCartCommand(cartId, 'change', input, ctx, async (tx, state, lock) => {
    const { now, reservedUntil } = reservationClock(ctx);
    const current = state?.items.find((l) => l.productId === input.productId)?.quantity ?? 0;
    // Only an increase takes units (and the product lock); a decrease just frees some.
    const product = input.quantity > current ? await productForReservation(tx, input.productId, cartId, now, lock) : await productAsIs(tx, input.productId);
    return { type: 'ChangeQuantity', data: { ...input, product, reservedUntil } };
  });
}

export function removeItem(ctx: CommandContext, cartId: string, input: { productId: string }) {
  return handleCartCommand(cartId, 'remove', input, ctx, async () => ({ type: 'RemoveItem', data: input }));
}

export type CheckoutInput = { expectedTotalCents?: number; paymentMethod?: PaymentMethod };
export type CheckoutResult = HandledCommand & { order?: OrderSummary };

/**
 * Checkout: the cart is checked out and the order placed (OrderPlaced, in the order's own stream) in
 * one transaction; the order's units stay held. Then the order process runs (payment, stock,
 * confirmation; server/orders/runner.ts) for up to ORDER_CHECKOUT_WAIT, and the answer says how far
 * it got (`order.status`: confirmed, failed with the reason, or still placed/paid: it goes on in the
 * background). expectedTotalCents: the total the shopper was shown; without it a repriced cart is
 * refused (decide.ts).
 */
export async function checkOut(ctx: CommandContext, cartId: string, input: CheckoutInput = {}): Promise<CheckoutResult> {
  const { expectedTotalCents, paymentMethod } = input;
  // Without a shown total or a card the request body stays null, as before, so earlier Idempotency-Keys still match.
  const shown = { ...(expectedTotalCents === undefined ? {} : { expectedTotalCents }), ...(paymentMethod ? { paymentMethod } : {}) };
  const body = Object.keys(shown).length === 0 ? null : shown;
  const result = await handleCartCommand(
    cartId,
    'checkout',
    body,
    ctx,
    async (tx, state) => ({
      type: 'CheckOut',
      data: {
        orderId: newOrderId(),
        // A line whose reservation lapsed is checked against what other carts hold now.
        products: await productsForCheckout(tx, (state?.items ?? []).map((l) => l.productId), cartId, (ctx.now ?? (() => new Date()))()),
        ...(expectedTotalCents === undefined ? {} : { expectedTotalCents }),
      },
    }),
    undefined,
    placeOrder(ctx, paymentMethod ?? 'card_ok'),
  );
  if (!result.orderId) return result;
  const order = await driveAfterCheckout(result.orderId);
  if (order.status !== 'failed') return { ...result, order };
  // The order failed and reopened the cart: answer with the cart as it is now (open, at its new version).
  const { state } = await loadCart(getDb(), cartId);
  return state ? { ...result, order, cart: state, version: state.version } : { ...result, order };
}

/** Short, readable, unguessable order numbers. */
function newOrderId() {
  return 'ord_' + randomUUID().replace(/-/g, '').slice(0, 16);
}

// ------------------------------------------------------------------ closing carts, lapsed reservations

/** The shopper gives the cart up: CartAbandoned, its reservations released. */
export function abandonCart(ctx: CommandContext, cartId: string) {
  return handleCartCommand(cartId, 'abandon', null, ctx, async () => ({ type: 'AbandonCart', data: {} }));
}

/** The sweeper's actor: events it appends say so. */
export const SYSTEM_ACTOR = { userId: 'system', role: 'system' } as const;

/** Sweeper: expire the cart if it has been inactive for ttlSeconds at ctx.now (a no-op otherwise). */
export function expireCart(ctx: CommandContext, cartId: string, ttlSeconds: number, tx?: Db) {
  const now = (ctx.now ?? (() => new Date()))();
  const inactiveBefore = new Date(now.getTime() - ttlSeconds * 1000).toISOString();
  return handleCartCommand(cartId, 'expire', { ttlSeconds }, ctx, async () => ({ type: 'ExpireCart', data: { inactiveBefore, ttlSeconds } }), tx);
}

/** Sweeper: release the lines whose reservation lapsed by ctx.now (read under the cart's lock). */
export function expireReservations(ctx: CommandContext, cartId: string, tx?: Db) {
  return handleCartCommand(cartId, 'expire-reservations', null, ctx, async (t) => ({
    type: 'ExpireReservations',
    data: { productIds: await lapsedLines(t, cartId, (ctx.now ?? (() => new Date()))()) },
  }), tx);
}
