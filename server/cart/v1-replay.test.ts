import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { carts, events as eventsTable } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds } from '@/server/testing/db';
import { readStream } from '../eventstore';
import type { CartState } from './evolve';
import fixture from './fixtures/v1-cart-stream.json';
import { addItem, loadCart } from './handler';
import { projectCart } from './projections';
import { listCartEvents } from './history';
import { getCartStateAt } from './queries';

// A cart written by the v1 release (ItemAdded with `unitPrice: "24.90"`), inserted row by row with
// plain SQL as it sits in an old database, must still replay to the same cart today.

const cartId = fixture.stream.stream_id.replace(/^cart-/, '');
const alice = { userId: 'user-alice', role: 'shopper' as const };
const at = (i: number) => fixture.events[i - 1].occurred_at;

const espresso = (quantity: number) => ({
  productId: 'espresso-beans',
  name: 'Espresso beans',
  unitPriceCents: 2490,
  quantity,
  lineTotalCents: 2490 * quantity,
});
const mug = { productId: 'ceramic-mug', name: 'Ceramic mug', unitPriceCents: 1200, quantity: 1, lineTotalCents: 1200 };
const filters = { productId: 'paper-filters', name: 'Paper filters', unitPriceCents: 650, quantity: 3, lineTotalCents: 1950 };

const stateAt = (version: number, items: CartState['items']): CartState => ({
  cartId,
  userId: 'user-alice',
  status: 'open',
  items,
  itemCount: items.reduce((n, l) => n + l.quantity, 0),
  totalCents: items.reduce((n, l) => n + l.lineTotalCents, 0),
  currency: 'EUR',
  version,
  orderId: null,
  createdAt: at(1),
  updatedAt: at(version),
});

/** What the v1 stream means, version by version. */
const expected: Record<number, CartState> = {
  1: stateAt(1, []),
  2: stateAt(2, [espresso(2)]),
  3: stateAt(3, [espresso(2), mug]),
  4: stateAt(4, [espresso(2), mug, filters]),
  5: stateAt(5, [espresso(4), mug, filters]),
  6: stateAt(6, [espresso(4), filters]),
  7: stateAt(7, [espresso(5), filters]),
};

async function insertFixture(h: DbHandle) {
  const s = fixture.stream;
  await h.db.transaction(async (tx) => {
    await tx.execute(sql`
      insert into streams (stream_id, stream_type, version, created_at, updated_at)
      values (${s.stream_id}, ${s.stream_type}, ${s.version}, ${s.created_at}::timestamptz, ${s.updated_at}::timestamptz)`);
    for (const e of fixture.events) {
      await tx.execute(sql`
        insert into events (stream_id, stream_type, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at)
        values (${s.stream_id}, ${s.stream_type}, ${e.stream_version}, ${e.type}, ${e.schema_version},
                ${JSON.stringify(e.data)}::jsonb, ${JSON.stringify(e.metadata)}::jsonb,
                ${e.occurred_at}::timestamptz, ${e.recorded_at}::timestamptz)`);
    }
  });
}

