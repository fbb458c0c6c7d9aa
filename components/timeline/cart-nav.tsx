import Link from 'next/link';
import type { CartView } from '@/server/cart/queries';
import { formatMoney } from '../ui/format';
import { StatusBadge } from '../ui/status-badge';

/** The heading shared by a cart's history and time-travel pages. */
export function CartNav({ cart, current }: { cart: CartView; current: 'history' | 'time-travel' }) {
  const tab = (href: string, label: string, active: boolean) => (
    <Link
      href={href}
      aria-current={active ? 'page' : undefined}
      className={`rounded-lg px-3 py-1.5 text-sm font-medium ${active ? 'bg-stone-900 text-white' : 'text-stone-700 hover:bg-stone-100'}`}
    >
      {label}
    </Link>
  );
  return (
    <header className="space-y-3">
      <p className="text-sm text-stone-500">
        <Link href="/carts" className="hover:underline">
          Carts
        </Link>{' '}
        / <span className="font-mono">{cart.cartId.slice(0, 8)}</span>
      </p>
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-bold">{current === 'history' ? 'Cart history' : 'Time travel'}</h1>
        <StatusBadge status={cart.status} />
        <span className="text-sm text-stone-600">
          {cart.itemCount} {cart.itemCount === 1 ? 'item' : 'items'} · {formatMoney(cart.totalCents, cart.currency)} · version {cart.version}
        </span>
      </div>
      <nav aria-label="Cart views" className="flex gap-1">
        {tab(`/carts/${cart.cartId}/history`, 'History', current === 'history')}
        {tab(`/carts/${cart.cartId}/time-travel`, 'Time travel', current === 'time-travel')}
      </nav>
    </header>
  );
}
