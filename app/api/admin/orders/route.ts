import { requireUser } from '@/server/auth';
import { assertAdmin } from '@/server/audit/queries';
import { json, methodNotAllowed, readQuery, route } from '@/server/http/respond';
import { AdminOrdersQuery } from '@/server/http/schemas';
import { listOrderProcesses } from '@/server/orders/admin';

export const dynamic = 'force-dynamic';

/** Admins: every order with its process (status, attempt, failure, the runner's schedule), newest first. */
export const GET = route(async (req) => {
  const user = await requireUser();
  assertAdmin(user); // 403 before looking at the query
  const q = readQuery(req, AdminOrdersQuery);
  return json(await listOrderProcesses({ status: q.status, limit: q.limit }));
});

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
