import { addItem } from '@/server/cart/handler';
import { commandContext, commandResponse } from '@/server/http/command-context';
import { cartIdParam } from '@/server/http/params';
import { methodNotAllowed, readJson, route } from '@/server/http/respond';
import { AddItemBody } from '@/server/http/schemas';

export const POST = route<{ cartId: string }>(async (req, { params, requestId }) => {
  const ctx = await commandContext(req, requestId);
  const cartId = cartIdParam(params.cartId);
  const body = await readJson(req, AddItemBody);
  return commandResponse(await addItem(ctx, cartId, body));
});

const notAllowed = methodNotAllowed('POST');
export { notAllowed as GET, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
