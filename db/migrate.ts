import path from 'node:path';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { DbHandle } from './client';

export const migrationsFolder = path.resolve(process.cwd(), 'db/migrations');

// Any constant shared by every app server: serialises migrations when several start at once.
const MIGRATION_LOCK = 727_001;

/** Applies the drizzle-kit generated SQL in db/migrations that this database has not seen yet. */
export async function migrateDatabase(handle: DbHandle, folder = migrationsFolder): Promise<void> {
  if (handle.kind === 'pglite') {
    await migratePglite(handle.db as unknown as PgliteDatabase, { migrationsFolder: folder });
    return;
  }
  // A session-level advisory lock on a reserved connection, so concurrent starters wait their turn.
  const sqlDb = handle.db as unknown as PostgresJsDatabase & { $client: import('postgres').Sql };
  const reserved = await sqlDb.$client.reserve();
  try {
    await reserved`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(sqlDb, { migrationsFolder: folder });
  } finally {
    await reserved`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
    reserved.release();
  }
}
