import { asc, eq, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { notifications, outbox, processedMessages } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds, type TestDbKind } from '@/server/testing/db';
import { addItem, checkOut, openCart, type CommandContext } from '../cart/handler';
import { orderNotifications } from '../notifications/consumer';
import { notificationsForOrder } from '../notifications/queries';
import { consumeOnce } from './consume';
import { inProcessPublisher } from './in-process';
import { holdLease } from './lease';
import { createRelay, relayOnce, toMessage } from './relay';
import type { IntegrationConsumer, IntegrationMessage } from './types';

type Handle = DbHandle & { drop: () => Promise<void> };
let n = 0;
const shopper = (): CommandContext => ({ actor: { userId: `outbox-shopper-${++n}`, role: 'shopper' } });

async function until(check: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A consumer that writes down what it saw, in order, in a table of the test's own. */
function recorder(name: string, seen: IntegrationMessage[]): IntegrationConsumer {
  return {
    name,
    subjects: ['cart.checked_out', 'order.confirmed'],
    handle: async (tx, m) => {
      await tx.execute(sql`insert into test_seen (consumer, message_id) values (${name}, ${m.messageId})`);
      seen.push(m);
    },
  };
}

async function placeOrder(productId = 'espresso-beans') {
  const ctx = shopper();
  const { cartId } = await openCart(ctx);
  await addItem(ctx, cartId, { productId, quantity: 1 });
  const done = await checkOut(ctx, cartId);
  return { ctx, cartId, orderId: done.orderId! };
}

describe.each(testDbKinds())('transactional outbox on %s', (kind: TestDbKind) => {
  let h: Handle;
  beforeAll(async () => {
    h = await createTestDatabase(kind);
    await seedDemo(h.db);
    setDbHandle(h);
    await h.exec('create table test_seen (consumer text not null, message_id text not null, at timestamptz default clock_timestamp())');
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('a checkout writes cart.checked_out and order.confirmed in its own transaction; a refused one writes nothing', async () => {
    await h.db.delete(outbox);
    const { cartId, orderId } = await placeOrder();
    const rows = await h.db.select().from(outbox).orderBy(asc(outbox.position));
    expect(rows.map((r) => r.subject)).toEqual(['cart.checked_out', 'order.confirmed']);
    expect(rows.every((r) => r.partitionKey === cartId && r.publishedAt === null)).toBe(true);
    expect(rows[1].payload).toMatchObject({ orderId, cartId, itemCount: 1 });
    expect(new Set(rows.map((r) => r.messageId)).size).toBe(2);

    // Adding (no integration event) and a checkout refused for stock write nothing.
    const ctx = shopper();
    const { cartId: other } = await openCart(ctx);
    await addItem(ctx, other, { productId: 'ceramic-mug', quantity: 2 });
    await h.db.execute(sql`update products set stock = 1 where id = 'ceramic-mug'`);
    await expect(checkOut(ctx, other)).rejects.toMatchObject({ code: 'insufficient_stock' });
    expect(await h.db.select().from(outbox)).toHaveLength(2);
    await h.db.execute(sql`update products set stock = 100 where id = 'ceramic-mug'`);
  });

  it('the relay publishes in outbox order, marks each message, and a repeat after a crash is handled once', async () => {
    await h.db.delete(outbox);
    const a = await placeOrder();
    const b = await placeOrder('ceramic-mug');
    const seen: IntegrationMessage[] = [];
    const publisher = inProcessPublisher([recorder('rec-1', seen)], () => h.db);

    // The relay dies after handing over the third message and before marking it.
    let count = 0;
    await expect(
      relayOnce(h.db, publisher, {
        afterPublish: () => {
          if (++count === 3) throw new Error('relay killed');
        },
      }),
    ).rejects.toThrow('relay killed');
    expect(await h.db.select().from(outbox).where(isNull(outbox.publishedAt))).toHaveLength(2);

    // The next relay publishes the unmarked third message again, and the fourth.
    const r = await relayOnce(h.db, publisher);
    expect(r).toMatchObject({ published: 2, failed: null });
    expect(await h.db.select().from(outbox).where(isNull(outbox.publishedAt))).toHaveLength(0);
    // The consumer handled each message once, in order: a's two, then b's two.
    expect(seen.map((m) => [m.partitionKey, m.subject])).toEqual([
      [a.cartId, 'cart.checked_out'],
      [a.cartId, 'order.confirmed'],
      [b.cartId, 'cart.checked_out'],
      [b.cartId, 'order.confirmed'],
    ]);
    const handled = await h.db.execute(sql`select count(*)::int as n from test_seen where consumer = 'rec-1'`);
    expect((handled as unknown as { rows?: { n: number }[] }).rows?.[0]?.n ?? (handled as unknown as { n: number }[])[0].n).toBe(4);
    expect(await h.db.select().from(processedMessages).where(eq(processedMessages.consumer, 'rec-1'))).toHaveLength(4);
  });

  it('a failing consumer holds the message and everything after it back, then catches up in order', async () => {
    await h.db.delete(outbox);
    await placeOrder();
    await placeOrder();
    const seen: IntegrationMessage[] = [];
    let broken = true;
    const flaky: IntegrationConsumer = {
      ...recorder('rec-flaky', seen),
      handle: async (tx, m) => {
        if (broken && m.subject === 'order.confirmed') throw new Error('mail server down');
        await recorder('rec-flaky', seen).handle(tx, m);
      },
    };
    const publisher = inProcessPublisher([flaky], () => h.db);
    const first = await relayOnce(h.db, publisher);
    expect(first.published).toBe(1);
    expect(first.failed?.error).toBe('mail server down');
    const [head] = await h.db.select().from(outbox).where(isNull(outbox.publishedAt)).orderBy(asc(outbox.position)).limit(1);
    expect(head).toMatchObject({ subject: 'order.confirmed', attempts: 1, lastError: 'mail server down' });
    expect(seen).toHaveLength(1);
    broken = false;
    expect(await relayOnce(h.db, publisher)).toMatchObject({ published: 3, failed: null });
    expect(seen.map((m) => m.subject)).toEqual(['cart.checked_out', 'order.confirmed', 'cart.checked_out', 'order.confirmed']);
  });

  it('consumeOnce skips a message id it has handled, and subjects the consumer does not take', async () => {
    await h.db.delete(outbox);
    await placeOrder();
    const [row] = await h.db.select().from(outbox).where(eq(outbox.subject, 'order.confirmed'));
    const seen: IntegrationMessage[] = [];
    const only: IntegrationConsumer = { ...recorder('rec-once', seen), subjects: ['order.confirmed'] };
    expect(await consumeOnce(h.db, only, toMessage(row))).toBe(true);
    expect(await consumeOnce(h.db, only, toMessage(row))).toBe(false);
    const [other] = await h.db.select().from(outbox).where(eq(outbox.subject, 'cart.checked_out'));
    expect(await consumeOnce(h.db, only, toMessage(other))).toBe(false);
    expect(seen).toHaveLength(1);
  });

  it('an order confirmation is rendered and stored without SMTP_URL, once, and only its shopper or an admin sees it', async () => {
    await h.db.delete(outbox);
    const { ctx, orderId } = await placeOrder();
    const publisher = inProcessPublisher([orderNotifications], () => h.db);
    await relayOnce(h.db, publisher);
    const rows = await h.db.select().from(notifications).where(eq(notifications.orderId, orderId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'order_confirmation', channel: 'stored', status: 'stored', userId: ctx.actor.userId });
    expect(rows[0].subject).toContain(orderId);
    expect(rows[0].textBody).toMatch(/1 × .+ = €/);
    expect(await notificationsForOrder(ctx.actor, orderId)).toHaveLength(1);
    expect(await notificationsForOrder({ userId: 'someone-else', role: 'shopper' }, orderId)).toEqual([]);
    expect(await notificationsForOrder({ userId: 'staff', role: 'admin' }, orderId)).toHaveLength(1);
  });

  it('the relay lease has one holder at a time and passes on when it expires', async () => {
    expect(await holdLease(h.db, 'test-lease', 'one', 1)).toBe(true);
    expect(await holdLease(h.db, 'test-lease', 'two', 1)).toBe(false);
    expect(await holdLease(h.db, 'test-lease', 'one', 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await holdLease(h.db, 'test-lease', 'two', 5)).toBe(true);
    expect(await holdLease(h.db, 'test-lease', 'one', 5)).toBe(false);
  });

  it('the relay loop publishes a checkout within moments, and a second relay waits its turn', async () => {
    await h.db.delete(outbox);
    const seen: IntegrationMessage[] = [];
    const publisher = inProcessPublisher([recorder('rec-loop', seen)], () => h.db);
    const one = createRelay({ publisher, db: () => h.db, pollMs: 50 });
    const two = createRelay({ publisher, db: () => h.db, pollMs: 50 });
    try {
      await placeOrder();
      await placeOrder();
      await until(async () => seen.length === 4);
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toHaveLength(4);
      expect(new Set(seen.map((m) => m.messageId)).size).toBe(4);
    } finally {
      await one.stop();
      await two.stop();
    }
  });
});