describe.each(testDbKinds())('a v1 cart stream replays today on %s', (kind) => {
  let h: DbHandle & { drop: () => Promise<void> };
  beforeAll(async () => {
    h = await createTestDatabase(kind);
    await seedDemo(h.db);
    setDbHandle(h);
    await insertFixture(h);
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('the rows are stored as v1 wrote them: schema version 1, price as a decimal string', async () => {
    const rows = await h.db.select().from(eventsTable).where(eq(eventsTable.streamId, fixture.stream.stream_id)).orderBy(eventsTable.streamVersion);
    expect(rows.map((r) => r.schemaVersion)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(rows[1].data).toEqual({ productId: 'espresso-beans', name: 'Espresso beans', unitPrice: '24.90', quantity: 2 });
    expect(rows[6].metadata).toEqual(fixture.events[6].metadata);
  });

  it('loadCart folds it, through the upcaster, to the cart it was at every version', async () => {
    for (let v = 1; v <= 7; v++) {
      expect((await loadCart(h.db, cartId, { toVersion: v })).state, `version ${v}`).toEqual(expected[v]);
    }
    const now = await loadCart(h.db, cartId);
    expect(now.state).toEqual(expected[7]);
    expect(now.events.filter((e) => e.type === 'ItemAdded').map((e) => [e.schemaVersion, e.data])).toEqual([
      [2, { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity: 2 }],
      [2, { productId: 'ceramic-mug', name: 'Ceramic mug', unitPriceCents: 1200, quantity: 1 }],
      [2, { productId: 'paper-filters', name: 'Paper filters', unitPriceCents: 650, quantity: 3 }],
      [2, { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity: 1 }],
    ]);
  });

  it('the state API query answers by version and by time; the events API shows the upcast data', async () => {
    // Rebuild the read model from the replayed events, as a projection rebuild would.
    const { state } = await loadCart(h.db, cartId);
    await h.db.transaction((tx) => projectCart(tx, state!, []));

    for (let v = 1; v <= 7; v++) {
      expect(await getCartStateAt(alice, cartId, { version: v })).toEqual({ cartId, version: v, state: expected[v] });
    }
    // Events 6 and 7 share a millisecond: that moment shows both.
    expect(await getCartStateAt(alice, cartId, { at: new Date(at(6)) })).toEqual({ cartId, version: 7, state: expected[7] });
    expect(await getCartStateAt(alice, cartId, { at: new Date(Date.parse(at(6)) - 1) })).toEqual({ cartId, version: 5, state: expected[5] });
    expect((await getCartStateAt(alice, cartId, { at: new Date(at(3)) })).state).toEqual(expected[3]);
    await expect(getCartStateAt(alice, cartId, { at: new Date(Date.parse(at(1)) - 1) })).rejects.toMatchObject({ status: 404 });

    const { events } = await listCartEvents(alice, cartId);
    expect(events.map((e) => [e.version, e.type, e.schemaVersion])).toEqual([
      [1, 'CartOpened', 1],
      [2, 'ItemAdded', 2],
      [3, 'ItemAdded', 2],
      [4, 'ItemAdded', 2],
      [5, 'ItemQuantityChanged', 1],
      [6, 'ItemRemoved', 1],
      [7, 'ItemAdded', 2],
    ]);
    expect(events[1].data).toEqual({ productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity: 2 });
    expect(events[1]).toMatchObject({ actor: alice, correlationId: fixture.events[1].metadata.correlationId, occurredAt: at(2) });
  });

  it('a command today appends a v2 event on top of the v1 ones, and the mixed stream replays', async () => {
    const done = await addItem({ actor: alice }, cartId, { productId: 'paper-filters', quantity: 1 });
    expect(done.version).toBe(8);
    const stored = await readStream(h.db, fixture.stream.stream_id, { afterVersion: 7 });
    expect(stored.map((e) => [e.type, e.schemaVersion, e.data])).toEqual([
      // A command today also reserves the line (docs/reservations.md).
      ['ItemAdded', 2, { productId: 'paper-filters', name: 'Paper filters', unitPriceCents: 650, quantity: 1, reservedUntil: expect.any(String) }],
    ]);
    const after = { ...expected[7], version: 8, updatedAt: stored[0].occurredAt.toISOString() };
    after.items = [espresso(5), { ...filters, quantity: 4, lineTotalCents: 2600 }];
    after.itemCount = 9;
    after.totalCents = 2490 * 5 + 2600;
    expect((await loadCart(h.db, cartId)).state).toEqual(after);
    expect(done.cart).toEqual(after);
    const [row] = await h.db.select().from(carts).where(eq(carts.cartId, cartId));
    expect(row.version).toBe(8);
    expect(row.totalCents).toBe(after.totalCents);
  });
});
