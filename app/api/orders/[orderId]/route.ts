import { requireUser } from '@/server/auth';
import { getOrder } from '@/server/cart/queries';
import { notFound } from '@/server/http/errors';
import { OrderIdParam } from '@/server/http/params';
import { json, methodNotAllowed, route } from '@/server/http/respond';

export const dynamic = 'force-dynamic';

export const GET = route<{ orderId: string }>(async (_req, { params }) => {
  const user = await requireUser();
  const id = OrderIdParam.safeParse(params.orderId);
  if (!id.success) throw notFound('order_not_found', 'Order not found.');
  return json(await getOrder(user, id.data));
});

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
