import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds, type TestDbKind } from '@/server/testing/db';
import { readStream, type Actor } from '../eventstore';
import { AppError } from '../http/errors';
import { diffCarts, isEmptyDiff } from './diff';
import { cartStreamId } from './events';
import { addItem, changeQuantity, checkOut, loadCart, openCart, removeItem, toEnvelope, type CommandContext } from './handler';
import { getCartDiff, getCartHistory, getCartTimeline, listCartEvents, type CartEventItem } from './history';
import { describeEvent, eventTitle } from './registry';

type Handle = DbHandle & { drop: () => Promise<void> };

async function setup(kind: TestDbKind, poolMax = 20): Promise<Handle> {
  const h = await createTestDatabase(kind, poolMax);
  await seedDemo(h.db);
  setDbHandle(h);
  return h;
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let users = 0;
/** A shopper who is not in the users table (their history shows the raw id). */
const stranger = (): CommandContext => ({ actor: { userId: `history-shopper-${++users}`, role: 'shopper' } });
const alice: CommandContext = { actor: { userId: 'user-alice', role: 'shopper' } };
const bob: Actor = { userId: 'user-bob', role: 'shopper' };
const admin: Actor = { userId: 'user-admin', role: 'admin' };

/** 21 commands between CartOpened (v1) and CartCheckedOut (v23); each appends exactly one event. */
const middle: { type: string; run: (ctx: CommandContext, cartId: string) => Promise<unknown> }[] = [
  { type: 'ItemAdded', run: (c, id) => addItem(c, id, { productId: 'espresso-beans', quantity: 2 }) }, // v2
  { type: 'ItemAdded', run: (c, id) => addItem(c, id, { productId: 'ceramic-mug', quantity: 1 }) }, // v3
  { type: 'ItemQuantityChanged', run: (c, id) => changeQuantity(c, id, { productId: 'espresso-beans', quantity: 3 }) }, // v4
  { type: 'ItemRemoved', run: (c, id) => removeItem(c, id, { productId: 'ceramic-mug' }) }, // v5
  { type: 'ItemAdded', run: (c, id) => addItem(c, id, { productId: 'paper-filters', quantity: 1 }) }, // v6
  { type: 'ItemAdded', run: (c, id) => addItem(c, id, { productId: 'pour-over-dripper', quantity: 1 }) }, // v7
  { type: 'ItemQuantityChanged', run: (c, id) => changeQuantity(c, id, { productId: 'paper-filters', quantity: 4 }) }, // v8
  { type: 'ItemAdded', run: (c, id) => addItem(c, id, { productId: 'espresso-beans', quantity: 1 }) }, // v9
  { type: 'ItemRemoved', run: (c, id) => removeItem(c, id, { productId: 'pour-over-dripper' }) }, // v10
  { type: 'ItemAdded', run: (c, id) => addItem(c, id, { productId: 'ceramic-mug', quantity: 2 }) }, // v11
  { type: 'ItemQuantityChanged', run: (c, id) => changeQuantity(c, id, { productId: 'ceramic-mug', quantity: 1 }) }, // v12
  { type: 'ItemAdded', run: (c, id) => addItem(c, id, { productId: 'french-press', quantity: 1 }) }, // v13
  { type: 'ItemQuantityChanged', run: (c, id) => changeQuantity(c, id, { productId: 'espresso-beans', quantity: 2 }) }, // v14
  { type: 'ItemAdded', run: (c, id) => addItem(c, id, { productId: 'paper-filters', quantity: 2 }) }, // v15
  { type: 'ItemRemoved', run: (c, id) => removeItem(c, id, { productId: 'french-press' }) }, // v16
  { type: 'ItemAdded', run: (c, id) => addItem(c, id, { productId: 'travel-tumbler', quantity: 1 }) }, // v17
  { type: 'ItemQuantityChanged', run: (c, id) => changeQuantity(c, id, { productId: 'travel-tumbler', quantity: 2 }) }, // v18
  { type: 'ItemAdded', run: (c, id) => addItem(c, id, { productId: 'decaf-beans', quantity: 1 }) }, // v19
  { type: 'ItemRemoved', run: (c, id) => changeQuantity(c, id, { productId: 'decaf-beans', quantity: 0 }) }, // v20
  { type: 'ItemAdded', run: (c, id) => addItem(c, id, { productId: 'filter-roast', quantity: 1 }) }, // v21
  { type: 'ItemQuantityChanged', run: (c, id) => changeQuantity(c, id, { productId: 'paper-filters', quantity: 5 }) }, // v22
];
const N = 23;
const expectedTypes = ['CartOpened', ...middle.map((s) => s.type), 'CartCheckedOut'];

/** A checked-out cart with exactly 23 events, all by `ctx`. */
async function build23(ctx: CommandContext): Promise<{ cartId: string; orderId: string }> {
  const { cartId } = await openCart(ctx);
  for (const step of middle) await step.run(ctx, cartId);
  const done = await checkOut(ctx, cartId);
  expect(done.version).toBe(N);
  return { cartId, orderId: done.orderId! };
}

/** Pages through listCartEvents from the start; returns every page. */
async function allPages(actor: Actor, cartId: string, limit: number) {
  const pages: Awaited<ReturnType<typeof listCartEvents>>[] = [];
  let after = 0;
  for (let i = 0; i < 1000; i++) {
    const page = await listCartEvents(actor, cartId, { after, limit });
    pages.push(page);
    if (page.nextCursor === null) return pages;
    after = Number(page.nextCursor);
  }
  throw new Error('paging never ended');
}

const versionsOf = (events: { version: number }[]) => events.map((e) => e.version);

async function expect404(p: Promise<unknown>, code: string) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect(err).toMatchObject({ status: 404, code });
}

