import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDbKinds } from '@/server/testing/db';
import type { DbHandle } from '@/db/client';
import { append, ConcurrencyError, lastVersion, readAll, readStream, type EventMetadata, type ExpectedVersion } from '.';

const meta: EventMetadata = {
  actor: { userId: 'u1', role: 'shopper' },
  correlationId: 'corr-1',
  causationId: null,
  commandId: null,
};
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const ev = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'Thing', data: { i } }));

describe.each(testDbKinds())('event store on %s', (kind) => {
  let h: DbHandle & { drop: () => Promise<void> };
  let n = 0;
  const stream = () => `test-${kind}-${++n}`;
  const put = (db: DbHandle['db'], id: string, count: number, expectedVersion: ExpectedVersion, s = 0) =>
    append(db, id, ev(count), { streamType: 'test', expectedVersion, metadata: meta, occurredAt: at(s) });

  beforeAll(async () => {
    h = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await h?.drop();
  });

  it("'no_stream' creates a stream and numbers its events from 1", async () => {
    const id = stream();
    const r = await put(h.db, id, 3, 'no_stream');
    expect(r.nextExpectedVersion).toBe(3);
    expect(r.events.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    expect(r.events[0]).toMatchObject({ streamId: id, streamType: 'test', type: 'Thing', schemaVersion: 1, metadata: meta });
    expect(r.events[0].transactionId).toBeGreaterThan(0);
  });

  it("'no_stream' on an existing stream is refused, naming expected and actual versions", async () => {
    const id = stream();
    await put(h.db, id, 2, 'no_stream');
    const err = await put(h.db, id, 1, 'no_stream').catch((e) => e);
    expect(err).toBeInstanceOf(ConcurrencyError);
    expect(err).toMatchObject({ streamId: id, expected: 'no_stream', actual: 2 });
    expect(err.message).toContain('expected version no_stream, actual version 2');
  });

  it('a matching expected version appends; a stale one is refused and writes nothing', async () => {
    const id = stream();
    await put(h.db, id, 2, 'no_stream');
    const ok = await put(h.db, id, 1, 2);
    expect(ok.events.map((e) => e.streamVersion)).toEqual([3]);
    const err = await put(h.db, id, 1, 2).catch((e) => e);
    expect(err).toBeInstanceOf(ConcurrencyError);
    expect(err).toMatchObject({ expected: 2, actual: 3 });
    expect((await readStream(h.db, id)).length).toBe(3);
  });

  it('an expected version ahead of the stream is refused', async () => {
    const id = stream();
    await put(h.db, id, 1, 'no_stream');
    await expect(put(h.db, id, 1, 5)).rejects.toMatchObject({ expected: 5, actual: 1 });
    await expect(put(h.db, stream(), 1, 3)).rejects.toMatchObject({ expected: 3, actual: 0 });
  });

  it("expected version 0 means 'no stream yet'", async () => {
    const id = stream();
    await put(h.db, id, 1, 0);
    await expect(put(h.db, id, 1, 0)).rejects.toBeInstanceOf(ConcurrencyError);
  });

  it("'any' appends to a new or an existing stream", async () => {
    const id = stream();
    expect((await put(h.db, id, 2, 'any')).nextExpectedVersion).toBe(2);
    expect((await put(h.db, id, 2, 'any')).events.map((e) => e.streamVersion)).toEqual([3, 4]);
  });

  it('readStream reads in version order, up to a version or a moment', async () => {
    const id = stream();
    await put(h.db, id, 1, 'no_stream', 1);
    await put(h.db, id, 1, 1, 5);
    await put(h.db, id, 1, 2, 9);
    expect((await readStream(h.db, id)).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    expect((await readStream(h.db, id, { toVersion: 2 })).map((e) => e.streamVersion)).toEqual([1, 2]);
    expect((await readStream(h.db, id, { until: at(5) })).map((e) => e.streamVersion)).toEqual([1, 2]);
    expect((await readStream(h.db, id, { until: at(4) })).map((e) => e.streamVersion)).toEqual([1]);
    expect(await readStream(h.db, 'no-such-stream')).toEqual([]);
  });

  it('lastVersion: the highest version at or before a version and/or a moment, 0 when none', async () => {
    const id = stream();
    await put(h.db, id, 2, 'no_stream', 1);
    await put(h.db, id, 2, 2, 5);
    await put(h.db, id, 1, 4, 9);
    expect(await lastVersion(h.db, id)).toBe(5);
    expect(await lastVersion(h.db, id, { toVersion: 3 })).toBe(3);
    expect(await lastVersion(h.db, id, { toVersion: 50 })).toBe(5);
    expect(await lastVersion(h.db, id, { until: at(5) })).toBe(4);
    expect(await lastVersion(h.db, id, { until: at(8) })).toBe(4);
    expect(await lastVersion(h.db, id, { until: at(5), toVersion: 3 })).toBe(3);
    expect(await lastVersion(h.db, id, { until: at(0) })).toBe(0);
    expect(await lastVersion(h.db, 'no-such-stream')).toBe(0);
  });

  it('readStream until a moment outside years 1-9999 answers instead of failing in SQL', async () => {
    const id = stream();
    await put(h.db, id, 2, 'no_stream', 1);
    // Valid Dates whose ISO form PostgreSQL cannot parse: year 0 and year 10000 (found by the API fuzz test).
    expect(await readStream(h.db, id, { until: new Date('0000-12-31T23:00:00.000Z') })).toEqual([]);
    expect(await readStream(h.db, id, { until: new Date(-8.64e15) })).toEqual([]);
    expect((await readStream(h.db, id, { until: new Date('+010000-01-01T23:58:59.000Z') })).map((e) => e.streamVersion)).toEqual([1, 2]);
    expect((await readStream(h.db, id, { until: new Date(8.64e15) })).map((e) => e.streamVersion)).toEqual([1, 2]);
  });

  it('readAll returns events after a position in global order', async () => {
    const a = stream();
    const b = stream();
    const first = await put(h.db, a, 1, 'no_stream');
    await put(h.db, b, 2, 'no_stream');
    await put(h.db, a, 1, 1);
    const after = await readAll(h.db, { after: first.events[0].globalPosition });
    const mine = after.filter((e) => e.streamId === a || e.streamId === b);
    expect(mine.map((e) => [e.streamId, e.streamVersion])).toEqual([
      [b, 1],
      [b, 2],
      [a, 2],
    ]);
    const positions = after.map((e) => e.globalPosition);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(await readAll(h.db, { after: first.events[0].globalPosition, limit: 1 })).toHaveLength(1);
  });

  it('a rolled-back transaction leaves no event and no stream', async () => {
    const id = stream();
    await expect(
      h.db.transaction(async (tx) => {
        await put(tx, id, 2, 'no_stream');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await readStream(h.db, id)).toEqual([]);
    await expect(put(h.db, id, 1, 'no_stream')).resolves.toMatchObject({ nextExpectedVersion: 1 });
  });

  it('reading one stream in order and reading all after a position are index scans without a sort', async () => {
    const plan = async (query: ReturnType<typeof sql>) => {
      const text = await h.db.transaction(async (tx) => {
        // Tiny test tables make a sequential scan cheapest; forbid it to see which index serves the query.
        await tx.execute(sql`set local enable_seqscan = off`);
        await tx.execute(sql`set local enable_sort = off`);
        const res = await tx.execute(sql`explain (format json) ${query}`);
        const rows = (Array.isArray(res) ? res : (res as unknown as { rows: unknown[] }).rows) as Record<string, unknown>[];
        return JSON.stringify(rows[0]);
      });
      return text;
    };
    const one = await plan(sql`select * from events where stream_id = 'x' order by stream_version`);
    expect(one).toContain('events_stream_version_uq');
    expect(one).not.toContain('"Sort"');
    const all = await plan(sql`select * from events where global_position > 10 order by global_position limit 100`);
    expect(all).toContain('events_pkey');
    expect(all).not.toContain('"Sort"');
  });

  it('events are immutable: UPDATE and DELETE are refused by the database', async () => {
    const id = stream();
    await put(h.db, id, 1, 'no_stream');
    await expect(h.db.execute(sql`update events set type = 'Forged' where stream_id = ${id}`)).rejects.toThrow();
    await expect(h.db.execute(sql`delete from events where stream_id = ${id}`)).rejects.toThrow();
    expect((await readStream(h.db, id))[0].type).toBe('Thing');
  });
});

// Row-lock contention only exists on a real server (PGlite has one connection), so these run there.
if (process.env.TEST_DATABASE_URL) {
  describe('event store under concurrency on postgres', () => {
    let h: DbHandle & { drop: () => Promise<void> };
    let n = 0;
    const stream = () => `conc-${++n}`;
    const put = (db: DbHandle['db'], id: string, count: number, expectedVersion: ExpectedVersion) =>
      append(db, id, ev(count), { streamType: 'test', expectedVersion, metadata: meta, occurredAt: new Date() });

    beforeAll(async () => {
      h = await createTestDatabase('postgres', 60);
    });
    afterAll(async () => {
      await h?.drop();
    });

  it('50 concurrent appenders on one stream: versions 1..50, no gap, no loss', async () => {
    const id = stream();
    const appendOne = async (i: number) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const [row] = await readStream(h.db, id).then((es) => [es.length]);
        try {
          return await append(h.db, id, [{ type: 'Thing', data: { i } }], {
            streamType: 'test',
            expectedVersion: row === 0 ? 'no_stream' : row,
            metadata: meta,
            occurredAt: new Date(),
          });
        } catch (e) {
          if (!(e instanceof ConcurrencyError)) throw e;
          await new Promise((r) => setTimeout(r, Math.random() * 10));
        }
      }
      throw new Error(`appender ${i} never got through`);
    };
    await Promise.all(Array.from({ length: 50 }, (_, i) => appendOne(i)));
    const events = await readStream(h.db, id);
    expect(events.map((e) => e.streamVersion)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => (e.data as { i: number }).i)).size).toBe(50);
  });

  it("50 concurrent 'any' appenders: all land with contiguous versions", async () => {
    const id = stream();
    await Promise.all(Array.from({ length: 50 }, () => put(h.db, id, 2, 'any')));
    const events = await readStream(h.db, id);
    expect(events.map((e) => e.streamVersion)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
  });
}
