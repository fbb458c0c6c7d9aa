import { requireUser } from '@/server/auth';
import { listCartEvents } from '@/server/cart/history';
import { cartIdParam } from '@/server/http/params';
import { json, methodNotAllowed, readQuery, route } from '@/server/http/respond';
import { EventsQuery } from '@/server/http/schemas';

export const dynamic = 'force-dynamic';

export const GET = route<{ cartId: string }>(async (req, { params }) => {
  const user = await requireUser();
  const cartId = cartIdParam(params.cartId);
  const q = readQuery(req, EventsQuery);
  return json(await listCartEvents(user, cartId, q));
});

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
