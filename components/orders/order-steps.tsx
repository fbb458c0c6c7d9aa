import { orderEventIcon, type OrderStepView } from '@/server/orders/steps';
import { EventIcon } from '../timeline/event-icon';
import { formatDateTime } from '../ui/format';

const TONE = { done: 'text-stone-900', failed: 'text-red-800', undo: 'text-amber-800', info: 'text-sky-800' } as const;

/** The order process's events as a timeline, oldest first (order page and admin). */
export function OrderSteps({ steps }: { steps: OrderStepView[] }) {
  if (steps.length === 0) {
    return <p className="text-sm text-stone-500">This order was placed before checkout ran as an order process: it was confirmed at checkout.</p>;
  }
  return (
    <ol className="space-y-3" data-testid="order-steps">
      {steps.map((s) => (
        <li key={s.version} className="flex gap-3" data-testid="order-step" data-type={s.type}>
          <span className="mt-0.5 flex h-7 w-7 shrink-0 items-center justify-center rounded-full border border-stone-200 bg-white">
            <EventIcon name={orderEventIcon(s.type) ?? 'other'} />
          </span>
          <div className="min-w-0">
            <p className={`font-medium ${TONE[s.tone]}`}>{s.title}</p>
            {s.detail && <p className="break-words text-sm text-stone-600">{s.detail}</p>}
            <p className="text-xs text-stone-500">
              {formatDateTime(s.at)} · v{s.version}
            </p>
          </div>
        </li>
      ))}
    </ol>
  );
}

const LABEL: Record<string, { text: string; cls: string }> = {
  placed: { text: 'Awaiting payment', cls: 'bg-amber-100 text-amber-900' },
  paid: { text: 'Paid, reserving stock', cls: 'bg-amber-100 text-amber-900' },
  stock_committed: { text: 'Confirming', cls: 'bg-amber-100 text-amber-900' },
  confirmed: { text: 'Confirmed', cls: 'bg-emerald-100 text-emerald-900' },
  compensating: { text: 'Failed, undoing', cls: 'bg-red-100 text-red-900' },
  failed: { text: 'Failed', cls: 'bg-red-100 text-red-900' },
};

export function OrderStatusBadge({ status }: { status: string }) {
  const l = LABEL[status] ?? { text: status, cls: 'bg-stone-100 text-stone-800' };
  return (
    <span data-testid="order-status" data-status={status} className={`inline-block rounded-full px-2.5 py-0.5 text-xs font-semibold ${l.cls}`}>
      {l.text}
    </span>
  );
}
