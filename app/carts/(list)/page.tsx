import type { Metadata } from 'next';
import Link from 'next/link';
import { OrderStatusBadge } from '@/components/orders/order-steps';
import { formatDateTime, formatMoney } from '@/components/ui/format';
import { AbandonCartButton } from '@/components/cart/abandon-cart-button';
import { StatusBadge } from '@/components/ui/status-badge';
import { signedInOrRedirect } from '@/server/http/page-guards';
import { listMyCarts, listMyOrders } from '@/server/cart/queries';

export const metadata: Metadata = { title: 'Your carts and orders' };

export default async function CartsPage() {
  const user = await signedInOrRedirect('/carts');
  const [carts, orders] = await Promise.all([listMyCarts(user), listMyOrders(user)]);
  return (
    <div className="space-y-10">
      <section>
        <h1 className="mb-4 text-2xl font-bold">Your carts</h1>
        {carts.length === 0 ? (
          <p className="text-stone-600">No carts yet. Add something from the shop to start one.</p>
        ) : (
          <ul className="divide-y divide-stone-100 rounded-2xl border border-stone-200 bg-white">
            {carts.map((c) => (
              <li key={c.cartId} data-cart-id={c.cartId} className="flex flex-wrap items-center gap-3 px-4 py-3 sm:px-6">
                <StatusBadge status={c.status} />
                <span className="font-mono text-xs text-stone-500">{c.cartId.slice(0, 8)}</span>
                <span className="text-sm">
                  {c.itemCount} {c.itemCount === 1 ? 'item' : 'items'} · {formatMoney(c.totalCents, c.currency)}
                </span>
                <span className="text-xs text-stone-500">updated {formatDateTime(c.updatedAt)} · v{c.version}</span>
                <span className="ml-auto flex flex-wrap items-center gap-3 text-sm">
                  <Link className="font-medium text-stone-700 hover:underline" href={`/carts/${c.cartId}/history`}>
                    History
                  </Link>
                  <Link className="font-medium text-stone-700 hover:underline" href={`/carts/${c.cartId}/time-travel`}>
                    Time travel
                  </Link>
                  {c.status === 'open' ? (
                    <>
                      <AbandonCartButton cartId={c.cartId} />
                      <Link className="font-medium text-brand-700 underline" href="/cart">
                        Open cart
                      </Link>
                    </>
                  ) : c.orderId ? (
                    <Link className="font-medium text-brand-700 hover:underline hover:underline-offset-4" href={`/orders/${c.orderId}`}>
                      Order {c.orderId}
                    </Link>
                  ) : null}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h2 className="mb-4 text-xl font-bold">Your orders</h2>
        {orders.length === 0 ? (
          <p className="text-stone-600">No orders yet.</p>
        ) : (
          <ul className="divide-y divide-stone-100 rounded-2xl border border-stone-200 bg-white">
            {orders.map((o) => (
              <li key={o.orderId} className="flex flex-wrap items-center gap-3 px-4 py-3 sm:px-6">
                <Link className="font-mono font-medium text-brand-700 hover:underline hover:underline-offset-4" href={`/orders/${o.orderId}`}>
                  {o.orderId}
                </Link>
                <span className="text-sm">
                  {o.itemCount} {o.itemCount === 1 ? 'item' : 'items'} · {formatMoney(o.totalCents, o.currency)}
                </span>
                <OrderStatusBadge status={o.status} />
                <span className="ml-auto text-xs text-stone-500">{formatDateTime(o.placedAt)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
