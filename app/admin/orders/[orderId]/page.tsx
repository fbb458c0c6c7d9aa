import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { RetryOrderButton } from '@/components/admin/retry-order-button';
import { LineTable } from '@/components/orders/line-table';
import { OrderStatusBadge, OrderSteps } from '@/components/orders/order-steps';
import { RefreshWhile } from '@/components/orders/refresh-while';
import { formatDateTime } from '@/components/ui/format';
import { currentUser } from '@/server/auth';
import { getOrder } from '@/server/cart/queries';
import { OrderIdParam } from '@/server/http/params';
import { orNotFound } from '@/server/http/page-guards';
import { processSchedule } from '@/server/orders/admin';

export const metadata: Metadata = { title: 'Order process' };
export const dynamic = 'force-dynamic';

export default async function AdminOrderPage({ params }: { params: Promise<{ orderId: string }> }) {
  const user = await currentUser();
  if (user?.role !== 'admin') return null;
  const { orderId } = await params;
  if (!OrderIdParam.safeParse(orderId).success) notFound();
  const order = await orNotFound(getOrder(user, orderId));
  const schedule = await processSchedule(orderId);
  const running = order.status !== 'confirmed' && order.status !== 'failed';
  return (
    <article className="space-y-6">
      <RefreshWhile active={running} />
      <header className="space-y-1">
        <p className="text-sm text-stone-500">
          <Link href="/admin/orders" className="underline">
            Orders
          </Link>
        </p>
        <h1 className="flex flex-wrap items-center gap-3 text-2xl font-bold">
          <span>
            Order <span className="font-mono">{order.orderId}</span>
          </span>
          <OrderStatusBadge status={order.status} />
        </h1>
        <p className="text-sm text-stone-600">
          Placed {formatDateTime(order.placedAt)} by <span className="font-mono">{order.userId}</span> · attempt {order.attempt} · cart{' '}
          <Link className="font-mono underline" href={`/carts/${order.cartId}/history`}>
            {order.cartId.slice(0, 8)}
          </Link>
        </p>
      </header>
      {order.failure && (
        <section className="rounded-2xl border border-red-200 bg-red-50 p-5 text-red-900" data-testid="order-failed">
          <p className="font-semibold">
            {order.failure.step === 'payment' ? 'Payment' : order.failure.step === 'stock' ? 'Stock' : 'Confirmation'} failed:{' '}
            <span className="font-mono text-sm">{order.failure.code}</span>
          </p>
          <p className="mt-1" data-testid="order-failure-reason">
            {order.failure.reason}
          </p>
          {order.status === 'failed' && (
            <div className="mt-3 space-y-1">
              <RetryOrderButton orderId={order.orderId} />
              <p className="text-xs text-red-900/80">
                Checks the shopper&apos;s cart out again under this order (only if they have not changed it since) and runs the
                steps again from the payment.
              </p>
            </div>
          )}
        </section>
      )}
      <div className="grid gap-6 lg:grid-cols-2">
        <section aria-labelledby="steps" className="space-y-3">
          <h2 id="steps" className="text-lg font-semibold">
            Steps
          </h2>
          <div className="rounded-2xl border border-stone-200 bg-white p-5">
            <OrderSteps steps={order.steps} />
          </div>
          {schedule && running && (
            <p className="text-sm text-stone-600" data-testid="order-schedule">
              Next step due {schedule.nextRunAt ? formatDateTime(schedule.nextRunAt) : '—'}
              {schedule.tries > 0 ? `; tried ${schedule.tries}× (${schedule.lastError ?? ''})` : ''}
              {schedule.lockedBy ? `; runner ${schedule.lockedBy} until ${formatDateTime(schedule.lockedUntil!)}` : ''}
            </p>
          )}
        </section>
        <section aria-labelledby="lines" className="space-y-3">
          <h2 id="lines" className="text-lg font-semibold">
            Lines
          </h2>
          <div className="rounded-2xl border border-stone-200 bg-white p-5">
            <LineTable items={order.items} currency={order.currency} totalCents={order.totalCents} />
          </div>
        </section>
      </div>
    </article>
  );
}
