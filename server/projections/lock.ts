import 'server-only';
import { sql } from 'drizzle-orm';
import type { Sql } from 'postgres';
import type { DbHandle } from '@/db/client';
import { rowsOf } from './sql';

/** Advisory lock key for rebuilds; any constant every app server shares (migrations use 727_001). */
export const REBUILD_LOCK_KEY = 727_002;

const g = globalThis as unknown as { __eventcartRebuildInProcess?: boolean };

export class RebuildInProgressError extends Error {
  constructor(where: 'here' | 'elsewhere') {
    super(
      where === 'here'
        ? 'A projection rebuild is already running in this process. Wait for it to finish.'
        : 'A projection rebuild is already running on another app server or CLI (advisory lock held). Wait for it to finish.',
    );
    this.name = 'RebuildInProgressError';
  }
}

export type RebuildLock = { release: () => Promise<void> };

/**
 * One rebuild at a time across every process on the database: a session-level advisory lock held on
 * a reserved connection for the whole rebuild (it goes away with the session if the process dies).
 * PGlite has one process per folder (db/pglite-lock.ts), so there the in-process flag is the lock.
 */
export async function acquireRebuildLock(handle: DbHandle): Promise<RebuildLock> {
  if (g.__eventcartRebuildInProcess) throw new RebuildInProgressError('here');
  g.__eventcartRebuildInProcess = true;
  try {
    if (handle.kind !== 'postgres') {
      return {
        release: async () => {
          g.__eventcartRebuildInProcess = false;
        },
      };
    }
    const client = (handle.db as unknown as { $client: Sql }).$client;
    const reserved = await client.reserve();
    let ok = false;
    try {
      const [row] = await reserved`select pg_try_advisory_lock(${REBUILD_LOCK_KEY}) as ok`;
      ok = row.ok === true;
    } finally {
      if (!ok) reserved.release();
    }
    if (!ok) throw new RebuildInProgressError('elsewhere');
    return {
      release: async () => {
        try {
          await reserved`select pg_advisory_unlock(${REBUILD_LOCK_KEY})`;
        } catch {
          /* the session is gone, and its lock with it */
        } finally {
          reserved.release();
          g.__eventcartRebuildInProcess = false;
        }
      },
    };
  } catch (e) {
    g.__eventcartRebuildInProcess = false;
    throw e;
  }
}

/** Is a rebuild running in this process or, on PostgreSQL, anywhere on this database? */
export async function rebuildRunning(handle: DbHandle): Promise<boolean> {
  if (g.__eventcartRebuildInProcess) return true;
  if (handle.kind !== 'postgres') return false;
  const res = await handle.db.execute(sql`
    select exists (
      select 1 from pg_locks
      where locktype = 'advisory' and granted and classid = 0 and objid = ${sql.raw(String(REBUILD_LOCK_KEY))} and objsubid = 1
        and database = (select oid from pg_database where datname = current_database())
    ) as held`);
  return rowsOf(res)[0]?.held === true;
}
