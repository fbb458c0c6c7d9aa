import 'server-only';
import { sql } from 'drizzle-orm';
import type { Db, DbHandle } from '@/db/client';
import { cartStreamId } from '../cart/events';
import { distinctCarts } from './compare';
import { compareWithTables, countCartStreams, foldCarts, nextCartStreams, type FoldedCart, type StreamHead } from './fold';
import { acquireRebuildLock, type RebuildLock } from './lock';
import { findOrphans } from './orphans';
import { insertRecords, projections, type InlineProjection } from './registry';
import { breathe, pgCode, rowsOf } from './sql';
import type { Mismatch, OnProgress, Progress, ProjectionName, RebuildReport } from './types';
import { DEFAULT_BATCH_SIZE } from './verify';

export type RebuildOptions = {
  batchSize?: number;
  onProgress?: OnProgress;
  /** A lock the caller already holds (the admin job takes it first to answer 409 at once). */
  lock?: RebuildLock;
  /** How long the swap waits for the live tables before it gives up and tries again. */
  lockTimeoutMs?: number;
};

const SWAP_ATTEMPTS = 10;
/** Catch-up passes outside the lock stop once this few streams are behind; the rest is done locked. */
const SMALL_LAG = 50;
const CATCH_UP_PASSES = 5;

const id = sql.identifier;
const oldName = (p: InlineProjection) => `${p.table}_old`;
const inList = (ids: string[]) =>
  sql.join(
    ids.map((v) => sql`${v}`),
    sql`, `,
  );

/**
 * Rebuilds every inline projection from the events without downtime:
 *  1. create shadow tables (`carts_rebuild`, `orders_rebuild`, LIKE the live ones INCLUDING ALL);
 *  2. fill them in keyset batches of cart streams, each batch folded with the handler's own evolve and
 *     compared with the live rows read in the same snapshot (every mismatching cart is reported);
 *  3. catch up, outside any lock, the streams that moved on while we were building (streams.version
 *     differs from the shadow row's version, or the stream is new), until few are left;
 *  4. in one short transaction: lock the live tables, catch up the last few streams, rename live ->
 *     `<name>_old`, drop it, rename shadow -> live and give its indexes and constraints the live names.
 * The inline projection keeps writing the live tables the whole time; readers never see a missing or
 * half-built table because step 4 is one transaction.
 */
export async function rebuildProjections(handle: DbHandle, opts: RebuildOptions = {}): Promise<RebuildReport> {
  const started = performance.now();
  const db = handle.db;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  // Every progress report is also a point where other work of the process gets its turn (see breathe).
  const progress = async (p: Progress) => {
    await opts.onProgress?.(p);
    await breathe();
  };
  const lock = opts.lock ?? (await acquireRebuildLock(handle));
  try {
    await progress({ phase: 'preparing', done: 0, total: 0 });
    await createShadows(db);

    // 2. build
    let total = await countCartStreams(db);
    let done = 0;
    const mismatches: Mismatch[] = [];
    const broken: FoldedCart[] = [];
    await progress({ phase: 'building', done, total });
    let after = '';
    for (;;) {
      const batch = await db.transaction(
        async (tx) => {
          const heads = await nextCartStreams(tx, after, batchSize);
          if (heads.length === 0) return null;
          const folded = await foldCarts(tx, heads);
          const found = await compareWithTables(tx, folded);
          await writeShadows(tx, folded);
          return { last: heads.at(-1)!.streamId, n: heads.length, found, broken: folded.filter((f) => f.error) };
        },
        { isolationLevel: 'repeatable read' },
      );
      if (!batch) break;
      after = batch.last;
      done += batch.n;
      total = Math.max(total, done);
      mismatches.push(...batch.found);
      broken.push(...batch.broken);
      await progress({ phase: 'building', done, total });
      if (batch.n < batchSize) break;
    }
    if (broken.length > 0) {
      const list = broken.slice(0, 10).map((b) => `${b.cartId}: ${b.error}`);
      throw new Error(`${broken.length} cart streams cannot be folded; nothing was swapped. ${list.join('; ')}`);
    }
    await progress({ phase: 'orphans', done, total });
    mismatches.push(...(await findOrphans(db, { batchSize })));
    for (const p of projections) await db.execute(sql`analyze ${id(p.shadow)}`);

    // 3. catch up outside the lock, so the locked part stays short
    let caughtUp = 0;
    for (let pass = 0; pass < CATCH_UP_PASSES; pass++) {
      const lagging = await laggingStreams(db);
      if (lagging.length === 0) break;
      for (let i = 0; i < lagging.length; i += batchSize) {
        const slice = lagging.slice(i, i + batchSize);
        await db.transaction((tx) => refreshShadows(tx, slice));
        caughtUp += slice.length;
        await progress({ phase: 'catching_up', done: Math.min(i + batchSize, lagging.length), total: lagging.length });
      }
      if (lagging.length <= SMALL_LAG) break;
    }

    // 4. swap
    await progress({ phase: 'swapping', done: 0, total: 1 });
    const swap = await swapIn(db, opts.lockTimeoutMs ?? 2_000);
    caughtUp += swap.caughtUp;
    await progress({ phase: 'swapping', done: 1, total: 1 });

    const rows = {} as Record<ProjectionName, number>;
    for (const p of projections) {
      const res = await db.execute(sql`select count(*)::int as n from ${id(p.table)}`);
      rows[p.name] = Number(rowsOf(res)[0]?.n ?? 0);
    }
    await progress({ phase: 'done', done, total });
    return {
      checked: done,
      mismatches,
      mismatchedCarts: distinctCarts(mismatches),
      rows,
      caughtUp,
      swapMs: swap.ms,
      durationMs: Math.round(performance.now() - started),
    };
  } catch (e) {
    await dropShadows(db).catch(() => {});
    throw e;
  } finally {
    if (!opts.lock) await lock.release();
  }
}

