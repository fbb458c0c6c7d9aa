import type { Metadata } from 'next';
import Link from 'next/link';
import { OrderStatusBadge } from '@/components/orders/order-steps';
import { formatDateTime, formatMoney } from '@/components/ui/format';
import { currentUser } from '@/server/auth';
import { isOrderStatus, listOrderProcesses } from '@/server/orders/admin';

export const metadata: Metadata = { title: 'Orders' };
export const dynamic = 'force-dynamic';

const TABS = [
  ['', 'All'],
  ['placed', 'Awaiting payment'],
  ['paid', 'Paid'],
  ['stock_committed', 'Confirming'],
  ['compensating', 'Undoing'],
  ['failed', 'Failed'],
  ['confirmed', 'Confirmed'],
] as const;

export default async function AdminOrdersPage({ searchParams }: { searchParams: Promise<{ status?: string }> }) {
  const user = await currentUser();
  if (user?.role !== 'admin') return null;
  const { status: asked } = await searchParams;
  const status = asked && isOrderStatus(asked) ? asked : undefined;
  const { orders, counts } = await listOrderProcesses({ status });
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return (
    <div className="space-y-5">
      <header className="space-y-2">
        <h1 className="text-2xl font-bold">Orders</h1>
        <p className="max-w-3xl text-stone-600">
          Every checkout starts an order process: payment authorised, stock committed, order confirmed. When a step fails, the
          steps already done are undone (payment voided, stock returned) and the shopper&apos;s cart is reopened. Open an order
          to see each step; a failed one can be retried.
        </p>
      </header>
      <nav aria-label="Order status" className="flex flex-wrap gap-2 text-sm">
        {TABS.map(([key, label]) => {
          const n = key === '' ? total : counts[key];
          const active = (status ?? '') === key;
          return (
            <Link
              key={key}
              href={key ? `/admin/orders?status=${key}` : '/admin/orders'}
              aria-current={active ? 'page' : undefined}
              className={`rounded-full border px-3 py-1 ${active ? 'border-stone-800 bg-stone-800 text-white' : 'border-stone-300 text-stone-700 hover:bg-stone-100'}`}
            >
              {label} <span className="tabular-nums opacity-75">{n}</span>
            </Link>
          );
        })}
      </nav>
      {orders.length === 0 ? (
        <p className="rounded-2xl border border-dashed border-stone-300 p-8 text-center text-stone-500">No orders here.</p>
      ) : (
        <div className="overflow-x-auto rounded-2xl border border-stone-200 bg-white">
          <table className="w-full text-left text-sm" data-testid="admin-orders">
            <thead className="border-b border-stone-200 bg-stone-50 text-xs uppercase tracking-wide text-stone-500">
              <tr>
                <th className="px-4 py-2">Order</th>
                <th className="px-4 py-2">Placed</th>
                <th className="px-4 py-2">Status</th>
                <th className="px-4 py-2 text-right">Total</th>
                <th className="px-4 py-2">Why / next</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-stone-100">
              {orders.map((o) => (
                <tr key={o.orderId} data-testid="admin-order-row" data-order-id={o.orderId}>
                  <td className="px-4 py-2 font-mono">
                    <Link className="underline" href={`/admin/orders/${o.orderId}`}>
                      {o.orderId}
                    </Link>
                    {o.attempt > 1 && <span className="ml-1 text-xs text-stone-500">attempt {o.attempt}</span>}
                  </td>
                  <td className="whitespace-nowrap px-4 py-2 text-stone-600">{formatDateTime(o.placedAt)}</td>
                  <td className="px-4 py-2">
                    <OrderStatusBadge status={o.status} />
                  </td>
                  <td className="px-4 py-2 text-right tabular-nums">{formatMoney(o.totalCents, o.currency)}</td>
                  <td className="max-w-sm px-4 py-2 text-stone-600">
                    {o.failure ? (
                      <span className="text-red-800">{o.failure.reason}</span>
                    ) : o.nextRunAt ? (
                      <span>
                        next step {formatDateTime(o.nextRunAt)}
                        {o.tries > 0 ? ` (tried ${o.tries}×: ${o.lastError ?? ''})` : ''}
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
