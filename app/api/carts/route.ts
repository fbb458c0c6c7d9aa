import { requireUser } from '@/server/auth';
import { openCart } from '@/server/cart/handler';
import { listMyCarts } from '@/server/cart/queries';
import { commandContext, commandResponse } from '@/server/http/command-context';
import { json, methodNotAllowed, readJson, readQuery, route } from '@/server/http/respond';
import { CreateCartBody, ListCartsQuery } from '@/server/http/schemas';

export const dynamic = 'force-dynamic';

export const GET = route(async (req) => {
  const user = await requireUser();
  const q = readQuery(req, ListCartsQuery);
  return json({ carts: await listMyCarts(user, q) });
});

export const POST = route(async (req, { requestId }) => {
  const ctx = await commandContext(req, requestId);
  const hasBody = req.headers.get('content-length') !== '0' && (req.headers.has('content-type') || req.headers.has('content-length'));
  const body = hasBody ? await readJson(req, CreateCartBody) : {};
  const result = await openCart(ctx, body);
  const res = commandResponse(result, 201);
  res.headers.set('Location', `/api/carts/${result.cartId}`);
  return res;
});

const notAllowed = methodNotAllowed('GET', 'POST');
export { notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
