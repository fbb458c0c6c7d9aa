import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { eq, isNull } from 'drizzle-orm';
import { events, orderProcesses, outbox } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import type { SignedInUser } from '@/server/auth';
import { addItem, changeQuantity, checkOut, openCart } from '@/server/cart/handler';
import { runWithRequestContext } from '@/server/http/request-context';
import { createTestDatabase } from '@/server/testing/db';
import { appMetrics } from '.';
import { renderMetrics } from './scrape';

// The command handler's counters and the scrape, on a real (embedded) database. The cart actions'
// correlation id is checked here too: it is the request id of the context they run in.

const session = vi.hoisted(() => ({ user: null as SignedInUser | null }));
vi.mock('@/server/auth', () => ({ currentUser: async () => session.user }));
vi.mock('next/cache', () => ({ revalidatePath: () => {} }));
// The request's headers (the rate limits read the client address from them); no x-request-id among them.
vi.mock('next/headers', () => ({ headers: async () => new Headers({ 'x-forwarded-for': '127.0.0.1' }) }));

const alice = { actor: { userId: 'user-alice', role: 'shopper' as const } };

/** One sample's value from the exposition text (undefined when the series is absent). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('command metrics and the scrape', () => {
  let h: DbHandle & { drop: () => Promise<void> };
  beforeAll(async () => {
    h = await createTestDatabase('pglite');
    await seedDemo(h.db);
    setDbHandle(h);
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('counts outcomes, durations and appended events per command type; lag and process gauges are measured at scrape time', async () => {
    const m = appMetrics();
    const before = {
      openOk: m.commands.get({ type: 'open', outcome: 'ok' }),
      addOk: m.commands.get({ type: 'add', outcome: 'ok' }),
      addRejected: m.commands.get({ type: 'add', outcome: 'rejected' }),
      limit: m.rejections.get({ type: 'add', code: 'quantity_limit' }),
      changeConflict: m.commands.get({ type: 'change', outcome: 'conflict' }),
      checkoutRejected: m.commands.get({ type: 'checkout', outcome: 'rejected' }),
      appended: m.eventsAppended.get(),
      addTimed: m.duration.count({ type: 'add' }),
    };
    const { cartId } = await openCart(alice);
    await addItem(alice, cartId, { productId: 'paper-filters', quantity: 2 });
    await expect(addItem(alice, cartId, { productId: 'paper-filters', quantity: 98 })).rejects.toMatchObject({ code: 'quantity_limit' });
    await expect(changeQuantity({ ...alice, expectedVersion: 1 }, cartId, { productId: 'paper-filters', quantity: 3 })).rejects.toMatchObject({
      code: 'version_mismatch',
    });
    await checkOut(alice, cartId);
    await expect(checkOut(alice, cartId)).rejects.toMatchObject({ code: 'cart_closed' });

    expect(m.commands.get({ type: 'open', outcome: 'ok' }) - before.openOk).toBe(1);
    expect(m.commands.get({ type: 'add', outcome: 'ok' }) - before.addOk).toBe(1);
    expect(m.commands.get({ type: 'add', outcome: 'rejected' }) - before.addRejected).toBe(1);
    expect(m.rejections.get({ type: 'add', code: 'quantity_limit' }) - before.limit).toBe(1);
    expect(m.commands.get({ type: 'change', outcome: 'conflict' }) - before.changeConflict).toBe(1);
    expect(m.commands.get({ type: 'checkout', outcome: 'rejected' }) - before.checkoutRejected).toBe(1);
    expect(m.duration.count({ type: 'add' }) - before.addTimed).toBe(2);
    // Opened, added, checked out: one event each.
    expect(m.eventsAppended.get() - before.appended).toBe(3);

    const text = await renderMetrics(h.db);
    expect(sample(text, 'eventcart_commands_total{type="add",outcome="ok"}')).toBe(m.commands.get({ type: 'add', outcome: 'ok' }));
    expect(sample(text, 'eventcart_command_duration_seconds_count{type="add"}')).toBe(m.duration.count({ type: 'add' }));
    expect(text).toContain('# TYPE eventcart_command_duration_seconds histogram');
    expect(text).toContain('# TYPE eventcart_concurrency_retries_total counter');
    // Nothing has run the sales-daily subscriber here, so it lags by every event so far.
    const total = (await h.db.select().from(events)).length;
    expect(sample(text, 'eventcart_subscriber_lag_events{subscriber="sales-daily"}')).toBe(total);
    expect(sample(text, 'eventcart_subscriber_lag_seconds{subscriber="sales-daily"}')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'eventcart_database_up')).toBe(1);
    // The checkout's order ran to confirmed; no relay runs here, so its two messages wait in the outbox.
    const confirmed = await h.db.select().from(orderProcesses).where(eq(orderProcesses.status, 'confirmed'));
    expect(sample(text, 'eventcart_order_processes{status="confirmed"}')).toBe(confirmed.length);
    expect(sample(text, 'eventcart_order_processes_overdue')).toBe(0);
    expect(sample(text, 'eventcart_outbox_pending_messages')).toBe((await h.db.select().from(outbox).where(isNull(outbox.publishedAt))).length);
    expect(sample(text, 'eventcart_outbox_pending_messages')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
    expect(sample(text, 'eventcart_uptime_seconds')).toBeGreaterThan(0);
  });

  it('the metrics live in one process-wide object (Next may load the module twice)', () => {
    expect((globalThis as { __eventcartMetrics?: unknown }).__eventcartMetrics).toBe(appMetrics());
  });

  it('server actions use the request id of their context as the events\' correlation id', async () => {
    const { addToCartAction } = await import('@/server/cart/actions');
    session.user = { userId: 'user-bob', role: 'shopper', name: 'Bob', email: 'bob@example.com' };
    const r = await runWithRequestContext({ requestId: 'req-action-7' }, () => addToCartAction('paper-filters', 1, '/'));
    expect(r.ok).toBe(true);
    const stored = await h.db.select().from(events);
    const mine = stored.filter((e) => (e.metadata as { correlationId?: string }).correlationId === 'req-action-7');
    expect(mine.map((e) => e.type)).toContain('ItemAdded');

    // Outside any request (no header to read) the action still gets an id of its own, the same for all its events.
    const r2 = await addToCartAction('paper-filters', 1, '/');
    expect(r2.ok).toBe(true);
    const after = await h.db.select().from(events);
    const last = after.at(-1)!.metadata as { correlationId: string };
    expect(last.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