/**
 * Shadow tables shaped exactly like the live ones (columns, defaults, constraints, indexes, comments),
 * with the same owner and privileges, which LIKE does not copy: whoever could read `carts` before the
 * swap can read it after.
 */
async function createShadows(db: Db) {
  await dropShadows(db); // left over from a rebuild that died; we hold the lock, so nobody else uses them
  for (const p of projections) {
    await db.execute(sql`create table ${id(p.shadow)} (like ${id(p.table)} including all)`);
    await copyAccess(db, p.table, p.shadow);
  }
}

async function copyAccess(db: Db, from: string, to: string) {
  const [t] = rowsOf(
    await db.execute(sql`select pg_get_userbyid(relowner) as owner, current_user as me from pg_class where oid = to_regclass(${from})`),
  );
  if (t && t.owner !== t.me) await db.execute(sql`alter table ${id(to)} owner to ${id(String(t.owner))}`);
  const grants = rowsOf(
    await db.execute(sql`
      select case when a.grantee = 0 then null else pg_get_userbyid(a.grantee) end as grantee, a.privilege_type, a.is_grantable
      from pg_class c, aclexplode(c.relacl) a
      where c.oid = to_regclass(${from}) and a.grantee <> c.relowner`),
  );
  for (const g of grants) {
    const who = g.grantee === null ? sql.raw('public') : id(String(g.grantee));
    const option = g.is_grantable ? sql.raw(' with grant option') : sql.raw('');
    await db.execute(sql`grant ${sql.raw(String(g.privilege_type))} on ${id(to)} to ${who}${option}`);
  }
}

async function dropShadows(db: Db) {
  for (const p of projections) {
    await db.execute(sql`drop table if exists ${id(p.shadow)}`);
    await db.execute(sql`drop table if exists ${id(oldName(p))}`);
  }
}

async function writeShadows(tx: Db, folded: FoldedCart[]) {
  for (const p of projections) {
    await insertRecords(
      tx,
      p.shadow,
      folded.flatMap((f) => f.expected[p.name]),
    );
  }
}

/**
 * Cart streams whose shadow row is behind (or missing): commands committed after the batch that
 * folded them. The carts row carries the stream's version, so it is the marker for all projections.
 */
async function laggingStreams(db: Db): Promise<StreamHead[]> {
  const carts = projections.find((p) => p.name === 'carts')!;
  const res = await db.execute(sql`
    select s.stream_id, s.version from streams s
    left join ${id(carts.shadow)} r on s.stream_id = ${cartStreamId('')} || r.cart_id
    where s.stream_type = 'cart' and (r.cart_id is null or r.version <> s.version)
    order by s.stream_id`);
  return rowsOf(res).map((r) => ({ streamId: String(r.stream_id), version: Number(r.version) }));
}

