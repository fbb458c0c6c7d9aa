import type { Metadata } from 'next';
import Link from 'next/link';
import { LineTable } from '@/components/orders/line-table';
import { formatDateTime } from '@/components/ui/format';
import { orNotFound, signedInOrRedirect } from '@/server/http/page-guards';
import { getOrder } from '@/server/cart/queries';
import { MessageList } from '@/components/notifications/message-list';
import { notificationsForOrder } from '@/server/notifications/queries';

export const metadata: Metadata = { title: 'Order' };

export default async function OrderPage({ params }: { params: Promise<{ orderId: string }> }) {
  const { orderId } = await params;
  const user = await signedInOrRedirect(`/orders/${orderId}`);
  const order = await orNotFound(getOrder(user, orderId));
  const messages = await notificationsForOrder(user, orderId);
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
        <p className="text-sm text-stone-600">Placed {formatDateTime(order.placedAt)}</p>
      </header>
      <div className="rounded-2xl border border-stone-200 bg-white p-6">
        <LineTable items={order.items} currency={order.currency} totalCents={order.totalCents} />
      </div>
      <section aria-labelledby="order-messages" className="space-y-2">
        <h2 id="order-messages" className="text-lg font-semibold">
          Messages about this order
        </h2>
        {messages.length === 0 ? (
          <p className="text-sm text-stone-500" data-testid="no-notifications">
            The confirmation is on its way; it appears here within a few seconds of the order.
          </p>
        ) : (
          <MessageList items={messages} />
        )}
      </section>
    </article>
  );
}
