import { formatDateTime } from '@/components/ui/format';
import type { NotificationView } from '@/server/notifications/queries';

const statusStyle: Record<NotificationView['status'], string> = {
  sent: 'bg-emerald-50 text-emerald-800',
  stored: 'bg-sky-50 text-sky-800',
  failed: 'bg-red-50 text-red-800',
};
const statusLabel: Record<NotificationView['status'], string> = { sent: 'Sent by email', stored: 'Kept here (no SMTP)', failed: 'Failed' };

/** Messages as a list of expandable entries: subject, recipient, how it went, and the text itself. */
export function MessageList({ items, showOrder = false }: { items: NotificationView[]; showOrder?: boolean }) {
  return (
    <ul className="divide-y divide-stone-200 rounded-2xl border border-stone-200 bg-white" data-testid="notifications">
      {items.map((m) => (
        <li key={m.id} className="px-4 py-3" data-testid="notification">
          <details>
            <summary className="flex cursor-pointer flex-wrap items-baseline gap-x-3 gap-y-1">
              <span className="font-medium">{m.subject}</span>
              <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${statusStyle[m.status]}`}>{statusLabel[m.status]}</span>
              <span className="text-sm text-stone-500">
                to {m.recipient}
                {showOrder && m.orderId ? (
                  <>
                    {' · '}
                    <a href={`/orders/${m.orderId}`} className="font-mono underline">
                      {m.orderId}
                    </a>
                  </>
                ) : null}
                {' · '}
                <time dateTime={m.createdAt}>{formatDateTime(m.createdAt)}</time>
              </span>
            </summary>
            <pre className="mt-3 whitespace-pre-wrap rounded-lg bg-stone-50 p-3 font-sans text-sm text-stone-700">{m.textBody}</pre>
          </details>
        </li>
      ))}
    </ul>
  );
}
