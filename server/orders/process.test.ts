import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { orderProcesses, outbox, products, reservations, simulatedPayments } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds, type TestDbKind } from '@/server/testing/db';
import { cartStreamId } from '../cart/events';
import { addItem, checkOut, loadCart, openCart, type CommandContext } from '../cart/handler';
import { readStream } from '../eventstore';
import { toAppError } from '../http/errors';
import { simulatedProvider } from '../payments/simulated';
import { verifyStore } from '../verify';
import { searchEvents } from '../audit/queries';
import { retryOrder } from './admin';
import { orderStreamId } from './events';
import { runDueOrders, runOrder, setRunnerDepsForTest, type RunnerDeps } from './runner';
import { loadOrder } from './store';

// Checkout as a saga against a real database (PGlite; PostgreSQL with TEST_DATABASE_URL): the happy
// path, compensation when each step fails, a provider that does not answer, and an admin retry.
// Runners get a controlled clock and a provider whose ledger is the test database.

type Handle = DbHandle & { drop: () => Promise<void> };

let users = 0;
const shopper = (): CommandContext => ({ actor: { userId: `saga-shopper-${++users}`, role: 'shopper' } });
const ADMIN = { userId: 'saga-admin', role: 'admin' } as const;

function deps(h: Handle, over: Partial<RunnerDeps> & { unavailableRate?: number } = {}): RunnerDeps & { clock: { now: Date } } {
  // A minute ahead of the wall clock that stamps checkout's events (and so the first step's due time).
  const clock = { now: new Date(Date.now() + 60_000) };
  const { unavailableRate = 0, ...rest } = over;
  return {
    db: h.db,
    provider: simulatedProvider({ failureRate: 0, unavailableRate, delayMs: 0, db: h.db }),
    workerId: `test-runner-${Math.random().toString(36).slice(2, 8)}`,
    leaseMs: 30_000,
    maxTries: 3,
    backoffMs: () => 1000,
    now: () => clock.now,
    clock,
    ...rest,
  };
}

/** An admin's stock change as verify expects it: the initial stock moves with it (like ProductStockAdjusted). */
const setStock = (h: Handle, id: string, to: number) =>
  h.db.update(products).set({ stock: to, initialStock: sql`${products.initialStock} + ${to} - ${products.stock}` }).where(eq(products.id, id));
const stockOf = async (h: Handle, id: string) => (await h.db.select({ stock: products.stock }).from(products).where(eq(products.id, id)))[0].stock;
const holdsOf = async (h: Handle, cartId: string) =>
  h.db.select({ productId: reservations.productId, quantity: reservations.quantity }).from(reservations).where(eq(reservations.cartId, cartId)).orderBy(asc(reservations.productId));
const orderTypes = async (h: Handle, orderId: string) => (await readStream(h.db, orderStreamId(orderId))).map((e) => e.type);
const cartTypes = async (h: Handle, cartId: string) => (await readStream(h.db, cartStreamId(cartId))).map((e) => e.type);
const paymentsOf = async (h: Handle, orderId: string) =>
  h.db.select({ status: simulatedPayments.status, key: simulatedPayments.idempotencyKey }).from(simulatedPayments).where(eq(simulatedPayments.orderId, orderId)).orderBy(asc(simulatedPayments.createdAt));
const subjectsFor = async (h: Handle, cartId: string) =>
  (await h.db.select({ subject: outbox.subject }).from(outbox).where(eq(outbox.partitionKey, cartId)).orderBy(asc(outbox.position))).map((r) => r.subject);

/** A cart with 2 mugs and 1 bag of beans (checkout needs a signed-in shopper's open cart). */
async function filledCart(ctx = shopper()) {
  const { cartId } = await openCart(ctx);
  await addItem(ctx, cartId, { productId: 'ceramic-mug', quantity: 2 });
  await addItem(ctx, cartId, { productId: 'espresso-beans', quantity: 1 });
  return { ctx, cartId };
}

async function expectVerifyClean(h: Handle) {
  expect((await verifyStore(h.db)).differences).toEqual([]);
}

