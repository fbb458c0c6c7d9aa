import v8 from 'node:v8';
import vm from 'node:vm';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { createTestDatabase, testDbKinds } from '@/server/testing/db';
import type { Actor } from '../eventstore';
import { CSV_COLUMNS, csvField, exportEvents, exportFileName, type ExportFormat } from './export';
import { auditQuery, searchEvents, type AuditFilters } from './queries';

type Handle = DbHandle & { drop: () => Promise<void> };

const admin: Actor = { userId: 'user-admin', role: 'admin' };
const N = 100_000;
const PER_CART = 50;
const USERS = 200;

/** A real GC for honest heap samples: --expose-gc switched on at run time, its gc() taken from a fresh context. */
function exposeGc(): (() => void) | undefined {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
const gc = exposeGc();
const heap = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

/**
 * N events in one statement: carts of 50 events each (CartOpened, then ItemAdded), 200 users
 * (user-0..user-199, each ~0.5% of the log), one second apart from 2026-01-01 UTC. Product names carry a quote and a comma so
 * every row exercises CSV quoting.
 */
const insertEvents = (n: number) => sql`
  insert into events (stream_id, stream_type, stream_version, type, schema_version, data, metadata, occurred_at)
  select 'cart-' || md5((g / ${PER_CART})::text)::uuid,
         'cart',
         g % ${PER_CART} + 1,
         case when g % ${PER_CART} = 0 then 'CartOpened' else 'ItemAdded' end,
         1,
         case when g % ${PER_CART} = 0
           then jsonb_build_object('cartId', md5((g / ${PER_CART})::text)::uuid, 'userId', 'user-' || (g / ${PER_CART}) % ${USERS}, 'currency', 'EUR')
           else jsonb_build_object('productId', 'espresso-beans', 'name', 'Espresso "beans", 1 kg', 'unitPriceCents', 2490, 'quantity', 1 + g % 3)
         end,
         jsonb_build_object(
           'actor', jsonb_build_object('userId', 'user-' || (g / ${PER_CART}) % ${USERS}, 'role', 'shopper'),
           'correlationId', 'corr-' || g, 'causationId', null, 'commandId', null),
         timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second'
  from generate_series(0, ${n - 1}) as g`;

/** Counts RFC 4180 records across chunk boundaries (a CRLF inside quotes is not a record end). */
function csvCounter() {
  let inQuotes = false;
  let prev = '';
  let records = 0;
  return {
    push(text: string) {
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === '"') inQuotes = !inQuotes;
        else if (c === '\n' && prev === '\r' && !inQuotes) records++;
        prev = c;
      }
    },
    get records() {
      return records;
    },
  };
}

