import type { Metadata } from 'next';
import { CartView } from '@/components/cart/cart-view';
import { signedInOrRedirect } from '@/server/http/page-guards';
import { getOpenCart } from '@/server/cart/queries';

export const metadata: Metadata = { title: 'Your cart' };

export default async function CartPage() {
  const user = await signedInOrRedirect('/cart');
  const cart = await getOpenCart(user);
  return <CartView initialCart={cart} />;
}
