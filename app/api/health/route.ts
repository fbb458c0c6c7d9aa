import { sql } from 'drizzle-orm';
import { getDb, getDbHandle } from '@/db/client';
import { json, methodNotAllowed, route } from '@/server/http/respond';

export const dynamic = 'force-dynamic';

/** Liveness plus a database round trip; 503 (via the error mapping) when the database is unreachable. */
export const GET = route(async () => {
  await getDb().execute(sql`select 1`);
  return json({ status: 'ok', database: getDbHandle().kind });
});

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
