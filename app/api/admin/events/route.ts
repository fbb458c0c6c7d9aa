import { requireAdmin } from '@/server/auth';
import { searchEvents } from '@/server/audit/queries';
import { json, readQuery, route } from '@/server/http/respond';
import { AuditEventsQuery } from '@/server/http/schemas';

export const dynamic = 'force-dynamic';

// Who comes first (401/403 before any 400); searchEvents checks the actor again itself.
export const GET = route(async (req) => {
  const admin = await requireAdmin();
  const query = readQuery(req, AuditEventsQuery);
  return json(await searchEvents(admin, query));
});
