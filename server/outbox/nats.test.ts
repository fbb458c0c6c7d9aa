import { killChildOnLine } from '@/server/testing/child';
import { randomBytes } from 'node:crypto';
import { eq, isNull, sql } from 'drizzle-orm';
import { AckPolicy, connect, JSONCodec, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { notifications, outbox } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds } from '@/server/testing/db';
import { addItem, checkOut, openCart } from '../cart/handler';
import { orderNotifications } from '../notifications/consumer';
import { createNatsPublisher, startNatsConsumers, type NatsPublisher } from './nats';
import { rowsOf } from '../projections/sql';
import { relayOnce } from './relay';
import type { IntegrationMessage } from './types';

// The real JetStream server on this machine (NATS_TEST_URL, default the local one). Set
// NATS_TEST_URL=none to leave these tests out where no NATS server runs; otherwise an unreachable
// server fails them.
const NATS_TEST_URL = process.env.NATS_TEST_URL ?? 'nats://127.0.0.1:4222';
const kinds = NATS_TEST_URL === 'none' ? [] : testDbKinds();
const codec = JSONCodec<IntegrationMessage>();

async function until(check: () => Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(kinds)('outbox to NATS JetStream (database: %s)', (kind) => {
  let h: DbHandle & { drop: () => Promise<void> };
  let nc: NatsConnection;
  let publisher: NatsPublisher;
  // A stream and subject prefix of this run's own, deleted at the end: runs never see each other.
  const tag = randomBytes(4).toString('hex');
  const opts = { url: NATS_TEST_URL, stream: `EVENTCART_TEST_${tag}`, prefix: `eventcart_test_${tag}` };

  beforeAll(async () => {
    h = await createTestDatabase(kind);
    await seedDemo(h.db);
    setDbHandle(h);
    nc = await connect({ servers: NATS_TEST_URL, timeout: 3000 });
    publisher = await createNatsPublisher(opts);
  });
  afterAll(async () => {
    await publisher?.close?.();
    await (await nc?.jetstreamManager())?.streams.delete(opts.stream).catch(() => {});
    await nc?.drain();
    setDbHandle(undefined);
    await h?.drop();
  });

  async function streamMessages(): Promise<{ subject: string; body: IntegrationMessage }[]> {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(opts.stream);
    const out = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(opts.stream, { seq });
      out.push({ subject: m.subject, body: codec.decode(m.data) });
    }
    return out;
  }

  it('publishes checkouts to the stream in order; after a relay crash the repeat is dropped by JetStream', async () => {
    const placed: { cartId: string; orderId: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const ctx = { actor: { userId: `nats-shopper-${i}`, role: 'shopper' as const } };
      const { cartId } = await openCart(ctx);
      await addItem(ctx, cartId, { productId: 'espresso-beans', quantity: 1 });
      placed.push({ cartId, orderId: (await checkOut(ctx, cartId)).orderId! });
    }
    // The relay publishes the fourth message and dies before marking it.
    let count = 0;
    await expect(
      relayOnce(h.db, publisher, {
        afterPublish: () => {
          if (++count === 4) throw new Error('relay killed');
        },
      }),
    ).rejects.toThrow('relay killed');
    expect(publisher.lastAck?.duplicate).toBe(false);
    expect(await h.db.select().from(outbox).where(isNull(outbox.publishedAt))).toHaveLength(3);

    // A new relay publishes message 4 again: JetStream recognises its id and stores it once.
    const seqBefore = publisher.lastAck!.seq;
    const first = await relayOnce(h.db, publisher, { batchSize: 1 });
    expect(first.published).toBe(1);
    expect(publisher.lastAck).toEqual({ seq: seqBefore, duplicate: true });
    expect(await relayOnce(h.db, publisher)).toMatchObject({ published: 2, failed: null });

    const stored = await streamMessages();
    expect(stored).toHaveLength(6);
    expect(stored.map((m) => m.subject)).toEqual(
      placed.flatMap(() => [`${opts.prefix}.cart.checked_out`, `${opts.prefix}.order.confirmed`]),
    );
    expect(stored.map((m) => m.body.partitionKey)).toEqual(placed.flatMap((p) => [p.cartId, p.cartId]));
    expect(stored[1].body.payload).toMatchObject({ orderId: placed[0].orderId });
    expect(new Set(stored.map((m) => m.body.messageId)).size).toBe(6);
  });

  it('a durable consumer turns order.confirmed into one notification per order, even when NATS redelivers', async () => {
    const sub = await startNatsConsumers([orderNotifications], () => h.db, opts);
    try {
      const orderIds = (await streamMessages()).filter((m) => m.body.subject === 'order.confirmed').map((m) => m.body.payload.orderId as string);
      await until(async () => (await h.db.select().from(notifications)).length === orderIds.length);

      // Redelivery: publish an already-handled message again under a new NATS id (past the duplicate
      // window, as after a long outage); the consumer recognises the message id and writes nothing.
      const [again] = (await streamMessages()).filter((m) => m.body.subject === 'order.confirmed');
      const js = nc.jetstream();
      await js.publish(`${opts.prefix}.order.confirmed`, codec.encode(again.body), { msgID: `${again.body.messageId}#redelivered` });
      const jsm = await nc.jetstreamManager();
      await until(async () => (await jsm.consumers.info(opts.stream, 'order-notifications')).num_ack_pending === 0 &&
        (await jsm.consumers.info(opts.stream, 'order-notifications')).num_pending === 0);
      const rows = await h.db.select().from(notifications);
      expect(rows).toHaveLength(orderIds.length);
      expect(rows.map((r) => r.orderId).sort()).toEqual([...orderIds].sort());
      const info = await jsm.consumers.info(opts.stream, 'order-notifications');
      expect(info.config.ack_policy).toBe(AckPolicy.Explicit);
      expect(info.delivered.stream_seq).toBe((await jsm.streams.info(opts.stream)).state.last_seq);
      expect(await h.db.select().from(notifications).where(eq(notifications.orderId, orderIds[0]))).toHaveLength(1);
    } finally {
      await sub.stop();
    }
  });
});

