import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { carts, orders, products } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds, type TestDbKind } from '@/server/testing/db';
import { readStream } from '../eventstore';
import { toAppError } from '../http/errors';
import { CartError } from './errors';
import { cartStreamId } from './events';
import { addItem, changeQuantity, checkOut, ensureOpenCart, loadCart, openCart, removeItem, type CommandContext } from './handler';

type Handle = DbHandle & { drop: () => Promise<void> };

async function setup(kind: TestDbKind, poolMax = 20): Promise<Handle> {
  const h = await createTestDatabase(kind, poolMax);
  await seedDemo(h.db);
  setDbHandle(h);
  return h;
}

let users = 0;
const shopper = (): CommandContext => ({ actor: { userId: `shopper-${++users}`, role: 'shopper' } });

async function readModel(h: Handle, cartId: string) {
  const [row] = await h.db.select().from(carts).where(eq(carts.cartId, cartId));
  return row;
}

/** The read model must equal the fold of the cart's events, field by field. */
async function expectReadModelMatchesEvents(h: Handle, cartId: string) {
  const { state } = await loadCart(h.db, cartId);
  const row = await readModel(h, cartId);
  expect(state).not.toBeNull();
  expect({ ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() }).toEqual(state);
}

const stockOf = async (h: Handle, id: string) =>
  (await h.db.select({ stock: products.stock }).from(products).where(eq(products.id, id)))[0].stock;

