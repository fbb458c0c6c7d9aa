import { cartDashboard } from '@/server/analytics/funnel';
import { assertCanReadSales } from '@/server/analytics/sales-daily';
import { requireUser } from '@/server/auth';
import { json, readQuery, route } from '@/server/http/respond';
import { SalesQuery } from '@/server/http/schemas';

export const dynamic = 'force-dynamic';

/** Every figure of the admin dashboard (asynchronous projections): admins only. */
export const GET = route(async (req) => {
  const user = await requireUser();
  assertCanReadSales(user); // 403 before looking at the query
  const q = readQuery(req, SalesQuery);
  return json(await cartDashboard(user, q));
});
