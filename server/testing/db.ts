import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type DbHandle } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { inject } from 'vitest';
import { readPgliteTemplate } from './pglite-template';

export type TestDbKind = 'pglite' | 'postgres';

/** The kinds to run storage tests on: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export const testDbKinds = (): TestDbKind[] => (process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite']);

/**
 * A fresh, migrated database: in-memory PGlite, or a new database on the TEST_DATABASE_URL server
 * (dropped again by `drop`), so tests never share rows.
 */
export async function createTestDatabase(
  kind: TestDbKind,
  poolMax = 20,
): Promise<DbHandle & { drop: () => Promise<void>; /** PostgreSQL only: for child processes. */ url?: string }> {
  if (kind === 'pglite') {
    // From the run's migrated template (vitest.global-setup.ts); migrating again only checks it is current.
    const template = inject('pgliteTemplate');
    const handle = openDatabase({ pgliteDir: 'memory://', pgliteDataDir: template ? readPgliteTemplate(template) : undefined });
    await migrateDatabase(handle);
    return { ...handle, drop: () => handle.close() };
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const name = `eventcart_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const handle = openDatabase({ url: url.toString(), poolMax });
  await migrateDatabase(handle);
  return {
    ...handle,
    url: url.toString(),
    drop: async () => {
      await handle.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
