import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { createTestDatabase } from '@/server/testing/db';
import { append, lag, type Subscriber } from '../eventstore';
import { createSubscriberRunner, readSubscriberEnv, startSubscribers, stopSubscribers, subscriberLag } from './runner';

type Handle = DbHandle & { drop: () => Promise<void> };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const meta = { actor: { userId: 'u', role: 'system' as const }, correlationId: 'c', causationId: null, commandId: null };
const put = (h: Handle, id: string, n: number) =>
  append(h.db, id, Array.from({ length: n }, () => ({ type: 'Thing', data: {} })), {
    streamType: 'test',
    expectedVersion: 'any',
    metadata: meta,
    occurredAt: new Date(),
  });

async function until(check: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

// The loop itself (timing, failures, stop) is the same on both databases; PGlite keeps it quick.
describe('the subscriber polling loop', () => {
  let h: Handle;
  beforeAll(async () => {
    h = await createTestDatabase('pglite');
    setDbHandle(h);
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });
  afterEach(async () => {
    await stopSubscribers();
  });

  it('polls, catches up in full batches at once, keeps a failing subscriber from holding up the others, and stops', async () => {
    const handled: number[] = [];
    const good: Subscriber = {
      name: 'loop-good',
      batchSize: 10,
      handle: async (_tx, events) => {
        handled.push(...events.map((e) => e.globalPosition));
      },
    };
    let calls = 0;
    const bad: Subscriber = {
      name: 'loop-bad',
      handle: async () => {
        calls++;
        throw new Error('always fails');
      },
    };
    await put(h, 'loop-1', 35);
    const runner = createSubscriberRunner({ subscribers: [bad, good], pollMs: 20, db: () => h.db });
    await until(async () => handled.length === 35);
    await put(h, 'loop-1', 3);
    await until(async () => handled.length === 38);
    expect(new Set(handled).size).toBe(38);
    expect(calls).toBeGreaterThan(0);
    // Backoff: far fewer attempts than polls.
    expect(calls).toBeLessThan(10);
    expect((await lag(h.db, 'loop-bad')).events).toBe(38);

    await runner.stop();
    expect(runner.stopped).toBe(true);
    await put(h, 'loop-1', 1);
    await sleep(100);
    expect(handled).toHaveLength(38);
  });

  it('startSubscribers starts one process-wide loop, SUBSCRIBERS=0 none; stopSubscribers ends it', async () => {
    const a = startSubscribers({ pollMs: 20 });
    const b = startSubscribers({ pollMs: 20 });
    expect(a).not.toBeNull();
    expect(b).toBe(a);
    await stopSubscribers();
    expect(a!.stopped).toBe(true);

    const before = process.env.SUBSCRIBERS;
    process.env.SUBSCRIBERS = '0';
    try {
      expect(startSubscribers()).toBeNull();
    } finally {
      if (before === undefined) delete process.env.SUBSCRIBERS;
      else process.env.SUBSCRIBERS = before;
    }
  });

  it('the registered subscribers run from startSubscribers and report their lag', async () => {
    await put(h, 'loop-2', 2);
    const [first] = await subscriberLag(h.db);
    expect(first).toMatchObject({ subscriber: 'sales-daily' });
    expect(first.events).toBeGreaterThan(0); // the events appended above are not handled yet
    startSubscribers({ pollMs: 20 });
    await until(async () => (await subscriberLag(h.db)).every((l) => l.events === 0));
    expect(await subscriberLag(h.db)).toEqual([
      { subscriber: 'sales-daily', events: 0, seconds: 0, heldBack: 0 },
      { subscriber: 'cart-funnel', events: 0, seconds: 0, heldBack: 0 },
    ]);
    const res = await h.db.execute(sql`select count(*)::int as n from subscriber_checkpoints where subscriber in ('sales-daily', 'cart-funnel')`);
    const [{ n }] = (res as unknown as { rows: { n: number }[] }).rows;
    expect(n).toBe(2);
  });

  it('reads its settings from the environment with defaults', () => {
    const env = (vars: Record<string, string>) => vars as unknown as NodeJS.ProcessEnv;
    expect(readSubscriberEnv(env({}))).toEqual({ SUBSCRIBERS: true, SUBSCRIBER_POLL_MS: 500, SUBSCRIBER_LAG_WARN_SECONDS: 60 });
    expect(readSubscriberEnv(env({ SUBSCRIBERS: '0', SUBSCRIBER_POLL_MS: '250' }))).toMatchObject({ SUBSCRIBERS: false, SUBSCRIBER_POLL_MS: 250 });
    expect(() => readSubscriberEnv(env({ SUBSCRIBER_POLL_MS: 'fast' }))).toThrow(/SUBSCRIBER_POLL_MS/);
  });
});
