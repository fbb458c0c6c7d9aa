import { requireUser } from '@/server/auth';
import { assertAdmin } from '@/server/audit/queries';
import { getOrder } from '@/server/cart/queries';
import { notFound } from '@/server/http/errors';
import { OrderIdParam } from '@/server/http/params';
import { json, methodNotAllowed, route } from '@/server/http/respond';
import { processSchedule } from '@/server/orders/admin';

export const dynamic = 'force-dynamic';

/** Admins: one order, its process's steps and the runner's schedule (next try, tries, last error). */
export const GET = route<{ orderId: string }>(async (_req, { params }) => {
  const user = await requireUser();
  assertAdmin(user);
  const id = OrderIdParam.safeParse(params.orderId);
  if (!id.success) throw notFound('order_not_found', 'Order not found.');
  const order = await getOrder(user, id.data);
  return json({ ...order, schedule: await processSchedule(id.data) });
});

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