/** Refolds these streams and replaces their rows in every shadow table. */
async function refreshShadows(tx: Db, heads: StreamHead[]) {
  if (heads.length === 0) return;
  const folded = await foldCarts(tx, heads);
  const broken = folded.find((f) => f.error);
  if (broken) throw new Error(`Cart ${broken.cartId} cannot be folded: ${broken.error}`);
  const ids = inList(folded.map((f) => f.cartId));
  for (const p of projections) await tx.execute(sql`delete from ${id(p.shadow)} where ${id(p.cartColumn)} in (${ids})`);
  await writeShadows(tx, folded);
}

type IndexInfo = { name: string; def: string; constraint: string | null };

async function indexesOf(tx: Db, table: string): Promise<IndexInfo[]> {
  const res = await tx.execute(sql`
    select i.relname as name, pg_get_indexdef(i.oid) as def, c.conname as constraint
    from pg_index x
    join pg_class i on i.oid = x.indexrelid
    left join pg_constraint c on c.conindid = x.indexrelid and c.conrelid = x.indrelid and c.contype in ('p', 'u', 'x')
    where x.indrelid = to_regclass(${table})
    order by i.relname`);
  return rowsOf(res).map((r) => ({ name: String(r.name), def: String(r.def), constraint: r.constraint == null ? null : String(r.constraint) }));
}

/** An index definition without its own name and its table's: what makes two indexes "the same". */
const shapeOf = (def: string) => def.replace(/^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ /, 'CREATE $1INDEX ON _ ');

/** Which shadow index takes which live name: matched by definition, so renames need no naming scheme. */
function planRenames(p: InlineProjection, live: IndexInfo[], shadow: IndexInfo[]) {
  const free = [...shadow];
  return live.map((l) => {
    const i = free.findIndex((s) => shapeOf(s.def) === shapeOf(l.def) && !!s.constraint === !!l.constraint);
    if (i < 0) throw new Error(`${p.shadow} has no index like ${l.name} (${l.def}); nothing was swapped.`);
    const [s] = free.splice(i, 1);
    return { live: l, shadow: s };
  });
}

/**
 * The only moment the live tables are locked. ACCESS EXCLUSIVE from the start rather than EXCLUSIVE
 * then an upgrade: ensureOpenCart reads `carts` (ACCESS SHARE) before it inserts into it, so a swap
 * holding EXCLUSIVE and then asking for ACCESS EXCLUSIVE would deadlock with it (and the command would
 * be the one aborted). Readers wait for the few milliseconds this takes; nobody sees a missing table.
 */
async function swapIn(db: Db, lockTimeoutMs: number): Promise<{ ms: number; caughtUp: number }> {
  for (let attempt = 1; ; attempt++) {
    const t0 = performance.now();
    try {
      const caughtUp = await db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true)`);
        await tx.execute(sql`lock table ${sql.join(projections.map((p) => id(p.table)), sql`, `)} in access exclusive mode`);
        // Nothing can write the live tables now: whatever committed before is in the streams table.
        const lagging = await laggingStreams(tx);
        for (let i = 0; i < lagging.length; i += 500) await refreshShadows(tx, lagging.slice(i, i + 500));
        for (const p of projections) {
          const renames = planRenames(p, await indexesOf(tx, p.table), await indexesOf(tx, p.shadow));
          await tx.execute(sql`alter table ${id(p.table)} rename to ${id(oldName(p))}`);
          await tx.execute(sql`drop table ${id(oldName(p))}`);
          await tx.execute(sql`alter table ${id(p.shadow)} rename to ${id(p.table)}`);
          for (const r of renames) {
            if (r.shadow.constraint && r.live.constraint) {
              // Renaming a primary key or unique constraint renames its index with it.
              await tx.execute(sql`alter table ${id(p.table)} rename constraint ${id(r.shadow.constraint)} to ${id(r.live.constraint)}`);
              if (r.live.constraint !== r.live.name) await tx.execute(sql`alter index ${id(r.live.constraint)} rename to ${id(r.live.name)}`);
            } else {
              await tx.execute(sql`alter index ${id(r.shadow.name)} rename to ${id(r.live.name)}`);
            }
          }
        }
        return lagging.length;
      });
      return { ms: Math.round(performance.now() - t0), caughtUp };
    } catch (e) {
      // 55P03: the live tables stayed busy past lock_timeout; let the queue drain and try again.
      if (pgCode(e) !== '55P03' || attempt >= SWAP_ATTEMPTS) throw e;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

