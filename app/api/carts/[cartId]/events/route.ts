import { requireUser } from '@/server/auth';
import { getCartEvents } from '@/server/cart/queries';
import { cartIdParam } from '@/server/http/params';
import { json, route } from '@/server/http/respond';

export const dynamic = 'force-dynamic';

export const GET = route<{ cartId: string }>(async (_req, { params }) => {
  const user = await requireUser();
  return json({ events: await getCartEvents(user, cartIdParam(params.cartId)) });
});