/** Parses a whole (small) CSV text into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

async function readAllText(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

it('csvField quotes commas, quotes, CR and LF (RFC 4180) and leaves the rest alone', () => {
  expect(csvField('plain')).toBe('plain');
  expect(csvField(42)).toBe('42');
  expect(csvField(null)).toBe('');
  expect(csvField('a,b')).toBe('"a,b"');
  expect(csvField('say "hi"')).toBe('"say ""hi"""');
  expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
  expect(csvField('lf\n')).toBe('"lf\n"');
  expect(exportFileName('csv', new Date('2026-11-23T13:57:19.123Z'))).toBe('events-20261123T135719Z.csv');
});

// The full 100,000 run once per test run, on PostgreSQL when there is one (PGlite then runs 20,000:
// the same code and assertions in a third of the time; its wasm memory is outside the JS heap anyway).
describe.each(testDbKinds())('event export on %s', (kind) => {
  let h: Handle;
  const total = kind === 'postgres' || !process.env.TEST_DATABASE_URL ? N : 20_000;

  beforeAll(async () => {
    h = await createTestDatabase(kind);
    setDbHandle(h);
    const started = performance.now();
    await h.db.execute(insertEvents(total));
    await h.db.execute(sql`analyze events`);
    console.log(`[${kind}] inserted ${total} events in ${Math.round(performance.now() - started)} ms`);
  }, 120_000);
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it(`exports every event as CSV in batches of 1000, newest first, in bounded memory`, async () => {
    const batches: number[] = [];
    const before = heap();
    let peak = 0;
    let bytes = 0;
    let chunks = 0;
    let firstChunk = '';
    let lastChunk = '';
    const counter = csvCounter();
    const decoder = new TextDecoder();
    const started = performance.now();
    const reader = exportEvents(admin, {}, { format: 'csv', batchSize: 1000, onBatch: (n) => batches.push(n) }).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      const text = decoder.decode(value, { stream: true });
      counter.push(text);
      if (chunks === 0) firstChunk = text;
      lastChunk = text;
      if (++chunks % 10 === 0) peak = Math.max(peak, heap() - before);
    }
    const ms = Math.round(performance.now() - started);
    peak = Math.max(peak, heap() - before);
    const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
    console.log(
      `[${kind}] exported ${total} events as CSV: ${ms} ms, ${mb(bytes)} MB in ${chunks} chunks, ${batches.length} batches, heap growth peak ${mb(peak)} MB (gc ${gc ? 'on' : 'off'})`,
    );

    expect(counter.records).toBe(total + 1); // the header line, then one line per event
    // Read in pages: every batch at most 1000 rows, as many batches as the rows need (+1 empty read at the end).
    expect(Math.max(...batches)).toBeLessThanOrEqual(1000);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(total);
    expect(batches.length).toBe(Math.floor(total / 1000) + 1);
    // Memory stays about one batch, while the export itself is far larger.
    if (total === N) expect(bytes).toBeGreaterThan(20 * 1024 * 1024);
    expect(peak).toBeLessThan(gc ? 16 * 1024 * 1024 : 100 * 1024 * 1024);

    const head = parseCsv(firstChunk.split('\r\n').slice(0, 2).join('\r\n') + '\r\n');
    expect(head[0]).toEqual([...CSV_COLUMNS]);
    const newest = head[1];
    const lastG = total - 1;
    expect(newest[1]).toBe(new Date(Date.UTC(2026, 0, 1) + lastG * 1000).toISOString());
    expect(newest[3]).toBe(String((lastG % PER_CART) + 1));
    expect(newest[4]).toBe('ItemAdded');
    expect(newest[5]).toBe(`Added ${1 + (lastG % 3)} × Espresso "beans", 1 kg`);
    expect(newest[6]).toBe(`user-${Math.floor(lastG / PER_CART) % USERS}`);
    expect(newest[7]).toBe('shopper');
    expect(newest[8]).toBe(`corr-${lastG}`);
    expect(JSON.parse(newest[9])).toEqual({ productId: 'espresso-beans', name: 'Espresso "beans", 1 kg', unitPriceCents: 2490, quantity: 1 + (lastG % 3) });
    const oldest = parseCsv(lastChunk).at(-1)!;
    expect([oldest[1], oldest[3], oldest[4], oldest[5]]).toEqual(['2026-01-01T00:00:00.000Z', '1', 'CartOpened', 'Cart opened']);
  }, 60_000);

  it('exports a filtered JSON array, element by element, equal to what search pages through', async () => {
    const filters: AuditFilters = { userId: 'user-3', type: 'ItemAdded', from: new Date('2026-01-01T01:00:00Z') };
    const batches: number[] = [];
    const text = await readAllText(exportEvents(admin, filters, { format: 'json', batchSize: 7, onBatch: (n) => batches.push(n) }));
    expect(text.startsWith('[\n{')).toBe(true);
    const exported = JSON.parse(text) as { globalPosition: number }[];
    const searched: unknown[] = [];
    let after: string | undefined;
    do {
      const page = await searchEvents(admin, { ...filters, limit: 200, after });
      searched.push(...page.events);
      after = page.nextCursor ?? undefined;
    } while (after);
    expect(exported).toEqual(searched);
    expect(exported.length).toBeGreaterThan(7);
    expect(batches.length).toBe(Math.floor(exported.length / 7) + 1);
  });

  it('an export that matches nothing is a header only (CSV) or [] (JSON)', async () => {
    const none: AuditFilters = { userId: 'nobody' };
    expect(await readAllText(exportEvents(admin, none, { format: 'csv' }))).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
    expect(JSON.parse(await readAllText(exportEvents(admin, none, { format: 'json' })))).toEqual([]);
  });

  it('stops reading once the consumer cancels or the request is aborted', async () => {
    for (const how of ['cancel', 'abort'] as const) {
      const batches: number[] = [];
      const ac = new AbortController();
      const reader = exportEvents(admin, {}, { format: 'csv' as ExportFormat, batchSize: 100, signal: ac.signal, onBatch: (n) => batches.push(n) }).getReader();
      await reader.read();
      await reader.read();
      if (how === 'cancel') await reader.cancel();
      else {
        ac.abort();
        // Whatever was queued may still arrive; then the stream ends in an error, not a silent "done".
        let err: unknown;
        try {
          for (let i = 0; i < 5; i++) if ((await reader.read()).done) break;
        } catch (e) {
          err = e;
        }
        expect(err, 'an aborted export errors').toBeDefined();
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(batches.length, how).toBeLessThanOrEqual(4);
    }
  });

  it('refuses a shopper (403) and nobody (401) before streaming anything', () => {
    expect(() => exportEvents({ userId: 'user-1', role: 'shopper' }, {}, { format: 'csv' })).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => exportEvents(null, {}, { format: 'json' })).toThrow(expect.objectContaining({ status: 401 }));
  });

  // A filter that matches a large share of the log is best served by walking the primary key and
  // filtering (the planner does that); a selective one by its own index, whose second column is the
  // global position, so a page (and the cursor) is one ordered range of that index.
  it('on a large log the planner itself picks the index for each selective filter, in order, without sorting the log', async () => {
    const plan = async (f: AuditFilters) => {
      const res = await h.db.execute(sql`explain (format json) ${auditQuery(h.db, f, total - 5000, 51)}`);
      const rows = (Array.isArray(res) ? res : (res as unknown as { rows: unknown[] }).rows) as Record<string, unknown>[];
      return JSON.stringify(rows[0]);
    };
    const none = await plan({});
    expect(none).toContain('events_pkey');
    expect(none).not.toContain('"Sort"');
    const byUser = await plan({ userId: 'user-3' });
    expect(byUser).toContain('events_actor_idx');
    expect(byUser).toMatch(/"Index Cond":"[^"]*global_position/);
    expect(byUser).not.toContain('"Sort"');
    const byType = await plan({ type: 'CartOpened' });
    expect(byType).toContain('events_type_idx');
    expect(byType).not.toContain('"Sort"');
    expect(await plan({ cartId: '6512bd43-d9ca-a6e0-2c99-0b0a82652dca' })).toContain('events_stream_version_uq');
    const narrowTime = await plan({ from: new Date('2026-01-01T01:00:00Z'), to: new Date('2026-01-01T01:01:00Z') });
    expect(narrowTime).toContain('events_occurred_at_idx');
  });
});
