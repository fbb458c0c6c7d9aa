import type { Metadata } from 'next';
import { MessageList } from '@/components/notifications/message-list';
import { formatDateTime } from '@/components/ui/format';
import { currentUser } from '@/server/auth';
import { listNotifications, outboxStatus } from '@/server/notifications/queries';

export const metadata: Metadata = { title: 'Notifications' };
export const dynamic = 'force-dynamic';

export default async function NotificationsPage() {
  // The layout refuses non-admins; a page renders alongside its layout, so it must not load data for them.
  const user = await currentUser();
  if (user?.role !== 'admin') return null;
  const [items, outbox] = await Promise.all([listNotifications(user, { limit: 100 }), outboxStatus(user)]);
  return (
    <div className="space-y-6">
      <header className="space-y-2">
        <h1 className="text-2xl font-bold">Notifications</h1>
        <p className="max-w-3xl text-stone-600">
          Order confirmations and failed-order messages, written by a consumer of the <code className="text-sm">order.confirmed</code> and{' '}
          <code className="text-sm">order.failed</code> integration events. With{' '}
          <code className="text-sm">SMTP_URL</code> set they are sent by email; without it they are kept here and on each order&apos;s page.
        </p>
      </header>
      <section aria-label="Outbox" className="rounded-xl border border-stone-200 bg-white px-4 py-3 text-sm" data-testid="outbox-status">
        {outbox.pending === 0 ? (
          <p>Outbox: every integration event is published.</p>
        ) : (
          <p>
            Outbox: <strong className="tabular-nums">{outbox.pending}</strong> waiting to be published
            {outbox.oldestPendingAt ? <>, the oldest since {formatDateTime(outbox.oldestPendingAt)}</> : null}.
          </p>
        )}
        {outbox.failing ? (
          <p className="mt-1 text-red-700" role="status">
            Retrying <span className="font-mono">{outbox.failing.messageId}</span> after {outbox.failing.attempts} attempt
            {outbox.failing.attempts === 1 ? '' : 's'}: {outbox.failing.lastError}
          </p>
        ) : null}
      </section>
      {items.length === 0 ? (
        <p className="rounded-2xl border border-dashed border-stone-300 p-8 text-center text-stone-500">No notifications yet. Place an order to see one.</p>
      ) : (
        <MessageList items={items} showOrder />
      )}
    </div>
  );
}
