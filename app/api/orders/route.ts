import { requireUser } from '@/server/auth';
import { listMyOrders } from '@/server/cart/queries';
import { json, methodNotAllowed, route } from '@/server/http/respond';

export const dynamic = 'force-dynamic';

export const GET = route(async () => {
  const user = await requireUser();
  return json({ orders: await listMyOrders(user) });
});

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
