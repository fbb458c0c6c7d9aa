import { requireUser } from '@/server/auth';
import { assertAdmin } from '@/server/audit/queries';
import { notFound } from '@/server/http/errors';
import { OrderIdParam } from '@/server/http/params';
import { json, methodNotAllowed, route } from '@/server/http/respond';
import { retryOrder } from '@/server/orders/admin';

export const dynamic = 'force-dynamic';

/**
 * Admins retry a failed order: its cart (unchanged since the failure) is checked out again under the
 * same order id and the process runs again from the payment. 409 order_not_failed / cart_changed.
 */
export const POST = route<{ orderId: string }>(async (_req, { params }) => {
  const user = await requireUser();
  assertAdmin(user);
  const id = OrderIdParam.safeParse(params.orderId);
  if (!id.success) throw notFound('order_not_found', 'Order not found.');
  return json({ order: await retryOrder({ userId: user.userId, role: user.role }, id.data) });
});

const notAllowed = methodNotAllowed('POST');
export { notAllowed as GET, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
