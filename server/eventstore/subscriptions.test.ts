import { spawn } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, DbHandle } from '@/db/client';
import { createTestDatabase, testDbKinds } from '@/server/testing/db';
import {
  append,
  lag,
  oldestWritingTransaction,
  readAfterCheckpoint,
  readCheckpoint,
  runSubscriber,
  START,
  type EventMetadata,
  type StoredEvent,
  type Subscriber,
} from '.';

type Handle = DbHandle & { drop: () => Promise<void> };

const meta: EventMetadata = { actor: { userId: 'u1', role: 'shopper' }, correlationId: 'c', causationId: null, commandId: null };
const rowsOf = <T>(res: unknown): T[] => (Array.isArray(res) ? res : (res as { rows: T[] }).rows) as T[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gate a test opens by hand: lets one transaction stay open while another runs. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

let streams = 0;
const streamId = (tag: string) => `sub-${tag}-${++streams}`;

/** Appends `n` events to a stream in the given transaction (or its own). */
const put = (db: Db, id: string, n = 1, occurredAt = new Date()) =>
  append(db, id, Array.from({ length: n }, (_, i) => ({ type: 'Thing', data: { i } })), {
    streamType: 'test',
    expectedVersion: 'any',
    metadata: meta,
    occurredAt,
  });

const putTx = (db: Db, id: string, n = 1, occurredAt = new Date()) => db.transaction((tx) => put(tx, id, n, occurredAt));

/** All committed events in the order a subscriber must see them. */
async function allEvents(db: Db): Promise<{ globalPosition: number; transactionId: number; streamId: string }[]> {
  return rowsOf<{ global_position: string | number; transaction_id: string | number; stream_id: string }>(
    await db.execute(sql`select global_position, transaction_id, stream_id from events order by transaction_id, global_position`),
  ).map((r) => ({ globalPosition: Number(r.global_position), transactionId: Number(r.transaction_id), streamId: r.stream_id }));
}

/**
 * A subscriber that records each delivery in a table, in the batch transaction: the table holds what
 * was acknowledged, duplicates included. `seen` keeps every batch handed to it, rolled back or not.
 */
function recorder(name: string, opts: { batchSize?: number; fail?: (batch: StoredEvent[], call: number) => void | Promise<void> } = {}) {
  const seen: number[][] = [];
  const sub: Subscriber = {
    name,
    batchSize: opts.batchSize,
    async handle(tx, events) {
      seen.push(events.map((e) => e.globalPosition));
      for (const e of events) {
        await tx.execute(
          sql`insert into deliveries (subscriber, global_position, transaction_id) values (${name}, ${e.globalPosition}, ${e.transactionId})`,
        );
      }
      await opts.fail?.(events, seen.length);
    },
  };
  const delivered = async (db: Db) =>
    rowsOf<{ global_position: string | number }>(
      await db.execute(sql`select global_position from deliveries where subscriber = ${name} order by seq`),
    ).map((r) => Number(r.global_position));
  return { sub, seen, delivered };
}

async function createDeliveries(h: Handle) {
  await h.exec(
    'create table deliveries (seq bigint generated always as identity primary key, subscriber text not null, global_position bigint not null, transaction_id bigint not null)',
  );
}

/**
 * Runs the subscriber until `done` holds. On a shared PostgreSQL server any other session's open
 * writing transaction holds xmin back for a moment, so "delivered" is awaited, never assumed at once.
 */
async function runUntil(db: Db, sub: Subscriber, done: () => Promise<boolean>, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    await runSubscriber(db, sub);
    if (await done()) return;
    if (Date.now() > deadline) throw new Error(`subscriber ${sub.name} did not get there in ${ms} ms`);
    await sleep(20);
  }
}

/** The next batch the subscriber handles (skipping polls that find nothing yet below xmin); throws what it throws. */
async function nextBatch(db: Db, sub: Subscriber, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await runSubscriber(db, sub);
    if (r.delivered > 0) return r;
    if (Date.now() > deadline) throw new Error(`subscriber ${sub.name} got no batch in ${ms} ms`);
    await sleep(20);
  }
}

/** Runs the subscriber until it has acknowledged every committed event. */
async function catchUp(db: Db, sub: Subscriber) {
  await runUntil(db, sub, async () => (await lag(db, sub.name)).events === 0);
}

