import { requireUser } from '@/server/auth';
import { getCartStateAt } from '@/server/cart/queries';
import { cartIdParam } from '@/server/http/params';
import { json, methodNotAllowed, readQuery, route } from '@/server/http/respond';
import { StateQuery } from '@/server/http/schemas';

export const dynamic = 'force-dynamic';

export const GET = route<{ cartId: string }>(async (req, { params }) => {
  const user = await requireUser();
  const cartId = cartIdParam(params.cartId);
  const q = readQuery(req, StateQuery);
  const point = 'version' in q ? { version: q.version } : { at: new Date(q.at) };
  return json(await getCartStateAt(user, cartId, point));
});

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
