import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { createTestDatabase, testDbKinds } from '@/server/testing/db';
import { CART_STREAM_TYPE, cartStreamId, type CartEventType } from '../cart/events';
import { append, type Actor } from '../eventstore';
import { AppError } from '../http/errors';
import { auditQuery, searchEvents, type AuditFilters, type AuditSearch } from './queries';

type Handle = DbHandle & { drop: () => Promise<void> };

const alice: Actor = { userId: 'user-alice', role: 'shopper' };
const bob: Actor = { userId: 'user-bob', role: 'shopper' };
const admin: Actor = { userId: 'user-admin', role: 'admin' };

/** Fixture times: one event per second from 2025-01-01 12:00:00 UTC. */
const T = (s: number) => new Date(Date.UTC(2025, 0, 1, 12, 0, 0) + s * 1000);

/** What the test appended, in append order: the expected answers are computed from it. */
type Appended = { globalPosition: number; cartId: string; version: number; type: CartEventType; userId: string; at: Date };

describe.each(testDbKinds())('admin audit search on %s', (kind) => {
  let h: Handle;
  const all: Appended[] = [];
  const A = randomUUID();
  const B = randomUUID();
  const C = randomUUID();
  let corr = 0;

  async function put(cartId: string, type: CartEventType, data: Record<string, unknown>, actor: Actor, at: Date) {
    const r = await append(h.db, cartStreamId(cartId), [{ type, data }], {
      streamType: CART_STREAM_TYPE,
      expectedVersion: 'any',
      metadata: { actor, correlationId: `corr-${++corr}`, causationId: corr > 1 ? `cause-${corr}` : null, commandId: null },
      occurredAt: at,
    });
    const e = r.events[0];
    const row = { globalPosition: e.globalPosition, cartId, version: e.streamVersion, type, userId: actor.userId, at };
    all.push(row);
    return row;
  }

  const opened = (cartId: string, actor: Actor) => ({ cartId, userId: actor.userId, currency: 'EUR' });
  const added = (productId: string, name: string, quantity: number) => ({ productId, name, unitPriceCents: 1000, quantity });

  /** Expected positions for filters: the appended events that match, newest first. */
  const expected = (f: AuditFilters) =>
    all
      .filter(
        (e) =>
          (f.cartId === undefined || e.cartId === f.cartId) &&
          (f.userId === undefined || e.userId === f.userId) &&
          (f.type === undefined || e.type === f.type) &&
          (f.from === undefined || e.at.getTime() >= f.from.getTime()) &&
          (f.to === undefined || e.at.getTime() < f.to.getTime()),
      )
      .map((e) => e.globalPosition)
      .sort((a, b) => b - a);

  const positions = async (s: AuditSearch) => (await searchEvents(admin, { limit: 200, ...s })).events.map((e) => e.globalPosition);

  /** Every page from the first, following nextCursor. */
  async function pageThrough(s: AuditSearch, between?: () => Promise<void>) {
    const pages: number[][] = [];
    let after: string | undefined;
    for (let i = 0; i < 1000; i++) {
      const page = await searchEvents(admin, { ...s, after });
      pages.push(page.events.map((e) => e.globalPosition));
      if (page.nextCursor === null) return pages;
      expect(page.events.length, 'a page before the last is full').toBe(s.limit ?? 50);
      expect(page.nextCursor).toBe(String(page.events.at(-1)!.globalPosition));
      after = page.nextCursor;
      await between?.();
    }
    throw new Error('paging never ended');
  }

  beforeAll(async () => {
    h = await createTestDatabase(kind);
    setDbHandle(h);
    await put(A, 'CartOpened', opened(A, alice), alice, T(0));
    await put(A, 'ItemAdded', added('espresso-beans', 'Espresso beans', 2), alice, T(1));
    await put(B, 'CartOpened', opened(B, bob), bob, T(2));
    await put(B, 'ItemAdded', added('ceramic-mug', 'Ceramic mug', 1), bob, T(3));
    await put(A, 'ItemAdded', added('ceramic-mug', 'Ceramic mug', 1), alice, T(4));
    await put(C, 'CartOpened', opened(C, alice), alice, T(5));
    // Another stream type in the same log: never part of the audit.
    await append(h.db, `misc-${randomUUID()}`, [{ type: 'ItemAdded', data: {} }], {
      streamType: 'misc',
      expectedVersion: 'no_stream',
      metadata: { actor: alice, correlationId: 'x', causationId: null, commandId: null },
      occurredAt: T(5),
    });
    await put(A, 'ItemQuantityChanged', { productId: 'espresso-beans', from: 2, to: 5 }, alice, T(6));
    await put(B, 'ItemRemoved', { productId: 'ceramic-mug', quantity: 1 }, bob, T(7));
    await put(C, 'ItemAdded', added('paper-filters', 'Paper filters, "02"', 3), alice, T(8));
    await put(A, 'CartCheckedOut', { orderId: 'ord_00000000000000aa', items: [], itemCount: 6, totalCents: 6000, currency: 'EUR' }, alice, T(9));
    // Same moment as the event before: the order between them is the global position.
    await put(B, 'ItemAdded', added('french-press', 'French press', 1), bob, T(9));
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('no filters: every cart event newest first, each with its cart, version, title, actor and ids', async () => {
    const page = await searchEvents(admin, { limit: 200 });
    expect(page.nextCursor).toBeNull();
    expect(page.events.map((e) => e.globalPosition)).toEqual(expected({}));
    expect(page.events).toHaveLength(11);
    const added = page.events.find((e) => e.cartId === A && e.version === 2)!;
    expect(added).toEqual({
      globalPosition: all[1].globalPosition,
      cartId: A,
      version: 2,
      type: 'ItemAdded',
      title: 'Added 2 × Espresso beans',
      data: { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 1000, quantity: 2 },
      occurredAt: '2025-01-01T12:00:01.000Z',
      actor: { userId: 'user-alice', role: 'shopper' },
      correlationId: 'corr-2',
      causationId: 'cause-2',
      schemaVersion: 2, // read as the current ItemAdded schema (server/cart/upcast.ts),
    });
    expect(page.events.map((e) => e.title)).toContain('Checked out, order #ord_00000000000000aa');
    expect(page.events.find((e) => e.type === 'ItemQuantityChanged')!.title).toBe('espresso-beans: quantity 2 → 5');
  });

  it('each filter alone', async () => {
    const cases: AuditFilters[] = [
      { cartId: A },
      { cartId: B },
      { cartId: randomUUID() },
      { userId: 'user-bob' },
      { userId: 'user-alice' },
      { userId: 'nobody' },
      { type: 'ItemAdded' },
      { type: 'CartOpened' },
      { type: 'CartCheckedOut' },
      { from: T(6) },
      { to: T(3) },
    ];
    for (const f of cases) {
      const got = await positions(f);
      expect(got, JSON.stringify(f)).toEqual(expected(f));
    }
    expect(await positions({ cartId: A })).toHaveLength(5);
    expect(await positions({ userId: 'user-bob' })).toHaveLength(4);
    expect(await positions({ type: 'ItemAdded' })).toHaveLength(5);
    expect(await positions({ cartId: randomUUID() })).toEqual([]);
  });

  it('filters combined narrow together', async () => {
    const cases: AuditFilters[] = [
      { userId: 'user-bob', type: 'ItemAdded' },
      { userId: 'user-alice', type: 'ItemAdded', from: T(2) },
      { cartId: A, type: 'ItemAdded' },
      { cartId: A, userId: 'user-bob' },
      { cartId: C, from: T(0), to: T(100) },
      { type: 'CartOpened', from: T(1), to: T(5) },
      { cartId: B, userId: 'user-bob', type: 'ItemAdded', from: T(3), to: T(10) },
    ];
    for (const f of cases) expect(await positions(f), JSON.stringify(f)).toEqual(expected(f));
    expect((await searchEvents(admin, { userId: 'user-bob', type: 'ItemAdded' })).events.map((e) => e.title)).toEqual([
      'Added 1 × French press',
      'Added 1 × Ceramic mug',
    ]);
    expect(await positions({ cartId: A, userId: 'user-bob' })).toEqual([]);
  });

  it('from is inclusive and to exclusive, to the millisecond; from = to is empty', async () => {
    const at4 = all.find((e) => e.at.getTime() === T(4).getTime())!;
    expect(await positions({ from: T(4), to: T(5) })).toEqual([at4.globalPosition]);
    expect(await positions({ from: new Date(T(4).getTime() + 1), to: T(5) })).toEqual([]);
    expect(await positions({ from: T(3), to: T(4) })).not.toContain(at4.globalPosition);
    expect(await positions({ from: T(3), to: new Date(T(4).getTime() + 1) })).toContain(at4.globalPosition);
    expect(await positions({ from: T(4), to: T(4) })).toEqual([]);
    // Both events at T(9).
    expect(await positions({ from: T(9) })).toEqual(expected({ from: T(9) }));
    expect(await positions({ from: T(9) })).toHaveLength(2);
  });

  it('paging with limit 3 returns every event exactly once, newest first; the last page has no cursor', async () => {
    for (const f of [{}, { cartId: A }, { userId: 'user-alice' }, { type: 'ItemAdded' as const }, { from: T(2), to: T(9) }]) {
      const pages = await pageThrough({ ...f, limit: 3 });
      expect(pages.flat(), JSON.stringify(f)).toEqual(expected(f));
      expect(pages.at(-1)!.length).toBeGreaterThan(0);
    }
    // Exactly a multiple of the limit: the last full page already says there is no more.
    expect(await pageThrough({ cartId: B, limit: 2 })).toEqual([expected({ cartId: B }).slice(0, 2), expected({ cartId: B }).slice(2, 4)]);
    expect(await pageThrough({ cartId: B, limit: 4 })).toEqual([expected({ cartId: B })]);
    expect(await pageThrough({ cartId: randomUUID(), limit: 3 })).toEqual([[]]);
  });

  it('paging while events are appended between page reads: nothing that existed at the first read is skipped or repeated', async () => {
    const f: AuditFilters = { from: T(0), to: T(1000) };
    const atFirstRead = expected(f);
    let n = 0;
    const pages = await pageThrough({ ...f, limit: 3 }, async () => {
      // New events on old and new carts, inside the filter's time range.
      await put(A, 'ItemAdded', added('ceramic-mug', 'Ceramic mug', 1), alice, T(500 + n++));
      await put(randomUUID(), 'CartOpened', opened(randomUUID(), bob), bob, T(500 + n++));
    });
    expect(n).toBeGreaterThan(0);
    const seen = pages.flat();
    expect(seen).toEqual(atFirstRead);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('paging while another writer appends concurrently: strictly older on every page, nothing skipped', async () => {
    const D = randomUUID();
    await put(D, 'CartOpened', opened(D, bob), bob, T(600));
    let stop = false;
    let appended = 0;
    const writer = (async () => {
      for (let i = 0; !stop && i < 100; i++) {
        await put(D, 'ItemAdded', added('paper-filters', 'Paper filters', 1), bob, T(601 + i));
        appended++;
      }
    })();
    try {
      while (appended < 3) await new Promise((r) => setTimeout(r, 2));
      const existing = await positions({ limit: 200, from: T(0), to: T(5000) });
      const seen: number[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await searchEvents(admin, { limit: 3, after });
        seen.push(...page.events.map((e) => e.globalPosition));
        if (!page.nextCursor) break;
        after = page.nextCursor;
        await new Promise((r) => setTimeout(r, 1));
      }
      expect(appended, 'the writer kept appending while we paged').toBeGreaterThan(3);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeLessThan(seen[i - 1]);
      expect(seen.filter((p) => existing.includes(p))).toEqual(existing);
    } finally {
      stop = true;
      await writer;
    }
  });

  it('admins only: a shopper is refused with 403, no actor with 401', async () => {
    const shopper = await searchEvents(alice, {}).catch((e) => e);
    expect(shopper).toBeInstanceOf(AppError);
    expect(shopper).toMatchObject({ status: 403, code: 'forbidden' });
    await expect(searchEvents({ userId: 'system', role: 'system' }, {})).rejects.toMatchObject({ status: 403 });
    await expect(searchEvents(null, {})).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('limit defaults to 50; a bad limit or a malformed cursor is a 400', async () => {
    const E = randomUUID();
    for (let v = 1; v <= 55; v++) await put(E, v === 1 ? 'CartOpened' : 'ItemAdded', v === 1 ? opened(E, bob) : added('paper-filters', 'Paper filters', 1), bob, T(700));
    const first = await searchEvents(admin, { cartId: E });
    expect(first.events.map((e) => e.version)).toEqual(Array.from({ length: 50 }, (_, i) => 55 - i));
    const rest = await searchEvents(admin, { cartId: E, after: first.nextCursor! });
    expect(rest.events.map((e) => e.version)).toEqual([5, 4, 3, 2, 1]);
    expect(rest.nextCursor).toBeNull();
    for (const bad of [{ limit: 0 }, { limit: 201 }, { limit: 1.5 }, { after: 'abc' }, { after: '-1' }, { after: '0' }]) {
      await expect(searchEvents(admin, bad), JSON.stringify(bad)).rejects.toMatchObject({ status: 400, code: 'invalid_input' });
    }
  });

  it('each filter reads an index in global order (no sort of the log); a cart reads its stream index', async () => {
    const plan = (f: AuditFilters, ordered = true) =>
      h.db.transaction(async (tx) => {
        // A tiny table makes a scan and a sort cheapest; forbid them to see which index serves the query
        // in order. (export.test.ts checks the plans the planner picks by itself on 100,000 events.)
        await tx.execute(sql`set local enable_seqscan = off`);
        await tx.execute(sql`set local enable_bitmapscan = off`);
        if (ordered) await tx.execute(sql`set local enable_sort = off`);
        const res = await tx.execute(sql`explain (format json) ${auditQuery(tx, f, 1_000_000, 51)}`);
        const rows = (Array.isArray(res) ? res : (res as unknown as { rows: unknown[] }).rows) as Record<string, unknown>[];
        return JSON.stringify(rows[0]);
      });
    const none = await plan({});
    expect(none).toContain('events_pkey');
    expect(none).not.toContain('"Sort"');
    const byUser = await plan({ userId: 'user-bob' });
    expect(byUser).toContain('events_actor_idx');
    expect(byUser).not.toContain('"Sort"');
    const byType = await plan({ type: 'ItemAdded' });
    expect(byType).toContain('events_type_idx');
    expect(byType).not.toContain('"Sort"');
    expect(await plan({ cartId: A }, false)).toContain('events_stream_version_uq');
  });
});
