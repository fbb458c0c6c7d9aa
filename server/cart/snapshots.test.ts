import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { carts, products, snapshots } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds } from '@/server/testing/db';
import { getProduct, toSnapshot } from '../catalog/queries';
import { append, lastVersion, readStream, type Actor } from '../eventstore';
import type { CartCommand } from './decide';
import { toEnvelope } from './envelope';
import { CART_STREAM_TYPE, cartStreamId, type CartEvent } from './events';
import { evolve, type CartState } from './evolve';
import { handleCartCommand, loadCart, openCart, type CommandContext } from './handler';
import { getCartStateAt } from './queries';
import { CART_STATE_SCHEMA_VERSION, loadState, readSnapshotEvery, SNAPSHOT_EVERY, writeSnapshotsFor } from './snapshots';

// K = 10 for this file: set before the modules above are evaluated.
vi.hoisted(() => {
  process.env.SNAPSHOT_EVERY = '10';
});

const K = 10;
const N = 250;
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
/** Three consecutive versions share each millisecond: version v happens at T0 + floor((v - 1) / 3) seconds. */
const timeOf = (v: number) => new Date(T0 + Math.floor((v - 1) / 3) * 1000);

/** A small deterministic PRNG, so a failure replays the same cart. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const catalog = ['espresso-beans', 'filter-roast', 'decaf-beans', 'ceramic-mug', 'pour-over-dripper', 'paper-filters', 'french-press', 'travel-tumbler'];

/** One command that yields exactly one event against `state`: add, change or remove a catalog product. */
function nextCommand(state: CartState, rnd: () => number): { kind: string; productId: string; quantity?: number } {
  const r = rnd();
  const lines = state.items;
  if (lines.length > 0 && r < 0.3) {
    const l = lines[Math.floor(rnd() * lines.length)];
    let to = 1 + Math.floor(rnd() * 20);
    if (to === l.quantity) to = to === 1 ? 2 : to - 1;
    return { kind: 'change', productId: l.productId, quantity: to };
  }
  if (lines.length > 0 && r < 0.45) return { kind: 'remove', productId: lines[Math.floor(rnd() * lines.length)].productId };
  const productId = catalog[Math.floor(rnd() * catalog.length)];
  const current = lines.find((l) => l.productId === productId)?.quantity ?? 0;
  if (current > 90) return { kind: 'remove', productId };
  return { kind: 'add', productId, quantity: 1 + Math.floor(rnd() * 3) };
}

function run(ctx: CommandContext, cartId: string, c: ReturnType<typeof nextCommand>, tx?: DbHandle['db']) {
  return handleCartCommand(
    cartId,
    c.kind,
    c,
    ctx,
    async (db): Promise<CartCommand> => {
      if (c.kind === 'remove') return { type: 'RemoveItem', data: { productId: c.productId } };
      const p = await getProduct(c.productId, db);
      const product = p && toSnapshot(p);
      return c.kind === 'add'
        ? { type: 'AddItem', data: { productId: c.productId, quantity: c.quantity!, product } }
        : { type: 'ChangeQuantity', data: { productId: c.productId, quantity: c.quantity!, product } };
    },
    tx,
  );
}

let users = 0;

describe('SNAPSHOT_EVERY', () => {
  it('defaults to 100, reads a whole number from the environment and refuses anything else', () => {
    expect(SNAPSHOT_EVERY).toBe(K);
    expect(readSnapshotEvery({})).toBe(100);
    expect(readSnapshotEvery({ SNAPSHOT_EVERY: '' })).toBe(100);
    expect(readSnapshotEvery({ SNAPSHOT_EVERY: '25' })).toBe(25);
    for (const bad of ['0', '-5', '1.5', 'ten', '2000000']) {
      expect(() => readSnapshotEvery({ SNAPSHOT_EVERY: bad }), bad).toThrow(/SNAPSHOT_EVERY/);
    }
  });
});