// A relay really killed (SIGKILL of its process) after JetStream stored a message and before the
// outbox row was marked: the next relay publishes it again, JetStream stores it once, and a consumer
// handles it once. Needs a database two processes can share: PostgreSQL.
describe.each(kinds.filter((k) => k === 'postgres'))('a relay process killed mid-batch (database: %s)', (kind) => {
  let h: DbHandle & { drop: () => Promise<void>; url?: string };
  let nc: NatsConnection;
  const tag = randomBytes(4).toString('hex');
  const opts = { url: NATS_TEST_URL, stream: `EVENTCART_TEST_${tag}`, prefix: `eventcart_test_${tag}` };

  beforeAll(async () => {
    h = await createTestDatabase(kind);
    await seedDemo(h.db);
    setDbHandle(h);
    nc = await connect({ servers: NATS_TEST_URL, timeout: 3000 });
  });
  afterAll(async () => {
    await (await nc?.jetstreamManager())?.streams.delete(opts.stream).catch(() => {});
    await nc?.drain();
    setDbHandle(undefined);
    await h?.drop();
  });

  it('the message published before the kill is published again, stored once, and handled once', async () => {
    const orderIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const ctx = { actor: { userId: `kill-shopper-${i}`, role: 'shopper' as const } };
      const { cartId } = await openCart(ctx);
      await addItem(ctx, cartId, { productId: 'paper-filters', quantity: 1 });
      orderIds.push((await checkOut(ctx, cartId)).orderId!);
    }
    const [{ db }] = rowsOf<{ db: string }>(await h.db.execute(sql`select current_database() as db`));
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${db}`;
    const line = await killChildOnLine(
      'server/testing/relay-child.ts',
      {
        CHILD_DATABASE_URL: url.toString(),
        CHILD_NATS_URL: opts.url,
        CHILD_NATS_STREAM: opts.stream,
        CHILD_NATS_SUBJECT_PREFIX: opts.prefix,
        CHILD_PUBLISH_COUNT: '2',
      },
      /^(published .*|nothing)$/m,
    );
    expect(line).toMatch(/^published /);
    const [, killedId, killedSeq] = line.split(' ');

    // The first message was marked, the second (the one in flight) was not.
    const unpublished = await h.db.select().from(outbox).where(isNull(outbox.publishedAt));
    expect(unpublished.map((r) => r.messageId)).toContain(killedId);
    expect(unpublished).toHaveLength(3);

    const publisher = await createNatsPublisher(opts);
    try {
      const first = await relayOnce(h.db, publisher, { batchSize: 1 });
      expect(first.published).toBe(1);
      expect(publisher.lastAck).toEqual({ seq: Number(killedSeq), duplicate: true });
      await relayOnce(h.db, publisher);
    } finally {
      await publisher.close?.();
    }
    const jsm = await nc.jetstreamManager();
    expect((await jsm.streams.info(opts.stream)).state.messages).toBe(4);

    const sub = await startNatsConsumers([orderNotifications], () => h.db, opts);
    try {
      await until(async () => (await h.db.select().from(notifications)).length === 2);
      await new Promise((r) => setTimeout(r, 300));
      expect((await h.db.select().from(notifications)).map((n) => n.orderId).sort()).toEqual([...orderIds].sort());
    } finally {
      await sub.stop();
    }
  });
});