describe.each(testDbKinds())('cart command handler on %s', (kind) => {
  let h: Handle;
  beforeAll(async () => {
    h = await setup(kind);
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('open, add, change, remove, check out: events appended, read model and order projected, stock taken', async () => {
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    await addItem(ctx, cartId, { productId: 'espresso-beans', quantity: 2 });
    await addItem(ctx, cartId, { productId: 'ceramic-mug', quantity: 1 });
    await changeQuantity(ctx, cartId, { productId: 'espresso-beans', quantity: 3 });
    await removeItem(ctx, cartId, { productId: 'ceramic-mug' });
    const before = await stockOf(h, 'espresso-beans');
    const done = await checkOut(ctx, cartId);

    expect(done.orderId).toMatch(/^ord_[a-f0-9]{16}$/);
    const events = await readStream(h.db, cartStreamId(cartId));
    expect(events.map((e) => e.type)).toEqual([
      'CartOpened',
      'ItemAdded',
      'ItemAdded',
      'ItemQuantityChanged',
      'ItemRemoved',
      'CartCheckedOut',
    ]);
    expect(events[1].data).toEqual({ productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity: 2, reservedUntil: expect.any(String) });
    expect(events[1].metadata.actor).toEqual(ctx.actor);
    await expectReadModelMatchesEvents(h, cartId);
    const row = await readModel(h, cartId);
    expect(row).toMatchObject({ status: 'checked_out', itemCount: 3, totalCents: 3 * 2490, version: 6, orderId: done.orderId });
    const [order] = await h.db.select().from(orders).where(eq(orders.cartId, cartId));
    expect(order).toMatchObject({ orderId: done.orderId, userId: ctx.actor.userId, totalCents: 7470, itemCount: 3 });
    expect(await stockOf(h, 'espresso-beans')).toBe(before - 3);
  });

  it('a repeated Idempotency-Key returns the first result and appends nothing', async () => {
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    const first = await addItem({ ...ctx, idempotencyKey: 'add-1' }, cartId, { productId: 'paper-filters', quantity: 1 });
    const again = await addItem({ ...ctx, idempotencyKey: 'add-1' }, cartId, { productId: 'paper-filters', quantity: 1 });
    expect(first.replayed).toBe(false);
    expect(again.replayed).toBe(true);
    expect({ ...again, replayed: false }).toEqual(first);
    expect((await readStream(h.db, cartStreamId(cartId))).length).toBe(2);
    await expect(
      addItem({ ...ctx, idempotencyKey: 'add-1' }, cartId, { productId: 'paper-filters', quantity: 2 }),
    ).rejects.toMatchObject({ status: 422, code: 'idempotency_key_reused' });
  });

  it('opening a cart twice with one Idempotency-Key opens one cart and replays it', async () => {
    const ctx = { ...shopper(), idempotencyKey: 'open-1' };
    const first = await openCart(ctx);
    const again = await openCart(ctx);
    expect(again.replayed).toBe(true);
    expect({ ...again, replayed: false }).toEqual(first);
    const mine = await h.db.select().from(carts).where(eq(carts.userId, ctx.actor.userId));
    expect(mine.map((c) => c.cartId)).toEqual([first.cartId]);
    // Another body with the same key is still refused.
    await expect(openCart(ctx, { currency: 'USD' })).rejects.toMatchObject({ status: 422, code: 'idempotency_key_reused' });
  });

  it('a transaction that fails in its projection leaves no event and no read-model change', async () => {
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    await addItem(ctx, cartId, { productId: 'paper-filters', quantity: 2 });
    const before = await readModel(h, cartId);
    // Fault injection in the real database: the read-model write for 13 items fails.
    await h.exec(`
      create or replace function fail_on_13() returns trigger language plpgsql as $$
      begin if new.item_count = 13 then raise exception 'injected projection failure'; end if; return new; end $$;
      drop trigger if exists fail_on_13 on carts;
      create trigger fail_on_13 before update on carts for each row execute function fail_on_13();`);
    try {
      await expect(addItem(ctx, cartId, { productId: 'paper-filters', quantity: 11 })).rejects.toThrow();
    } finally {
      await h.exec('drop trigger if exists fail_on_13 on carts;');
    }
    expect((await readStream(h.db, cartStreamId(cartId))).map((e) => e.streamVersion)).toEqual([1, 2]);
    expect(await readModel(h, cartId)).toEqual(before);
  });

  it('refusals write nothing: cart closed, another shopper, If-Match mismatch', async () => {
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    await addItem(ctx, cartId, { productId: 'paper-filters', quantity: 1 });
    await expect(addItem(shopper(), cartId, { productId: 'paper-filters', quantity: 1 })).rejects.toMatchObject({
      code: 'cart_not_found',
    });
    await expect(
      addItem({ actor: { userId: 'boss', role: 'admin' } }, cartId, { productId: 'paper-filters', quantity: 1 }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(addItem({ ...ctx, expectedVersion: 1 }, cartId, { productId: 'paper-filters', quantity: 1 })).rejects.toMatchObject({
      status: 412,
      code: 'version_mismatch',
    });
    await checkOut(ctx, cartId);
    const err = await addItem(ctx, cartId, { productId: 'paper-filters', quantity: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(CartError);
    expect(err.code).toBe('cart_closed');
    expect((await readStream(h.db, cartStreamId(cartId))).length).toBe(3);
  });

  it('checkout refuses when stock ran out after the item was added, and takes nothing', async () => {
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    await addItem(ctx, cartId, { productId: 'cold-brew-jar', quantity: 2 });
    await addItem(ctx, cartId, { productId: 'paper-filters', quantity: 1 });
    await h.db.update(products).set({ stock: 1 }).where(eq(products.id, 'cold-brew-jar'));
    const filters = await stockOf(h, 'paper-filters');
    await expect(checkOut(ctx, cartId)).rejects.toMatchObject({ code: 'insufficient_stock', details: { productId: 'cold-brew-jar' } });
    expect(await stockOf(h, 'cold-brew-jar')).toBe(1);
    expect(await stockOf(h, 'paper-filters')).toBe(filters);
    expect((await readModel(h, cartId)).status).toBe('open');
  });
});

// Contention between connections exists only on a real server.
if (process.env.TEST_DATABASE_URL) {
  describe('cart command handler under concurrency on postgres', () => {
    let h: Handle;
    beforeAll(async () => {
      h = await setup('postgres', 40);
    });
    afterAll(async () => {
      setDbHandle(undefined);
      await h?.drop();
    });

    it('100 commands on one cart from 5 devices at once all land: versions 1..101 without a gap, read model = fold', async () => {
      const ctx = shopper();
      const { cartId } = await openCart(ctx);
      // Each device works on two products of its own and waits for each answer before its next command,
      // as a phone or a laptop would; the five devices run at the same time, each command in its own
      // transaction on its own pooled connection, so they queue on the stream's row lock.
      const usable = ['espresso-beans', 'filter-roast', 'decaf-beans', 'ceramic-mug', 'pour-over-dripper', 'paper-filters', 'gooseneck-kettle', 'french-press', 'digital-scale', 'travel-tumbler'];
      type Step = { kind: 'add' | 'change' | 'remove'; productId: string; quantity: number };
      const scripts = Array.from({ length: 5 }, (_, d) => {
        const [a, b] = [usable[2 * d], usable[2 * d + 1]];
        const model = new Map<string, number>();
        const steps: Step[] = [];
        for (let i = 0; i < 20; i++) {
          let step: Step;
          if (i % 5 === 2 && model.size > 0) {
            const [productId, q] = [...model][i % model.size];
            step = { kind: 'change', productId, quantity: q >= 4 ? 1 : q + 1 };
          } else if (i % 5 === 3 && model.has(a)) step = { kind: 'remove', productId: a, quantity: 0 };
          else step = { kind: 'add', productId: i % 2 === 0 ? a : b, quantity: 1 + (i % 2) };
          if (step.kind === 'remove') model.delete(step.productId);
          else if (step.kind === 'change') model.set(step.productId, step.quantity);
          else model.set(step.productId, (model.get(step.productId) ?? 0) + step.quantity);
          steps.push(step);
        }
        return { steps, model };
      });
      await Promise.all(
        scripts.map(async ({ steps }, d) => {
          for (const [i, st] of steps.entries()) {
            const device = { ...ctx, correlationId: `device-${d}`, idempotencyKey: `device-${d}-${i}` };
            if (st.kind === 'add') await addItem(device, cartId, { productId: st.productId, quantity: st.quantity });
            else if (st.kind === 'change') await changeQuantity(device, cartId, { productId: st.productId, quantity: st.quantity });
            else await removeItem(device, cartId, { productId: st.productId });
          }
        }),
      );
      const events = await readStream(h.db, cartStreamId(cartId));
      expect(events.map((e) => e.streamVersion)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
      // Every command landed exactly once, and each device's commands in the order it sent them.
      for (let d = 0; d < 5; d++) {
        const mine = events.filter((e) => e.metadata.correlationId === `device-${d}`).map((e) => e.metadata.commandId);
        expect(mine).toEqual(Array.from({ length: 20 }, (_, i) => `${ctx.actor.userId}:device-${d}-${i}`));
      }
      // The devices really ran at once: their commands interleave in the stream.
      const devices = events.slice(1).map((e) => e.metadata.correlationId);
      expect(devices.filter((c, i) => i > 0 && c !== devices[i - 1]).length).toBeGreaterThan(4);
      const expected = new Map(scripts.flatMap(({ model }) => [...model]));
      const row = await readModel(h, cartId);
      expect(new Map(row.items.map((l) => [l.productId, l.quantity]))).toEqual(expected);
      expect(row.version).toBe(101);
      expect(row.itemCount).toBe([...expected.values()].reduce((n, q) => n + q, 0));
      await expectReadModelMatchesEvents(h, cartId);
    });

    it('20 shoppers check out the last 5 units at once: exactly 5 sold, stock never negative, the rest get insufficient_stock', async () => {
      await h.db.update(products).set({ stock: 20 }).where(eq(products.id, 'digital-scale'));
      const shoppers = Array.from({ length: 20 }, () => shopper());
      const cartIds = await Promise.all(
        shoppers.map(async (ctx) => {
          const { cartId } = await openCart(ctx);
          await addItem(ctx, cartId, { productId: 'digital-scale', quantity: 1 });
          return cartId;
        }),
      );
      await h.db.update(products).set({ stock: 5 }).where(eq(products.id, 'digital-scale'));
      const results = await Promise.allSettled(shoppers.map((ctx, i) => checkOut(ctx, cartIds[i])));
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok).toHaveLength(5);
      for (const r of refused) {
        expect(r.reason).toMatchObject({ code: 'insufficient_stock', details: { productId: 'digital-scale' } });
        // The answer a client gets: 409, naming the product in the message and in the details.
        const answer = toAppError(r.reason);
        expect(answer.status).toBe(409);
        expect(answer.message).toContain('Brewing scale');
        expect(answer.toBody()).toMatchObject({ error: { code: 'insufficient_stock', details: { productId: 'digital-scale' } } });
      }
      expect(await stockOf(h, 'digital-scale')).toBe(0);
      const sold = await h.db.execute(sql`select count(*)::int as n from orders where items @> '[{"productId":"digital-scale"}]'`);
      const n = Array.isArray(sold) ? sold[0].n : (sold as unknown as { rows: { n: number }[] }).rows[0].n;
      expect(n).toBe(5);
    });

    it('the same checkout sent twice at once makes one order', async () => {
      const ctx = shopper();
      const { cartId } = await openCart(ctx);
      await addItem(ctx, cartId, { productId: 'paper-filters', quantity: 1 });
      const results = await Promise.allSettled([checkOut(ctx, cartId), checkOut(ctx, cartId)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected?.reason).toMatchObject({ code: 'cart_closed' });
      expect(await h.db.select().from(orders).where(eq(orders.cartId, cartId))).toHaveLength(1);
    });

    it('two devices adding to a shopper with no cart share one new open cart', async () => {
      const ctx = shopper();
      const ids = await Promise.all(Array.from({ length: 6 }, () => ensureOpenCart(ctx)));
      expect(new Set(ids).size).toBe(1);
    });
  });
}