describe.each(testDbKinds())('cart history on %s', (kind) => {
  let h: Handle;
  let cartId: string;
  let orderId: string;
  beforeAll(async () => {
    h = await setup(kind);
    ({ cartId, orderId } = await build23(alice));
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('the fixture cart has 23 events of the expected types', async () => {
    const events = await readStream(h.db, cartStreamId(cartId));
    expect(events.map((e) => e.type)).toEqual(expectedTypes);
    expect(versionsOf(events.map((e) => ({ version: e.streamVersion })))).toEqual(range(1, N));
  });

  // ---------------------------------------------------------------- listCartEvents

  it('listCartEvents pages through 23 events with limit 5: every version once, in order, last cursor null', async () => {
    const pages = await allPages(alice.actor, cartId, 5);
    expect(pages.map((p) => p.events.length)).toEqual([5, 5, 5, 5, 3]);
    const seen = pages.flatMap((p) => versionsOf(p.events));
    expect(seen).toEqual(range(1, N));
    for (const p of pages.slice(0, -1)) expect(p.nextCursor).toBe(String(p.events.at(-1)!.version));
    expect(pages.at(-1)!.nextCursor).toBeNull();

    // The pages together are the same items as one big page.
    const whole = await listCartEvents(alice.actor, cartId);
    expect(whole.nextCursor).toBeNull();
    expect(pages.flatMap((p) => p.events)).toEqual(whole.events);
  });

  it('listCartEvents items carry type, data, actor and time from the stored events', async () => {
    const { events } = await listCartEvents(alice.actor, cartId, { limit: 100 });
    const stored = await readStream(h.db, cartStreamId(cartId));
    expect(events.map((e) => e.type)).toEqual(expectedTypes);
    events.forEach((e: CartEventItem, i) => {
      const s = stored[i];
      expect(e).toMatchObject({
        globalPosition: s.globalPosition,
        version: s.streamVersion,
        type: s.type,
        data: s.data,
        occurredAt: s.occurredAt.toISOString(),
        actor: alice.actor,
        correlationId: s.metadata.correlationId,
      });
    });
    expect(events[1].data).toEqual({ productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity: 2, reservedUntil: expect.any(String) });
  });

  it('listCartEvents with `after` at or beyond the end -> no events and a null cursor', async () => {
    expect(await listCartEvents(alice.actor, cartId, { after: N, limit: 5 })).toEqual({ events: [], nextCursor: null });
    expect(await listCartEvents(alice.actor, cartId, { after: N + 1, limit: 5 })).toEqual({ events: [], nextCursor: null });
    expect(await listCartEvents(alice.actor, cartId, { after: 1000 })).toEqual({ events: [], nextCursor: null });
  });

  it('listCartEvents with a limit that divides the count exactly ends on a full page with a null cursor', async () => {
    const a = stranger();
    const { cartId: id } = await openCart(a);
    for (let i = 0; i < 9; i++) await addItem(a, id, { productId: 'paper-filters', quantity: 1 });
    const pages = await allPages(a.actor, id, 5);
    expect(pages.map((p) => p.events.length)).toEqual([5, 5]);
    expect(pages.flatMap((p) => versionsOf(p.events))).toEqual(range(1, 10));
    expect(pages[1].nextCursor).toBeNull();
  });

  // ---------------------------------------------------------------- getCartHistory

  it('getCartHistory pages newest first: N..N-9, olderCursor N-9, then `before` gives the next page; all versions once', async () => {
    const first = await getCartHistory(alice.actor, cartId, { limit: 10 });
    expect(first.cart.version).toBe(N);
    expect(first.cart.cartId).toBe(cartId);
    expect(versionsOf(first.entries)).toEqual(range(N - 9, N).reverse());
    expect(first.olderCursor).toBe(N - 9);

    const second = await getCartHistory(alice.actor, cartId, { before: first.olderCursor!, limit: 10 });
    expect(versionsOf(second.entries)).toEqual(range(N - 19, N - 10).reverse());
    expect(second.olderCursor).toBe(N - 19);

    const third = await getCartHistory(alice.actor, cartId, { before: second.olderCursor!, limit: 10 });
    expect(versionsOf(third.entries)).toEqual(range(1, N - 20).reverse());
    expect(third.olderCursor).toBeNull();

    const all = [first, second, third].flatMap((p) => versionsOf(p.entries));
    expect([...all].sort((a, b) => a - b)).toEqual(range(1, N));
    expect(new Set(all).size).toBe(N);
  });

  it('getCartHistory following olderCursor until null covers 1..N once, for several page sizes', async () => {
    for (const limit of [1, 4, 7, 23, 50]) {
      const seen: number[] = [];
      let before: number | undefined;
      for (let i = 0; i < 100; i++) {
        const page = await getCartHistory(alice.actor, cartId, { before, limit });
        expect(page.entries.length).toBeLessThanOrEqual(limit);
        seen.push(...versionsOf(page.entries));
        if (page.olderCursor === null) break;
        before = page.olderCursor;
      }
      expect(seen).toEqual(range(1, N).reverse());
    }
  });

  it("each history entry's before/after equal the folded states at version-1 / version; view matches the registry", async () => {
    const entries = [];
    let before: number | undefined;
    do {
      const page = await getCartHistory(alice.actor, cartId, { before, limit: 10 });
      entries.push(...page.entries);
      before = page.olderCursor ?? undefined;
    } while (before !== undefined);
    expect(entries).toHaveLength(N);

    for (const e of entries) {
      const prev = (await loadCart(h.db, cartId, { toVersion: e.version - 1 })).state;
      const { state: next, events } = await loadCart(h.db, cartId, { toVersion: e.version });
      expect(e.before).toEqual(prev);
      expect(e.after).toEqual(next);
      const env = toEnvelope(events.at(-1)!);
      expect(env.version).toBe(e.version);
      expect(e.type).toBe(env.type);
      expect(e.view).toEqual(describeEvent(env, prev, next!));
      expect(e.view.title).toBe(eventTitle(env.type, env.data, prev));
      expect(e.actor).toEqual(alice.actor);
      expect(e.metadata.actor).toEqual(alice.actor);
      expect(e.actorName).toBe('Alice');
    }

    const byVersion = new Map(entries.map((e) => [e.version, e]));
    expect(byVersion.get(1)!.before).toBeNull();
    expect(byVersion.get(1)!.view.title).toBe('Cart opened');
    expect(byVersion.get(2)!.view.title).toBe('Added 2 × Espresso beans');
    expect(byVersion.get(4)!.view.title).toBe('Espresso beans: quantity 2 → 3');
    expect(byVersion.get(5)!.view.title).toBe('Removed Ceramic mug (1)');
    expect(byVersion.get(20)!.view.title).toBe('Removed Swiss water decaf (1)');
    expect(byVersion.get(N)!.view.title).toBe(`Checked out, order #${orderId}`);
    expect(byVersion.get(N)!.view.changes).toEqual([{ label: 'Status', before: 'open', after: 'checked_out' }]);
    expect(byVersion.get(2)!.view.changes).toEqual([
      { label: 'Espresso beans', before: null, after: '2 × €24.90' },
      { label: 'Total', before: '€0.00', after: '€49.80' },
    ]);
  });

  it('actorName is the raw user id when the actor is not in the users table', async () => {
    const s = stranger();
    const { cartId: id } = await openCart(s);
    await addItem(s, id, { productId: 'ceramic-mug', quantity: 1 });
    const { entries } = await getCartHistory(s.actor, id);
    expect(entries.map((e) => [e.version, e.actorName])).toEqual([
      [2, s.actor.userId],
      [1, s.actor.userId],
    ]);
    const timeline = await getCartTimeline(s.actor, id);
    expect(timeline.events.map((e) => e.actorName)).toEqual([s.actor.userId, s.actor.userId]);
  });

  it('getCartTimeline returns every event as evolve takes it, with actor names', async () => {
    const { cart, events } = await getCartTimeline(alice.actor, cartId);
    expect(cart.version).toBe(N);
    expect(versionsOf(events)).toEqual(range(1, N));
    expect(events.map((e) => e.type)).toEqual(expectedTypes);
    const stored = (await readStream(h.db, cartStreamId(cartId))).map(toEnvelope);
    expect(events).toEqual(stored.map((env) => ({ ...env, actorName: 'Alice' })));
  });

  // ---------------------------------------------------------------- getCartDiff

  it('getCartDiff between two versions equals diffCarts of the folded states', async () => {
    for (const [from, to] of [
      [1, N],
      [3, 10],
      [10, 3],
      [4, 5],
      [N - 1, N],
      [12, 12],
    ]) {
      const a = (await loadCart(h.db, cartId, { toVersion: from })).state;
      const b = (await loadCart(h.db, cartId, { toVersion: to })).state;
      const res = await getCartDiff(alice.actor, cartId, from, to);
      expect(res.cartId).toBe(cartId);
      expect(res.from).toEqual({ version: from, state: a });
      expect(res.to).toEqual({ version: to, state: b });
      expect(res.diff).toEqual(diffCarts(a, b));
    }
    const checkout = await getCartDiff(alice.actor, cartId, N - 1, N);
    expect(checkout.diff.status).toEqual({ before: 'open', after: 'checked_out' });
    expect(isEmptyDiff((await getCartDiff(alice.actor, cartId, 12, 12)).diff)).toBe(true);
    const removal = await getCartDiff(alice.actor, cartId, 4, 5);
    expect(removal.diff.removed.map((l) => l.productId)).toEqual(['ceramic-mug']);
    expect(removal.diff.totalDeltaCents).toBe(-1200);
  });

  it('getCartDiff to or from a version beyond the last -> 404 version_not_found', async () => {
    await expect404(getCartDiff(alice.actor, cartId, 1, N + 1), 'version_not_found');
    await expect404(getCartDiff(alice.actor, cartId, N + 1, 1), 'version_not_found');
    await expect404(getCartDiff(alice.actor, cartId, 1, 1000), 'version_not_found');
  });

  // ---------------------------------------------------------------- access

  it('another shopper gets 404 cart_not_found from every history read', async () => {
    await expect404(listCartEvents(bob, cartId), 'cart_not_found');
    await expect404(getCartHistory(bob, cartId), 'cart_not_found');
    await expect404(getCartTimeline(bob, cartId), 'cart_not_found');
    await expect404(getCartDiff(bob, cartId, 1, 2), 'cart_not_found');
    const s = stranger();
    await expect404(listCartEvents(s.actor, cartId, { after: 0, limit: 5 }), 'cart_not_found');
  });

  it('a cart that does not exist is 404 cart_not_found too (same answer as a foreign cart)', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    await expect404(listCartEvents(alice.actor, missing), 'cart_not_found');
    await expect404(getCartHistory(alice.actor, missing), 'cart_not_found');
    await expect404(getCartTimeline(alice.actor, missing), 'cart_not_found');
    await expect404(getCartDiff(alice.actor, missing, 1, 1), 'cart_not_found');
  });

  it("an admin can read a shopper's events, history, timeline and diff", async () => {
    const pages = await allPages(admin, cartId, 5);
    expect(pages.flatMap((p) => versionsOf(p.events))).toEqual(range(1, N));

    const history = await getCartHistory(admin, cartId, { limit: 10 });
    expect(versionsOf(history.entries)).toEqual(range(N - 9, N).reverse());
    expect(history.entries.every((e) => e.actorName === 'Alice')).toBe(true);

    const timeline = await getCartTimeline(admin, cartId);
    expect(versionsOf(timeline.events)).toEqual(range(1, N));

    const diff = await getCartDiff(admin, cartId, 1, N);
    expect(diff).toEqual(await getCartDiff(alice.actor, cartId, 1, N));
  });
});

// Reading while another connection appends exists only on a real server.
if (process.env.TEST_DATABASE_URL) {
  describe('cart history under concurrent appends on postgres', () => {
    let h: Handle;
    beforeAll(async () => {
      h = await setup('postgres', 20);
    });
    afterAll(async () => {
      setDbHandle(undefined);
      await h?.drop();
    });

    it('paging listCartEvents while 30 items are added: no repeats, no gaps; paging again yields every version once', async () => {
      const ctx = stranger();
      const { cartId } = await openCart(ctx);
      const ids = ['espresso-beans', 'ceramic-mug', 'paper-filters'];

      let writerDone = false;
      let pagesWhileWriting = 0;
      const seen: number[] = [];

      const writer = async () => {
        try {
          for (let i = 0; i < 30; i++) await addItem(ctx, cartId, { productId: ids[i % 3], quantity: 1 });
        } finally {
          writerDone = true;
        }
      };

      const pager = async () => {
        let after = 0;
        for (let i = 0; i < 10_000; i++) {
          const doneBeforeRead = writerDone;
          const page = await listCartEvents(ctx.actor, cartId, { after, limit: 3 });
          if (!doneBeforeRead) pagesWhileWriting++;
          seen.push(...versionsOf(page.events));
          if (page.nextCursor !== null) {
            expect(Number(page.nextCursor)).toBe(page.events.at(-1)!.version);
            after = Number(page.nextCursor);
          } else {
            if (page.events.length > 0) after = page.events.at(-1)!.version;
            // Caught up with a writer that had already finished before this read: nothing more can come.
            if (doneBeforeRead) return;
          }
          await sleep(Math.floor(Math.random() * 4));
        }
        throw new Error('pager never caught up');
      };

      await Promise.all([pager(), writer()]);

      expect(pagesWhileWriting).toBeGreaterThan(0);
      const k = seen.at(-1)!;
      expect(seen).toEqual(range(1, k));
      expect(k).toBe(31);

      const again = await allPages(ctx.actor, cartId, 5);
      expect(again.flatMap((p) => versionsOf(p.events))).toEqual(range(1, 31));
      expect(again.at(-1)!.nextCursor).toBeNull();
    });
  });
}