describe.each(testDbKinds())('snapshots on %s', (kind) => {
  let h: DbHandle & { drop: () => Promise<void> };
  let actor: Actor;
  let cartId: string;
  let streamId: string;
  /** prefix[v]: the plain fold of events 1..v, no snapshot involved. */
  const prefix: CartState[] = [];

  const snapshotRows = (id: string) =>
    h.db.select().from(snapshots).where(eq(snapshots.streamId, id)).orderBy(asc(snapshots.version));

  beforeAll(async () => {
    h = await createTestDatabase(kind);
    await seedDemo(h.db);
    await h.db.update(products).set({ stock: 100_000 });
    setDbHandle(h);

    // A 250-event cart through the command handler, with controlled clocks.
    actor = { userId: `snap-${kind}-${++users}`, role: 'shopper' };
    let clock = timeOf(1);
    const ctx: CommandContext = { actor, now: () => clock };
    ({ cartId } = await openCart(ctx));
    streamId = cartStreamId(cartId);
    const rnd = prng(42);
    let state = (await loadCart(h.db, cartId)).state!;
    for (let v = 2; v <= N; v++) {
      clock = timeOf(v);
      const result = await run(ctx, cartId, nextCommand(state, rnd));
      expect(result.version).toBe(v);
      state = result.cart;
    }
    const events = await readStream(h.db, streamId);
    let s: CartState | null = null;
    for (const e of events) {
      s = evolve(s, toEnvelope(e));
      prefix[e.streamVersion] = s;
    }
  }, 120_000);
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('the test cart is realistic: 250 events of adds, changes and removes of catalog products', () => {
    expect(prefix).toHaveLength(N + 1);
    expect(prefix[N].version).toBe(N);
  });

  it('a snapshot is stored at every multiple of K, holding the fold at exactly that version', async () => {
    const rows = await snapshotRows(streamId);
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: N / K }, (_, i) => (i + 1) * K));
    for (const r of rows) {
      expect(r.schemaVersion).toBe(CART_STATE_SCHEMA_VERSION);
      expect(r.state, `snapshot ${r.version}`).toEqual(prefix[r.version]);
    }
  });

  it('the state at every version 1..250 from the nearest snapshot equals the plain fold, byte for byte', async () => {
    for (let v = 1; v <= N; v++) {
      const loaded = await loadCart(h.db, cartId, { toVersion: v });
      const nearest = Math.floor(v / K) * K;
      expect(loaded.snapshotVersion, `version ${v}`).toBe(nearest);
      expect(loaded.events.map((e) => e.streamVersion), `version ${v}`).toEqual(Array.from({ length: v - nearest }, (_, i) => nearest + i + 1));
      expect(JSON.stringify(loaded.state), `version ${v}`).toBe(JSON.stringify(prefix[v]));
    }
    // Without a bound: the latest version, which the read model holds too.
    const latest = await loadCart(h.db, cartId);
    expect(latest.state).toEqual(prefix[N]);
    const [row] = await h.db.select().from(carts).where(eq(carts.cartId, cartId));
    expect({ ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() }).toEqual(prefix[N]);
  });

  it('the state API query gives the same answers by version (including versions that sit on a snapshot)', async () => {
    for (const v of [1, 9, 10, 11, 100, 199, 200, 249, 250]) {
      expect(await getCartStateAt(actor, cartId, { version: v })).toEqual({ cartId, version: v, state: prefix[v] });
    }
    await expect(getCartStateAt(actor, cartId, { version: N + 1 })).rejects.toMatchObject({ status: 404 });
  });

  describe('until', () => {
    it('before the first event there is no cart: null here, 404 from the state API', async () => {
      const before = new Date(T0 - 1);
      expect(await loadCart(h.db, cartId, { until: before })).toEqual({ state: null, events: [], snapshotVersion: 0 });
      await expect(getCartStateAt(actor, cartId, { at: before })).rejects.toMatchObject({ status: 404, code: 'no_state_at_point' });
    });

    it('exactly at an event time: the last of the events in that millisecond; one ms earlier: the group before', async () => {
      // Version v's millisecond holds versions 3g+1..3g+3, so e.g. 10, 11 and 12 share one (a snapshot sits at 10).
      for (let g = 0; 3 * g + 1 <= N; g++) {
        const t = timeOf(3 * g + 1);
        const last = Math.min(3 * g + 3, N);
        const loaded = await loadCart(h.db, cartId, { until: t });
        expect(loaded.state, `at group ${g}`).toEqual(prefix[last]);
        expect(loaded.snapshotVersion).toBe(Math.floor(last / K) * K);
        if (g > 0) expect((await loadCart(h.db, cartId, { until: new Date(t.getTime() - 1) })).state).toEqual(prefix[3 * g]);
      }
      expect(await getCartStateAt(actor, cartId, { at: timeOf(10) })).toEqual({ cartId, version: 12, state: prefix[12] });
      expect(await getCartStateAt(actor, cartId, { at: timeOf(30) })).toEqual({ cartId, version: 30, state: prefix[30] });
    });

    it('in the future: the latest version', async () => {
      const future = new Date(Date.now() + 365 * 86_400_000);
      expect((await loadCart(h.db, cartId, { until: future })).state).toEqual(prefix[N]);
      expect(await getCartStateAt(actor, cartId, { at: future })).toEqual({ cartId, version: N, state: prefix[N] });
    });

    it('until and toVersion together: the lower of the two', async () => {
      expect((await loadCart(h.db, cartId, { until: timeOf(100), toVersion: 50 })).state).toEqual(prefix[50]);
      expect((await loadCart(h.db, cartId, { until: timeOf(40), toVersion: 200 })).state).toEqual(prefix[42]);
    });

    it('the version at a moment comes from one index scan of the stream, without a sort', async () => {
      const text = await h.db.transaction(async (tx) => {
        await tx.execute(sql`set local enable_seqscan = off`);
        await tx.execute(sql`set local enable_sort = off`);
        const res = await tx.execute(
          sql`explain (format json) select stream_version from events where stream_id = ${streamId} and occurred_at <= ${timeOf(40).toISOString()}::timestamptz order by stream_version desc limit 1`,
        );
        const rows = (Array.isArray(res) ? res : (res as unknown as { rows: unknown[] }).rows) as Record<string, unknown>[];
        return JSON.stringify(rows[0]);
      });
      expect(text).toContain('events_stream_version_uq');
      expect(text).toContain('Backward');
      expect(text).not.toContain('"Sort"');
      expect(await lastVersion(h.db, streamId, { until: timeOf(40) })).toBe(42);
    });
  });

  describe('a snapshot never changes an answer', () => {
    const insertSnapshot = (version: number, schemaVersion: number, state: unknown) =>
      h.db.insert(snapshots).values({ streamId, version, schemaVersion, state });

    it('one with another schema version is ignored, even when it sits closer', async () => {
      const wrong = { ...prefix[245], items: [], itemCount: 0, totalCents: 1 };
      await insertSnapshot(245, CART_STATE_SCHEMA_VERSION + 1, wrong);
      await insertSnapshot(246, CART_STATE_SCHEMA_VERSION - 1, wrong);
      try {
        const loaded = await loadCart(h.db, cartId, { toVersion: 249 });
        expect(loaded.state).toEqual(prefix[249]);
        expect(loaded.snapshotVersion).toBe(240);
        expect(await getCartStateAt(actor, cartId, { version: 247 })).toEqual({ cartId, version: 247, state: prefix[247] });
      } finally {
        await h.db.delete(snapshots).where(and(eq(snapshots.streamId, streamId), sql`${snapshots.version} in (245, 246)`));
      }
    });

    it('one of the current schema version that does not parse or belongs to another version or cart is ignored', async () => {
      for (const state of [{ nonsense: true }, prefix[240], { ...prefix[247], cartId: 'someone-else' }]) {
        await insertSnapshot(247, CART_STATE_SCHEMA_VERSION, state);
        try {
          const loaded = await loadCart(h.db, cartId, { toVersion: 248 });
          expect(loaded.state).toEqual(prefix[248]);
          expect(loaded.snapshotVersion).toBe(0);
        } finally {
          await h.db.delete(snapshots).where(and(eq(snapshots.streamId, streamId), eq(snapshots.version, 247)));
        }
      }
    });

    it('with no snapshot at all (the table emptied) the answers are the same', async () => {
      const other = await openCart({ actor, now: () => timeOf(1) });
      for (let i = 0; i < 12; i++) await run({ actor }, other.cartId, { kind: 'add', productId: 'ceramic-mug', quantity: 1 });
      const id = cartStreamId(other.cartId);
      expect((await snapshotRows(id)).map((r) => r.version)).toEqual([10]);
      const withSnap = await loadCart(h.db, other.cartId, { toVersion: 13 });
      await h.db.delete(snapshots).where(eq(snapshots.streamId, id));
      const without = await loadCart(h.db, other.cartId, { toVersion: 13 });
      expect(withSnap.snapshotVersion).toBe(10);
      expect(without.snapshotVersion).toBe(0);
      expect(without.state).toEqual(withSnap.state);
      expect(without.state?.itemCount).toBe(12);
    });
  });

  describe('writing', () => {
    it('in the command transaction: visible inside it, gone with its rollback', async () => {
      const ctx: CommandContext = { actor };
      const { cartId: id } = await openCart(ctx);
      for (let v = 2; v <= 9; v++) await run(ctx, id, { kind: 'add', productId: 'paper-filters', quantity: 1 });
      const sid = cartStreamId(id);
      await expect(
        h.db.transaction(async (tx) => {
          const done = await run(ctx, id, { kind: 'add', productId: 'paper-filters', quantity: 1 }, tx);
          expect(done.version).toBe(10);
          const inside = await tx.select().from(snapshots).where(eq(snapshots.streamId, sid));
          expect(inside.map((r) => r.version)).toEqual([10]);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await snapshotRows(sid)).toEqual([]);
      expect((await readStream(h.db, sid)).length).toBe(9);

      await run(ctx, id, { kind: 'add', productId: 'paper-filters', quantity: 1 });
      const rows = await snapshotRows(sid);
      expect(rows.map((r) => r.version)).toEqual([10]);
      expect(rows[0].state).toEqual((await loadCart(h.db, id, { toVersion: 10 })).state);
      expect((rows[0].state as CartState).itemCount).toBe(9);
    });

    it('a batch that crosses multiples of K stores the state exactly at each multiple, not after the batch', async () => {
      const id = `batch-${kind}-${++users}`;
      const sid = cartStreamId(id);
      const meta = { actor, correlationId: 'c', causationId: null, commandId: null };
      const add = (i: number): CartEvent => ({
        type: 'ItemAdded',
        data: { productId: `p${i}`, name: `Product ${i}`, unitPriceCents: 100 + i, quantity: 1 },
      });
      const opened: CartEvent = { type: 'CartOpened', data: { cartId: id, userId: actor.userId, currency: 'EUR' } };
      await h.db.transaction(async (tx) => {
        const first = await append(tx, sid, [opened, ...Array.from({ length: 7 }, (_, i) => add(i))], {
          streamType: CART_STREAM_TYPE,
          expectedVersion: 'no_stream',
          metadata: meta,
          occurredAt: new Date(T0),
        });
        const envelopes = first.events.map(toEnvelope);
        expect(await writeSnapshotsFor(tx, sid, null, envelopes)).toEqual([]);
        const before = (await loadCart(tx, id)).state;
        const second = await append(tx, sid, Array.from({ length: 15 }, (_, i) => add(7 + i)), {
          streamType: CART_STREAM_TYPE,
          expectedVersion: 8,
          metadata: meta,
          occurredAt: new Date(T0 + 1000),
        });
        expect(await writeSnapshotsFor(tx, sid, before, second.events.map(toEnvelope))).toEqual([10, 20]);
      });
      const rows = await snapshotRows(sid);
      expect(rows.map((r) => [r.version, (r.state as CartState).version, (r.state as CartState).items.length])).toEqual([
        [10, 10, 9],
        [20, 20, 19],
      ]);
      expect(rows[1].state).toEqual((await loadState(h.db, id, { toVersion: 20, useSnapshots: false })).state);
      expect((await loadCart(h.db, id)).state?.items).toHaveLength(22);
    });
  });
});