describe.each(testDbKinds())('checkout as an order process on %s', (kind: TestDbKind) => {
  let h: Handle;
  beforeAll(async () => {
    h = await createTestDatabase(kind);
    await seedDemo(h.db);
    setDbHandle(h);
  });
  afterEach(() => setRunnerDepsForTest(undefined));
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('the happy path: checkout places the order and runs it to confirmed; stock taken once, holds released, messages in order', async () => {
    const mugs = await stockOf(h, 'ceramic-mug');
    const { ctx, cartId } = await filledCart();
    expect(await holdsOf(h, cartId)).toEqual([
      { productId: 'ceramic-mug', quantity: 2 },
      { productId: 'espresso-beans', quantity: 1 },
    ]);
    const r = await checkOut(ctx, cartId);
    expect(r.order).toMatchObject({ orderId: r.orderId, status: 'confirmed', attempt: 1, failure: null });
    expect(await orderTypes(h, r.orderId!)).toEqual(['OrderPlaced', 'PaymentAuthorized', 'StockCommitted', 'OrderConfirmed']);
    expect(await stockOf(h, 'ceramic-mug')).toBe(mugs - 2);
    expect(await holdsOf(h, cartId)).toEqual([]);
    expect(await paymentsOf(h, r.orderId!)).toEqual([{ status: 'authorized', key: `${r.orderId}/1` }]);
    expect(await subjectsFor(h, cartId)).toEqual(['cart.checked_out', 'order.confirmed']);
    const [row] = await h.db.select().from(orderProcesses).where(eq(orderProcesses.orderId, r.orderId!));
    expect(row).toMatchObject({ status: 'confirmed', nextRunAt: null, lockedBy: null, holdsStock: false, stockCommitted: true });
    // The order's events carry the shopper's correlation: the order started from their checkout.
    const placed = (await readStream(h.db, orderStreamId(r.orderId!)))[0];
    expect(placed.metadata.actor).toEqual(ctx.actor);
    // The admin audit lists the order's events with the order's id and a title.
    const audit = await searchEvents(ADMIN, { type: 'OrderConfirmed', limit: 200 });
    expect(audit.events.find((e) => e.orderId === r.orderId)).toMatchObject({ cartId: null, title: 'Order confirmed', version: 4, actor: { role: 'system' } });
    await expectVerifyClean(h);
  });

  it('between checkout and the stock step the order holds its units: other carts cannot take them', async () => {
    await setStock(h, 'milk-frother', 3);
    const a = shopper();
    const { cartId } = await openCart(a);
    await addItem(a, cartId, { productId: 'milk-frother', quantity: 3 });
    // Checkout places the order; the runner is held at the payment step.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const d = deps(h, { beforeAction: async (action) => (action === 'authorize_payment' ? gate : undefined) });
    setRunnerDepsForTest(d);
    const pending = checkOut(a, cartId);
    await expect.poll(async () => (await holdsOf(h, cartId)).length, { timeout: 10_000 }).toBe(1);
    await expect.poll(async () => (await loadCart(h.db, cartId)).state?.status, { timeout: 10_000 }).toBe('checked_out');
    const b = shopper();
    const other = await openCart(b);
    const refused = await addItem(b, other.cartId, { productId: 'milk-frother', quantity: 1 }).catch((e) => e);
    expect(toAppError(refused)).toMatchObject({ status: 409, code: 'insufficient_stock' });
    release();
    const r = await pending;
    expect(r.order?.status).toBe('confirmed');
    expect(await stockOf(h, 'milk-frother')).toBe(0);
    await expectVerifyClean(h);
  });

  it('a declined card: the order fails with the reason, the holds are released, the cart reopens with its lines, order.failed goes out', async () => {
    const mugs = await stockOf(h, 'ceramic-mug');
    const { ctx, cartId } = await filledCart();
    const r = await checkOut(ctx, cartId, { paymentMethod: 'card_declined' });
    expect(r.order).toMatchObject({
      status: 'failed',
      failure: { step: 'payment', code: 'insufficient_funds', reason: 'The card was declined: insufficient funds.' },
    });
    expect(await orderTypes(h, r.orderId!)).toEqual(['OrderPlaced', 'OrderStepFailed', 'OrderFailed']);
    expect(await cartTypes(h, cartId)).toEqual(['CartOpened', 'ItemAdded', 'ItemAdded', 'CartCheckedOut', 'CartReopened']);
    const cart = (await loadCart(h.db, cartId)).state!;
    expect(cart).toMatchObject({ status: 'open', orderId: null, itemCount: 3 });
    expect(await holdsOf(h, cartId)).toEqual([]);
    expect(await stockOf(h, 'ceramic-mug')).toBe(mugs);
    expect(await paymentsOf(h, r.orderId!)).toEqual([{ status: 'declined', key: `${r.orderId}/1` }]);
    expect(await subjectsFor(h, cartId)).toEqual(['cart.checked_out', 'order.failed']);
    await expectVerifyClean(h);

    // The shopper checks the reopened cart out again with another card: a new order, confirmed.
    const again = await checkOut(ctx, cartId, { paymentMethod: 'card_ok' });
    expect(again.orderId).not.toBe(r.orderId);
    expect(again.order?.status).toBe('confirmed');
    expect(await stockOf(h, 'ceramic-mug')).toBe(mugs - 2);
    await expectVerifyClean(h);
  });

  it('the stock step fails (stock went below the order behind its hold): payment voided, cart reopened, stock untouched', async () => {
    const { ctx, cartId } = await filledCart();
    const d = deps(h, {
      beforeAction: async (action) => {
        // An admin writes the stock down to 1 while the order is between payment and stock.
        if (action === 'commit_stock') await setStock(h, 'ceramic-mug', 1);
      },
    });
    setRunnerDepsForTest(d);
    const r = await checkOut(ctx, cartId);
    expect(r.order).toMatchObject({ status: 'failed', failure: { step: 'stock', code: 'insufficient_stock', reason: 'Only 1 of Ceramic mug left; the order needs 2.' } });
    expect(await orderTypes(h, r.orderId!)).toEqual(['OrderPlaced', 'PaymentAuthorized', 'OrderStepFailed', 'PaymentVoided', 'OrderFailed']);
    expect(await paymentsOf(h, r.orderId!)).toEqual([{ status: 'voided', key: `${r.orderId}/1` }]);
    expect(await stockOf(h, 'ceramic-mug')).toBe(1);
    expect((await loadCart(h.db, cartId)).state?.status).toBe('open');
    expect(await holdsOf(h, cartId)).toEqual([]);
    await setStock(h, 'ceramic-mug', 40);
    await expectVerifyClean(h);
  });

  it('the confirmation step keeps failing: stock returned, payment voided, then the order fails and the cart reopens', async () => {
    const mugs = await stockOf(h, 'ceramic-mug');
    const { ctx, cartId } = await filledCart();
    const d = deps(h, {
      beforeAction: (action) => {
        if (action === 'confirm') throw new Error('confirmation store unavailable');
      },
    });
    setRunnerDepsForTest(d);
    const r = await checkOut(ctx, cartId);
    // The first failed try reschedules the step: the answer says it is still going.
    expect(r.order?.status).toBe('stock_committed');
    expect(await stockOf(h, 'ceramic-mug')).toBe(mugs - 2);
    const [row] = await h.db.select().from(orderProcesses).where(eq(orderProcesses.orderId, r.orderId!));
    expect(row).toMatchObject({ tries: 1, lastError: 'confirmation store unavailable', lockedBy: null });
    // Not due yet: a runner pass now does nothing.
    expect(await runDueOrders(d)).toBe(0);
    for (let i = 0; i < 3; i++) {
      d.clock.now = new Date(d.clock.now.getTime() + 1500);
      await runDueOrders(d);
    }
    const { state } = await loadOrder(h.db, r.orderId!);
    expect(state).toMatchObject({ status: 'failed', failure: { step: 'confirm', code: 'step_failed' } });
    expect(await orderTypes(h, r.orderId!)).toEqual([
      'OrderPlaced',
      'PaymentAuthorized',
      'StockCommitted',
      'OrderStepFailed',
      'StockReturned',
      'PaymentVoided',
      'OrderFailed',
    ]);
    expect(await stockOf(h, 'ceramic-mug')).toBe(mugs);
    expect(await paymentsOf(h, r.orderId!)).toEqual([{ status: 'voided', key: `${r.orderId}/1` }]);
    expect((await loadCart(h.db, cartId)).state?.status).toBe('open');
    expect(await subjectsFor(h, cartId)).toEqual(['cart.checked_out', 'order.failed']);
    await expectVerifyClean(h);
  });

  it('a provider that does not answer: tried maxTries times with backoff, then failed; an admin retry once it answers confirms the same order', async () => {
    const mugs = await stockOf(h, 'ceramic-mug');
    const { ctx, cartId } = await filledCart();
    const down = deps(h, { unavailableRate: 1 });
    setRunnerDepsForTest(down);
    const r = await checkOut(ctx, cartId);
    expect(r.order?.status).toBe('placed');
    for (let i = 0; i < 3; i++) {
      down.clock.now = new Date(down.clock.now.getTime() + 1500);
      await runDueOrders(down);
    }
    let { state } = await loadOrder(h.db, r.orderId!);
    expect(state).toMatchObject({ status: 'failed', failure: { step: 'payment', code: 'payment_provider_unavailable' } });
    expect(state?.failure?.reason).toBe('The payment provider did not answer (3 tries). Nothing was charged.');
    expect(await paymentsOf(h, r.orderId!)).toEqual([]);
    expect((await loadCart(h.db, cartId)).state?.status).toBe('open');

    // Retrying is for admins, and only for failed orders.
    await expect(retryOrder(ctx.actor, r.orderId!)).rejects.toMatchObject({ status: 403 });
    setRunnerDepsForTest(deps(h));
    const retried = await retryOrder(ADMIN, r.orderId!);
    expect(retried).toMatchObject({ status: 'confirmed', attempt: 2 });
    ({ state } = await loadOrder(h.db, r.orderId!));
    expect(state).toMatchObject({ status: 'confirmed', attempt: 2 });
    expect((await orderTypes(h, r.orderId!)).slice(-5)).toEqual(['OrderFailed', 'OrderRetried', 'PaymentAuthorized', 'StockCommitted', 'OrderConfirmed']);
    expect(await cartTypes(h, cartId)).toEqual(['CartOpened', 'ItemAdded', 'ItemAdded', 'CartCheckedOut', 'CartReopened', 'CartCheckedOut']);
    expect((await loadCart(h.db, cartId)).state).toMatchObject({ status: 'checked_out', orderId: r.orderId });
    expect(await stockOf(h, 'ceramic-mug')).toBe(mugs - 2);
    expect(await paymentsOf(h, r.orderId!)).toEqual([{ status: 'authorized', key: `${r.orderId}/2` }]);
    await expect(retryOrder(ADMIN, r.orderId!)).rejects.toMatchObject({ code: 'order_not_failed' });
    await expectVerifyClean(h);
  });

  it('an admin retry is refused when the shopper changed the reopened cart; nothing is written', async () => {
    const { ctx, cartId } = await filledCart();
    const r = await checkOut(ctx, cartId, { paymentMethod: 'card_declined' });
    expect(r.order?.status).toBe('failed');
    await addItem(ctx, cartId, { productId: 'ceramic-mug', quantity: 1 });
    const before = await orderTypes(h, r.orderId!);
    const err = await retryOrder(ADMIN, r.orderId!).catch((e) => e);
    expect(toAppError(err)).toMatchObject({ status: 409, code: 'cart_changed' });
    expect(await orderTypes(h, r.orderId!)).toEqual(before);
    expect((await loadCart(h.db, cartId)).state?.status).toBe('open');
  });

  it('the same checkout sent twice at once with one Idempotency-Key: one order, and both answers say it is confirmed', async () => {
    const { ctx, cartId } = await filledCart();
    const keyed = { ...ctx, idempotencyKey: `saga-${cartId}` };
    const [a, b] = await Promise.all([checkOut(keyed, cartId), checkOut(keyed, cartId)]);
    expect(a.orderId).toBe(b.orderId);
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
    expect(a.order).toEqual(b.order);
    expect(a.order?.status).toBe('confirmed');
    expect(await paymentsOf(h, a.orderId!)).toHaveLength(1);
  });

  it('two runners on one due order: the lease lets one work; the other returns without a step', async () => {
    const { ctx, cartId } = await filledCart();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = deps(h, { beforeAction: async (action) => (action === 'authorize_payment' ? gate : undefined) });
    setRunnerDepsForTest(first);
    const pending = checkOut(ctx, cartId);
    await expect
      .poll(async () => (await h.db.select().from(orderProcesses).where(eq(orderProcesses.cartId, cartId)))[0]?.lockedBy, { timeout: 10_000 })
      .toMatch(new RegExp(`^${first.workerId}#`));
    const [{ orderId }] = await h.db.select({ orderId: orderProcesses.orderId }).from(orderProcesses).where(eq(orderProcesses.cartId, cartId));
    const second = deps(h);
    expect(await runOrder(second, orderId)).toMatchObject({ status: 'placed' });
    expect(await runDueOrders(second)).toBe(0);
    release();
    expect((await pending).order?.status).toBe('confirmed');
    expect(await paymentsOf(h, orderId)).toHaveLength(1);
  });
});