/**
 * The redelivered batch starts at the first unacknowledged event and repeats the lost batch. (It may
 * be longer than the lost one, never different: on a shared server another session's open transaction
 * can hold xmin back and cut a batch short.)
 */
function expectRedelivered(lost: number[], again: number[], firstUnacked: number) {
  expect(lost[0]).toBe(firstUnacked);
  expect(again.slice(0, lost.length)).toEqual(lost);
}

describe.each(testDbKinds())('asynchronous subscribers on %s', (kind) => {
  let h: Handle;
  beforeAll(async () => {
    h = await createTestDatabase(kind);
    await createDeliveries(h);
  });
  afterAll(async () => {
    await h?.drop();
  });

  it('delivers every event once, in (transaction id, position) order, across batches; the checkpoint advances', async () => {
    const a = streamId('a');
    const b = streamId('b');
    await putTx(h.db, a, 3);
    await putTx(h.db, b, 1);
    await putTx(h.db, a, 2);
    await h.db.transaction(async (tx) => {
      await put(tx, b, 2);
      await put(tx, a, 1);
    });
    for (let i = 0; i < 10; i++) await putTx(h.db, i % 2 ? a : b, 1);
    const expected = await allEvents(h.db);
    expect(expected).toHaveLength(19);

    const { sub, seen, delivered } = recorder('in-order', { batchSize: 4 });
    expect(await readCheckpoint(h.db, sub.name)).toEqual(START);
    const before = await lag(h.db, sub.name);
    expect(before).toMatchObject({ events: 19, checkpoint: START });
    expect(before.seconds).toBeGreaterThanOrEqual(0);

    // A batch is at most 4 (fewer only while another session's open transaction holds xmin back).
    const first = await nextBatch(h.db, sub);
    expect(first.delivered).toBeLessThanOrEqual(4);
    const n = first.delivered;
    if (kind === 'pglite') expect(n).toBe(4);
    expect(first).toEqual({
      ran: true,
      delivered: n,
      checkpoint: { transactionId: expected[n - 1].transactionId, globalPosition: expected[n - 1].globalPosition },
    });
    expect(await readCheckpoint(h.db, sub.name)).toEqual(first.checkpoint);
    expect((await lag(h.db, sub.name)).events).toBe(19 - n);

    await catchUp(h.db, sub);
    expect(await delivered(h.db)).toEqual(expected.map((e) => e.globalPosition));
    expect(seen.every((batch) => batch.length <= 4)).toBe(true);
    const last = expected.at(-1)!;
    expect(await readCheckpoint(h.db, sub.name)).toEqual({ transactionId: last.transactionId, globalPosition: last.globalPosition });
    expect(await lag(h.db, sub.name)).toMatchObject({ events: 0, seconds: 0, heldBack: 0 });

    // Caught up: nothing more, the checkpoint stays.
    expect(await runSubscriber(h.db, sub)).toMatchObject({ ran: true, delivered: 0 });
    const more = await putTx(h.db, a, 2);
    await catchUp(h.db, sub);
    expect((await delivered(h.db)).slice(-2)).toEqual(more.events.map((e) => e.globalPosition));
    expect(new Set(await delivered(h.db)).size).toBe(21);
  });

  it("an open transaction's own events are not below its snapshot's xmin: the reader never takes uncommitted events", async () => {
    await h.db.transaction(async (tx) => {
      const mine = await put(tx, streamId('own'), 2);
      const [row] = rowsOf<{ xid: string; xmin: string }>(
        await tx.execute(sql`select pg_current_xact_id()::text as xid, pg_snapshot_xmin(pg_current_snapshot())::text as xmin`),
      );
      expect(Number(row.xid)).toBe(mine.events[0].transactionId);
      expect(Number(row.xmin)).toBeLessThanOrEqual(Number(row.xid));
      const read = await readAfterCheckpoint(tx, START, 10_000);
      expect(read.map((e) => e.globalPosition)).not.toContain(mine.events[0].globalPosition);
    });
    // Committed, it is below the next snapshot's xmin (on PGlite at once: there is no other connection).
    const { sub, delivered } = recorder('own-tx');
    await catchUp(h.db, sub);
    expect(await delivered(h.db)).toEqual((await allEvents(h.db)).map((e) => e.globalPosition));
  });

  it('a handler that throws rolls back its work with the checkpoint; the same batch comes again', async () => {
    await putTx(h.db, streamId('t'), 6);
    const expected = (await allEvents(h.db)).map((e) => e.globalPosition);
    let failed = false;
    const { sub, seen, delivered } = recorder('throws', {
      batchSize: 5,
      fail: (_batch, call) => {
        if (call === 2 && !failed) {
          failed = true;
          throw new Error('handler bug');
        }
      },
    });
    const ok = await nextBatch(h.db, sub);
    const acked = await readCheckpoint(h.db, sub.name);
    await expect(nextBatch(h.db, sub)).rejects.toThrow('handler bug');
    expect(await readCheckpoint(h.db, sub.name)).toEqual(acked);
    expect(await delivered(h.db)).toEqual(expected.slice(0, ok.delivered));

    await nextBatch(h.db, sub);
    expectRedelivered(seen[1], seen[2], expected[ok.delivered]);
    await catchUp(h.db, sub);
    expect(await delivered(h.db)).toEqual(expected);
  });

  it('killed between handling and checkpoint: exactly the unacknowledged events are delivered again, nothing before them', async () => {
    await putTx(h.db, streamId('k'), 7);
    const expected = (await allEvents(h.db)).map((e) => e.globalPosition);
    let killed = false;
    const { sub, seen, delivered } = recorder('killed', {
      batchSize: 3,
      // The whole batch has been handled (rows written) when the "process dies", before the checkpoint update.
      fail: (_batch, call) => {
        if (call === 3 && !killed) {
          killed = true;
          throw new Error('process killed');
        }
      },
    });
    const one = await nextBatch(h.db, sub);
    const two = await nextBatch(h.db, sub);
    const ackedCount = one.delivered + two.delivered;
    const acked = await readCheckpoint(h.db, sub.name);
    await expect(nextBatch(h.db, sub)).rejects.toThrow('process killed');
    expect(await readCheckpoint(h.db, sub.name)).toEqual(acked);
    expect(await delivered(h.db)).toEqual(expected.slice(0, ackedCount));

    await nextBatch(h.db, sub);
    // The unacknowledged batch again, starting right after the last acknowledged event.
    expectRedelivered(seen[2], seen[3], expected[ackedCount]);
    await catchUp(h.db, sub);
    const got = await delivered(h.db);
    expect(got).toEqual(expected);
    expect(new Set(got).size).toBe(got.length);
  });

  it('subscribers keep their own checkpoints', async () => {
    const one = recorder('one');
    const two = recorder('two', { batchSize: 2 });
    await catchUp(h.db, one.sub);
    const r = await nextBatch(h.db, two.sub);
    expect((await lag(h.db, 'one')).events).toBe(0);
    expect((await lag(h.db, 'two')).events).toBe((await allEvents(h.db)).length - r.delivered);
  });

  it('lag counts events after the checkpoint and the age of the oldest', async () => {
    const { sub } = recorder('lagging');
    await catchUp(h.db, sub);
    const old = new Date(Date.now() - 90_000);
    await putTx(h.db, streamId('l'), 3, old);
    const l = await lag(h.db, sub.name);
    expect(l).toMatchObject({ subscriber: 'lagging', events: 3 });
    expect(l.seconds).toBeGreaterThanOrEqual(89);
    expect(l.seconds).toBeLessThan(300);
    await catchUp(h.db, sub);
    expect(await lag(h.db, sub.name)).toMatchObject({ events: 0, seconds: 0 });
    // Nothing to report on an idle database, and it works on both drivers.
    const open = await oldestWritingTransaction(h.db);
    if (kind === 'pglite') expect(open).toBeNull();
  });

  it('reading after a checkpoint is an index range scan in (transaction id, position) order, without a sort', async () => {
    const text = await h.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      await tx.execute(sql`set local enable_sort = off`);
      const res = await tx.execute(
        sql`explain (format json) select * from events where (transaction_id, global_position) > (5::bigint, 7::bigint)
            and transaction_id < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint order by transaction_id, global_position limit 500`,
      );
      return JSON.stringify(rowsOf(res)[0]);
    });
    expect(text).toContain('events_tx_position_idx');
    expect(text).not.toContain('"Sort"');
  });
});

