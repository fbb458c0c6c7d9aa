import 'server-only';
import { sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import journal from '@/db/migrations/meta/_journal.json';
import { isDatabaseUnavailable } from '../http/errors';
import { rowsOf } from '../projections/sql';

export type Readiness =
  | { ready: true; migrations: number }
  | { ready: false; code: 'database_unavailable' | 'migrations_pending' | 'not_ready'; message: string; missing?: string[] };

type JournalEntry = { tag: string; when: number };

/** The migrations this build expects: every entry of db/migrations/meta/_journal.json (bundled at build time). */
export const expectedMigrations = (): JournalEntry[] => (journal as { entries: JournalEntry[] }).entries.map(({ tag, when }) => ({ tag, when }));

/**
 * Ready to serve: the database answers and has every migration this build was made with. drizzle's
 * migrator records each applied migration in drizzle.__drizzle_migrations with the journal entry's
 * `when` as created_at, which is what is compared here.
 */
export async function checkReadiness(db: Db, expected: JournalEntry[] = expectedMigrations()): Promise<Readiness> {
  let applied: Set<string>;
  try {
    const exists = rowsOf<{ t: string | null }>(await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations')::text as t`));
    if (!exists[0]?.t) {
      return { ready: false, code: 'migrations_pending', message: `No migration has been applied: ${expected.map((m) => m.tag).join(', ')} missing.`, missing: expected.map((m) => m.tag) };
    }
    const rows = rowsOf<{ created_at: string | number }>(await db.execute(sql`select created_at from drizzle.__drizzle_migrations`));
    applied = new Set(rows.map((r) => String(r.created_at)));
  } catch (e) {
    if (isDatabaseUnavailable(e)) return { ready: false, code: 'database_unavailable', message: 'The database is not reachable.' };
    return { ready: false, code: 'not_ready', message: `The database did not answer the readiness check: ${(e as Error).message ?? e}` };
  }
  const missing = expected.filter((m) => !applied.has(String(m.when))).map((m) => m.tag);
  if (missing.length > 0) {
    return { ready: false, code: 'migrations_pending', message: `Migrations not applied: ${missing.join(', ')}.`, missing };
  }
  return { ready: true, migrations: expected.length };
}
