import { checkOut } from '@/server/cart/handler';
import { commandContext, commandResponse } from '@/server/http/command-context';
import { cartIdParam } from '@/server/http/params';
import { methodNotAllowed, route } from '@/server/http/respond';

export const POST = route<{ cartId: string }>(async (req, { params, requestId }) => {
  const ctx = await commandContext(req, requestId);
  return commandResponse(await checkOut(ctx, cartIdParam(params.cartId)));
});

const notAllowed = methodNotAllowed('POST');
export { notAllowed as GET, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
