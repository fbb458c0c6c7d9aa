import type { Metadata } from 'next';
import Link from 'next/link';
import { LineTable } from '@/components/orders/line-table';
import { formatDateTime } from '@/components/ui/format';
import { orNotFound, signedInOrRedirect } from '@/server/http/page-guards';
import { getOrder } from '@/server/cart/queries';
import { MessageList } from '@/components/notifications/message-list';
import { OrderStatusBadge, OrderSteps } from '@/components/orders/order-steps';
import { RefreshWhile } from '@/components/orders/refresh-while';
import { notificationsForOrder } from '@/server/notifications/queries';

export const metadata: Metadata = { title: 'Order' };

export default async function OrderPage({ params }: { params: Promise<{ orderId: string }> }) {
  const { orderId } = await params;
  const user = await signedInOrRedirect(`/orders/${orderId}`);
  const order = await orNotFound(getOrder(user, orderId));
  const messages = await notificationsForOrder(user, orderId);
  const running = order.status !== 'confirmed' && order.status !== 'failed';
  return (
    <article className="mx-auto max-w-2xl space-y-6">
      <header>
        <p className="text-sm text-stone-500">
          <Link href="/carts" className="underline">
            Your carts and orders
          </Link>
        </p>
        <h1 className="mt-1 text-2xl font-bold">
          Order <span className="font-mono">{order.orderId}</span>
        </h1>
        <p className="flex flex-wrap items-center gap-2 text-sm text-stone-600">
          <span>Placed {formatDateTime(order.placedAt)}</span>
          <OrderStatusBadge status={order.status} />
        </p>
      </header>
      <RefreshWhile active={running} />
      {order.status === 'failed' && order.failure && (
        <section data-testid="order-failed" className="rounded-2xl border border-red-200 bg-red-50 p-5 text-red-900">
          <h2 className="font-semibold">This order could not be completed</h2>
          <p className="mt-1" data-testid="order-failure-reason">
            {order.failure.reason}
          </p>
          <p className="mt-1 text-sm">
            Every step it had taken was undone: nothing was charged and the stock went back. Your cart is open again with the
            same items.{' '}
            <Link href="/cart" className="font-medium underline">
              Go to your cart
            </Link>
          </p>
        </section>
      )}
      {running && (
        <p className="rounded-xl border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900" data-testid="order-running">
          We are working on your order; this page follows each step.
        </p>
      )}
      <div className="rounded-2xl border border-stone-200 bg-white p-6">
        <LineTable items={order.items} currency={order.currency} totalCents={order.totalCents} />
      </div>
      <section aria-labelledby="order-progress" className="space-y-3">
        <h2 id="order-progress" className="text-lg font-semibold">
          Progress
        </h2>
        <div className="rounded-2xl border border-stone-200 bg-white p-5">
          <OrderSteps steps={order.steps} />
        </div>
      </section>
      <section aria-labelledby="order-messages" className="space-y-2">
        <h2 id="order-messages" className="text-lg font-semibold">
          Messages about this order
        </h2>
        {messages.length === 0 ? (
          <p className="text-sm text-stone-500" data-testid="no-notifications">
            {order.status === 'confirmed'
              ? 'The confirmation is on its way; it appears here within a few seconds of the order.'
              : order.status === 'failed'
                ? 'A message saying why is on its way.'
                : 'Messages appear here once the order is confirmed.'}
          </p>
        ) : (
          <MessageList items={messages} />
        )}
      </section>
    </article>
  );
}
