import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, setDbHandle, type DbHandle } from '@/db/client';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds, type TestDbKind } from '@/server/testing/db';
import { addItem, changeQuantity, openCart, type CommandContext } from '../cart/handler';
import { CartHub, cartTopic, userTopic, type LiveMessage } from './hub';
import { cartEventStream } from './sse';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let users = 0;
const shopper = (): CommandContext => ({ actor: { userId: `live-${++users}`, role: 'shopper' } });

/**
 * Collects what a subscription receives. The cart's opening (version 1) may be delivered after the
 * subscription starts, as its NOTIFY travels on its own: changes up to `after` are left out.
 */
function inbox(hub: CartHub, cartId: string, after = 1, topic = cartTopic(cartId)) {
  const got: LiveMessage[] = [];
  const unsubscribe = hub.subscribe(topic, (m) => {
    if (m.kind === 'resync' || m.change.version > after) got.push(m);
  });
  const waitFor = async (n: number, ms = 5_000) => {
    const until = Date.now() + ms;
    while (got.length < n && Date.now() < until) await sleep(10);
    return got;
  };
  return { got, unsubscribe, waitFor };
}

describe.each(testDbKinds())('live cart hub on %s', (kind: TestDbKind) => {
  let h: DbHandle & { drop: () => Promise<void>; url?: string };
  // On PostgreSQL the hub listens on a pool of its own, as another app server would; PGlite has one
  // connection in one process, so there the hub shares it.
  let listenerDb: DbHandle;
  let hub: CartHub;
  beforeAll(async () => {
    h = await createTestDatabase(kind);
    await seedDemo(h.db);
    setDbHandle(h);
    listenerDb = kind === 'postgres' ? openDatabase({ url: h.url, poolMax: 2 }) : h;
    hub = new CartHub(listenerDb, { watchdogMs: 200, pingTimeoutMs: 3_000 });
    await hub.ready();
  });
  afterAll(async () => {
    await hub?.close();
    if (listenerDb && listenerDb !== h) await listenerDb.close();
    setDbHandle(undefined);
    await h?.drop();
  });

  it('a committed command reaches the subscribers of its cart, with its version and event types', async () => {
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    const mine = inbox(hub, cartId);
    const other = inbox(hub, (await openCart(shopper())).cartId);
    await addItem(ctx, cartId, { productId: 'paper-filters', quantity: 2 });
    await changeQuantity(ctx, cartId, { productId: 'paper-filters', quantity: 3 });
    expect(await mine.waitFor(2)).toEqual([
      { kind: 'change', change: { cartId, userId: ctx.actor.userId, version: 2, types: ['ItemAdded'] } },
      { kind: 'change', change: { cartId, userId: ctx.actor.userId, version: 3, types: ['ItemQuantityChanged'] } },
    ]);
    expect(other.got).toEqual([]);
    mine.unsubscribe();
    other.unsubscribe();
    await addItem(ctx, cartId, { productId: 'paper-filters', quantity: 1 });
    await sleep(100);
    expect(mine.got).toHaveLength(2);
    expect(hub.subscriberCount()).toBe(0);
  });

  it("a user's topic gets the changes of every cart they own, a cart opened elsewhere included", async () => {
    const ctx = shopper();
    const got: LiveMessage[] = [];
    const unsubscribe = hub.subscribe(userTopic(ctx.actor.userId), (m) => got.push(m));
    const strangers = inbox(hub, '', 0, userTopic('someone-else'));
    const first = await openCart(ctx);
    const second = await openCart(ctx);
    await addItem(ctx, second.cartId, { productId: 'ceramic-mug', quantity: 1 });
    const until = Date.now() + 5_000;
    while (got.length < 3 && Date.now() < until) await sleep(10);
    expect(got).toEqual([
      { kind: 'change', change: { cartId: first.cartId, userId: ctx.actor.userId, version: 1, types: ['CartOpened'] } },
      { kind: 'change', change: { cartId: second.cartId, userId: ctx.actor.userId, version: 1, types: ['CartOpened'] } },
      { kind: 'change', change: { cartId: second.cartId, userId: ctx.actor.userId, version: 2, types: ['ItemAdded'] } },
    ]);
    expect(strangers.got).toEqual([]);
    unsubscribe();
    strangers.unsubscribe();
  });

  it('a rolled-back command and a refused command notify nothing', async () => {
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    const mine = inbox(hub, cartId);
    // The handler inside an outer transaction that then fails: its NOTIFY goes with the rollback.
    const rollback = new Error('roll back');
    let ghost: ReturnType<typeof inbox> | undefined;
    await expect(
      h.db.transaction(async (tx) => {
        const r = await openCart(ctx, {}, tx);
        ghost = inbox(hub, r.cartId, 0);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    await expect(addItem(ctx, cartId, { productId: 'no-such-product', quantity: 1 })).rejects.toMatchObject({ code: 'product_not_found' });
    // NOTIFYs arrive in commit order: once this one is here, anything earlier would be too.
    await addItem(ctx, cartId, { productId: 'ceramic-mug', quantity: 1 });
    expect(await mine.waitFor(1)).toEqual([{ kind: 'change', change: { cartId, userId: ctx.actor.userId, version: 2, types: ['ItemAdded'] } }]);
    await sleep(100);
    expect(mine.got).toHaveLength(1);
    expect(ghost?.got).toEqual([]);
    mine.unsubscribe();
    ghost?.unsubscribe();
  });

  it('the SSE stream sends the current version, then each change, and unsubscribes when the client leaves', async () => {
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    const before = hub.subscriberCount();
    const abort = new AbortController();
    const res = await cartEventStream({ hub, topic: cartTopic(cartId), signal: abort.signal, current: async () => ({ cartId, version: 1 }), heartbeatMs: 100 });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(hub.subscriberCount()).toBe(before + 1);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (re: RegExp) => {
      const until = Date.now() + 5_000;
      while (!re.test(text) && Date.now() < until) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
      expect(text).toMatch(re);
    };
    await readUntil(/event: cart\ndata: \{[^\n]*"version":1,"types":\[\]\}\n\n/);
    expect(text.startsWith('retry: 2000\n\n')).toBe(true);
    await addItem(ctx, cartId, { productId: 'espresso-beans', quantity: 1 });
    await readUntil(new RegExp(`data: \\{"cartId":"${cartId}","version":2,"types":\\["ItemAdded"\\]\\}\\n\\n`));
    await readUntil(/: heartbeat\n\n/);
    abort.abort();
    expect(hub.subscriberCount()).toBe(before);
    expect((await reader.read()).done).toBe(true);
  });

  it('a stream the caller may not read is refused before it starts, and leaves no subscription', async () => {
    const before = hub.subscriberCount();
    const denied = Object.assign(new Error('Cart not found.'), { status: 404 });
    await expect(
      cartEventStream({ hub, topic: cartTopic('x'), signal: new AbortController().signal, current: () => Promise.reject(denied) }),
    ).rejects.toBe(denied);
    expect(hub.subscriberCount()).toBe(before);
  });

  // PostgreSQL only: PGlite's listener lives in the process and has no connection to lose.
  if (kind === 'postgres') it('after the listen connection is killed it listens again, tells subscribers to resync, and delivers again', async () => {
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    const mine = inbox(hub, cartId);
    await h.exec(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'listen %'`);
    expect((await mine.waitFor(1, 10_000)).some((m) => m.kind === 'resync')).toBe(true);
    mine.got.length = 0;
    await addItem(ctx, cartId, { productId: 'paper-filters', quantity: 1 });
    expect(await mine.waitFor(1)).toEqual([{ kind: 'change', change: { cartId, userId: ctx.actor.userId, version: 2, types: ['ItemAdded'] } }]);
    mine.unsubscribe();
  });
});
