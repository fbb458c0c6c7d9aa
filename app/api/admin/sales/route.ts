import { assertCanReadSales, salesByDay } from '@/server/analytics/sales-daily';
import { requireUser } from '@/server/auth';
import { json, readQuery, route } from '@/server/http/respond';
import { SalesQuery } from '@/server/http/schemas';

export const dynamic = 'force-dynamic';

/** Sales per product per day (the asynchronous sales-daily projection): admins only. */
export const GET = route(async (req) => {
  const user = await requireUser();
  assertCanReadSales(user); // 403 before looking at the query
  const q = readQuery(req, SalesQuery);
  return json(await salesByDay(user, q));
});