// Two connections: only a real server has them.
if (process.env.TEST_DATABASE_URL) {
  describe('asynchronous subscribers with concurrent writers on postgres', () => {
    let h: Handle;
    beforeAll(async () => {
      h = await createTestDatabase('postgres', 30);
      await createDeliveries(h);
    });
    afterAll(async () => {
      await h?.drop();
    });

    /** Holds a transaction open on its own connection until `release` opens; `ready` once `work` ran. */
    function openTransaction<T>(work: (tx: Db) => Promise<T>, release: Promise<void>) {
      const ready = gate();
      let result!: T;
      const done = h.db.transaction(async (tx) => {
        result = await work(tx);
        ready.open();
        await release;
      });
      return { ready: ready.opened.then(() => result), done };
    }

    it('a transaction that took its position earlier commits after a later one: held back, then both once, in order', async () => {
      const { sub, delivered } = recorder('late-commit');
      await catchUp(h.db, sub);
      const before = (await delivered(h.db)).length;

      const commitA = gate();
      const txA = openTransaction((tx) => put(tx, streamId('A'), 2), commitA.opened);
      const a = await txA.ready;
      const b = await putTx(h.db, streamId('B'), 1);
      expect(a.events[0].globalPosition).toBeLessThan(b.events[0].globalPosition);
      expect(a.events[0].transactionId).toBeLessThan(b.events[0].transactionId);

      // A is open: xmin <= A's id < B's id. Neither is delivered, though B has committed.
      for (let i = 0; i < 5; i++) await runSubscriber(h.db, sub);
      expect((await delivered(h.db)).length).toBe(before);
      const l = await lag(h.db, sub.name);
      expect(l).toMatchObject({ events: 1, heldBack: 1 }); // B: committed, waiting behind A
      const blocker = await oldestWritingTransaction(h.db);
      expect(blocker).not.toBeNull();

      commitA.open();
      await txA.done;
      const want = [...a.events, ...b.events].map((e) => e.globalPosition);
      await runUntil(h.db, sub, async () => (await delivered(h.db)).length >= before + 3);
      for (let i = 0; i < 3; i++) await runSubscriber(h.db, sub);
      expect((await delivered(h.db)).slice(before)).toEqual(want);
    });

    it('a transaction with the lower id but the higher position: delivered first, exactly once', async () => {
      const { sub, delivered } = recorder('low-id-high-position');
      await catchUp(h.db, sub);
      const before = (await delivered(h.db)).length;

      const appendA = gate();
      const appendedA = gate();
      const commitA = gate();
      const idA = gate();
      let xidA = 0;
      const txA = h.db.transaction(async (tx) => {
        const [row] = rowsOf<{ xid: string }>(await tx.execute(sql`select pg_current_xact_id()::text as xid`));
        xidA = Number(row.xid);
        idA.open();
        await appendA.opened;
        const r = await put(tx, streamId('A'), 1);
        appendedA.open();
        await commitA.opened;
        return r;
      });
      await idA.opened;
      const b = await putTx(h.db, streamId('B'), 2);
      appendA.open();
      await appendedA.opened;
      for (let i = 0; i < 5; i++) await runSubscriber(h.db, sub);
      expect((await delivered(h.db)).length).toBe(before); // B waits behind the open A

      commitA.open();
      const a = await txA;
      expect(a.events[0].transactionId).toBe(xidA);
      expect(xidA).toBeLessThan(b.events[0].transactionId);
      expect(a.events[0].globalPosition).toBeGreaterThan(b.events[1].globalPosition);

      await runUntil(h.db, sub, async () => (await delivered(h.db)).length >= before + 3);
      for (let i = 0; i < 3; i++) await runSubscriber(h.db, sub);
      expect((await delivered(h.db)).slice(before)).toEqual([a.events[0].globalPosition, ...b.events.map((e) => e.globalPosition)]);
    });

    it('10 concurrent writers committing in random order while the subscriber polls: every event once, in order', async () => {
      const { sub, delivered } = recorder('concurrent', { batchSize: 7 });
      await catchUp(h.db, sub);
      const before = await delivered(h.db);

      let writing = true;
      const writer = async (w: number) => {
        for (let round = 0; round < 8; round++) {
          await sleep(Math.random() * 15);
          await h.db.transaction(async (tx) => {
            await put(tx, `writer-${w}-${round % 3}`, 1 + Math.floor(Math.random() * 3));
            await sleep(Math.random() * 40); // hold the position, commit late
            if (Math.random() < 0.3) await put(tx, `writer-${w}-extra`, 1);
          });
        }
      };
      const poller = (async () => {
        while (writing) {
          await runSubscriber(h.db, sub);
          await sleep(3);
        }
      })();
      await Promise.all(Array.from({ length: 10 }, (_, w) => writer(w)));
      writing = false;
      await poller;
      await catchUp(h.db, sub);

      const all = await allEvents(h.db);
      const got = await delivered(h.db);
      expect(got.length).toBe(all.length);
      expect(new Set(got).size).toBe(got.length);
      expect(got).toEqual(all.map((e) => e.globalPosition));
      expect(got.length - before.length).toBeGreaterThanOrEqual(80);
    });

    it('two app servers: while one holds a subscriber, the other skips it instead of waiting or doubling', async () => {
      await putTx(h.db, streamId('busy'), 2);
      const release = gate();
      const entered = gate();
      const slow: Subscriber = {
        name: 'busy',
        async handle() {
          entered.open();
          await release.opened;
        },
      };
      const first = runSubscriber(h.db, slow);
      await entered.opened;
      expect(await runSubscriber(h.db, { ...slow, handle: async () => expect.fail('ran twice') })).toMatchObject({ ran: false, delivered: 0 });
      release.open();
      expect((await first).ran).toBe(true);
    });

    it('a subscriber process killed (SIGKILL) after handling, before the checkpoint: exactly the unacknowledged events come again', async () => {
      await putTx(h.db, streamId('kill'), 5);
      const { sub, seen, delivered } = recorder('sigkill', { batchSize: 3 });
      await runUntil(h.db, sub, async () => (await lag(h.db, sub.name)).events <= 5);
      const acked = await readCheckpoint(h.db, sub.name);
      const ackedRows = await delivered(h.db);
      const all = (await allEvents(h.db)).map((e) => e.globalPosition);

      // Another process takes the next batch, handles it and dies before its checkpoint update.
      let lost: number[] = [];
      for (let attempt = 0; lost.length === 0; attempt++) {
        expect(attempt, 'the child process never got a batch').toBeLessThan(20);
        lost = await handleInChildAndKill(sub.name);
      }
      expect(lost[0]).toBe(all[ackedRows.length]);

      // The server rolls the dead session back; until then its lock makes us skip (ran: false).
      await nextBatch(h.db, sub);
      expect(await readCheckpoint(h.db, sub.name)).not.toEqual(acked);
      expectRedelivered(lost, seen.at(-1)!, all[ackedRows.length]);
      expect((await delivered(h.db)).slice(0, ackedRows.length)).toEqual(ackedRows);
      await catchUp(h.db, sub);
      expect(await delivered(h.db)).toEqual(all);
    });

    /** Runs one batch in a child process and SIGKILLs it once handled; returns the batch ([] if it found none). */
    async function handleInChildAndKill(name: string): Promise<number[]> {
      const [{ db }] = rowsOf<{ db: string }>(await h.db.execute(sql`select current_database() as db`));
      const url = new URL(process.env.TEST_DATABASE_URL!);
      url.pathname = `/${db}`;
      // node itself (not the tsx wrapper, which would leave its node child alive after SIGKILL).
      const child = spawn(process.execPath, ['--conditions=react-server', '--import', 'tsx', 'server/testing/subscriber-child.ts'], {
        env: { ...process.env, CHILD_DATABASE_URL: url.toString(), CHILD_SUBSCRIBER: name, CHILD_BATCH_SIZE: '3' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      try {
        const line = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`child said nothing in 30 s: ${err}`)), 30_000);
          child.stdout.on('data', (d) => {
            out += d;
            const m = /^(handled|nothing) .*$/m.exec(out);
            if (m) {
              clearTimeout(timer);
              resolve(m[0]);
            }
          });
          child.on('exit', (code) => reject(new Error(`child exited ${code} before handling: ${err}`)));
        });
        if (line.startsWith('nothing')) return [];
        return JSON.parse(line.slice('handled '.length)) as number[];
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      }
    }
  });
}
