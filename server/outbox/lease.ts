import 'server-only';
import { sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { rowsOf } from '../projections/sql';

/**
 * Takes or renews a named lease for `seconds`: true while this holder has it. One holder at a time
 * across app servers, without holding a transaction or a connection open while the work runs. A holder
 * that dies loses the lease when it expires; another process then takes over.
 */
export async function holdLease(db: Db, name: string, holder: string, seconds: number): Promise<boolean> {
  const res = await db.execute(sql`
    insert into leases (name, holder, expires_at) values (${name}, ${holder}, now() + make_interval(secs => ${seconds}))
    on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
      where leases.holder = excluded.holder or leases.expires_at < now()
    returning holder`);
  return rowsOf(res).length === 1;
}

/** Gives a lease up at once (on shutdown), so another process need not wait for it to expire. */
export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db.execute(sql`delete from leases where name = ${name} and holder = ${holder}`);
}
