import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { orderProcesses, products, simulatedPayments } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { killChildOnLine } from '@/server/testing/child';
import { createTestDatabase, testDbKinds } from '@/server/testing/db';
import { addItem, checkOut, loadCart, openCart } from '../cart/handler';
import { readStream } from '../eventstore';
import { simulatedProvider } from '../payments/simulated';
import { verifyStore } from '../verify';
import { orderStreamId } from './events';
import { runDueOrders, setRunnerDepsForTest, type RunnerDeps } from './runner';

// The order process survives its runner being killed: a runner in a child process is SIGKILLed at a
// step, and after its lease lapses another runner resumes from the events. PostgreSQL only (the child
// needs a database server it can share with the test).

type Handle = DbHandle & { drop: () => Promise<void>; url?: string };

/** Run the child runner on `orderId` until it says it hangs at `hangAt`, then SIGKILL it. */
const killChildAt = (url: string, orderId: string, hangAt: 'after_authorize' | 'before_stock') =>
  killChildOnLine(
    'server/testing/order-runner-child.ts',
    { CHILD_DATABASE_URL: url, CHILD_ORDER_ID: orderId, CHILD_HANG_AT: hangAt, CHILD_LEASE_MS: '1000' },
    /^(hanging \w+|finished)$/m,
  );

describe.each(testDbKinds().filter((k) => k === 'postgres'))('an order runner killed mid-way (database: %s)', (kind) => {
  let h: Handle;
  let deps: RunnerDeps;
  const clock = { now: new Date() };
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

  /** A checked-out cart whose order nobody has run yet (checkout leaves it to the background runner). */
  async function placedOrder(user: string) {
    deps = {
      db: h.db,
      provider: simulatedProvider({ failureRate: 0, unavailableRate: 0, delayMs: 0, db: h.db }),
      workerId: 'resuming-runner',
      leaseMs: 30_000,
      maxTries: 3,
      backoffMs: () => 100,
      now: () => clock.now,
      checkoutWaitMs: 0,
    };
    setRunnerDepsForTest(deps);
    const ctx = { actor: { userId: user, role: 'shopper' as const } };
    const { cartId } = await openCart(ctx);
    await addItem(ctx, cartId, { productId: 'paper-filters', quantity: 3 });
    const r = await checkOut(ctx, cartId);
    expect(r.order?.status).toBe('placed');
    return { cartId, orderId: r.orderId! };
  }

  const types = async (orderId: string) => (await readStream(h.db, orderStreamId(orderId))).map((e) => e.type);
  const stock = async () => (await h.db.select({ s: products.stock }).from(products).where(eq(products.id, 'paper-filters')))[0].s;
  const payments = async (orderId: string) =>
    h.db.select({ id: simulatedPayments.paymentId, status: simulatedPayments.status }).from(simulatedPayments).where(eq(simulatedPayments.orderId, orderId)).orderBy(asc(simulatedPayments.createdAt));

  it('killed after the provider authorised but before the step was recorded: the resumed runner asks again and gets the same payment', async () => {
    const before = await stock();
    const { cartId, orderId } = await placedOrder('resume-shopper-1');
    expect(await killChildAt(h.url!, orderId, 'after_authorize')).toBe('hanging after_authorize');
    expect(await types(orderId)).toEqual(['OrderPlaced']);
    const [auth] = await payments(orderId);
    expect(auth.status).toBe('authorized');
    const [row] = await h.db.select().from(orderProcesses).where(eq(orderProcesses.orderId, orderId));
    expect(row.lockedBy).toMatch(/^child-runner#/);

    // While the dead runner's lease lasts, nobody takes the order over.
    clock.now = new Date(row.lockedUntil!.getTime() - 100);
    expect(await runDueOrders(deps)).toBe(0);
    clock.now = new Date(row.lockedUntil!.getTime() + 1);
    expect(await runDueOrders(deps)).toBe(1);
    expect(await types(orderId)).toEqual(['OrderPlaced', 'PaymentAuthorized', 'StockCommitted', 'OrderConfirmed']);
    const [authorized] = (await readStream(h.db, orderStreamId(orderId))).filter((e) => e.type === 'PaymentAuthorized');
    expect((authorized.data as { paymentId: string }).paymentId).toBe(auth.id);
    expect(await payments(orderId)).toEqual([{ id: auth.id, status: 'authorized' }]);
    expect(await stock()).toBe(before - 3);
    expect((await loadCart(h.db, cartId)).state?.status).toBe('checked_out');
    expect((await verifyStore(h.db)).differences).toEqual([]);
  });

  it('killed after PaymentAuthorized, before the stock step: resumed from the stock step, stock taken once', async () => {
    const before = await stock();
    const { orderId } = await placedOrder('resume-shopper-2');
    expect(await killChildAt(h.url!, orderId, 'before_stock')).toBe('hanging before_stock');
    expect(await types(orderId)).toEqual(['OrderPlaced', 'PaymentAuthorized']);
    expect(await stock()).toBe(before);
    const [row] = await h.db.select().from(orderProcesses).where(eq(orderProcesses.orderId, orderId));
    clock.now = new Date(row.lockedUntil!.getTime() + 1);
    expect(await runDueOrders(deps)).toBe(1);
    expect(await types(orderId)).toEqual(['OrderPlaced', 'PaymentAuthorized', 'StockCommitted', 'OrderConfirmed']);
    expect(await payments(orderId)).toHaveLength(1);
    expect(await stock()).toBe(before - 3);
    const [{ n }] = (await h.db.execute(sql`select count(*)::int as n from order_processes where next_run_at is not null`)) as unknown as { n: number }[];
    expect(Number(n)).toBe(0);
    expect((await verifyStore(h.db)).differences).toEqual([]);
  });
});
