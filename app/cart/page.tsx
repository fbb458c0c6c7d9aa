import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { CartView } from '@/components/cart/cart-view';
import { currentUser } from '@/server/auth';
import { getOpenCart } from '@/server/cart/queries';

export const metadata: Metadata = { title: 'Your cart' };

export default async function CartPage() {
  const user = await currentUser();
  if (!user) redirect('/login?callbackUrl=/cart');
  const cart = await getOpenCart(user);
  return <CartView initialCart={cart} />;
}
