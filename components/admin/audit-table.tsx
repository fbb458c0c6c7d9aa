import Link from 'next/link';
import { eventIcon } from '@/server/cart/registry';
import { orderEventIcon } from '@/server/orders/steps';
import { isProductEventType, productEventRegistry } from '@/server/catalog/events';
import type { AuditEvent } from '@/server/audit/types';
import { auditHref, historyHref, timeTravelHref } from './audit-links';
import { EventIcon } from '../timeline/event-icon';
import { Time } from '../ui/time';

const roleStyle: Record<string, string> = {
  shopper: 'bg-stone-100 text-stone-600',
  admin: 'bg-amber-50 text-amber-800',
  system: 'bg-sky-50 text-sky-800',
  guest: 'bg-violet-50 text-violet-800',
};

const iconOf = (type: string) => (isProductEventType(type) ? productEventRegistry[type].icon : (orderEventIcon(type) ?? eventIcon(type)));
const linkStyle = 'font-medium text-brand-700 hover:underline hover:underline-offset-4';

/** Events newest first. Wide on purpose: on a phone it scrolls sideways inside its card, not the page. */
export function AuditTable({ events }: { events: AuditEvent[] }) {
  return (
    // relative: the sr-only (absolute) caption and header stay inside the scroller instead of widening the page.
    <div className="relative overflow-x-auto" data-testid="audit-scroller">
      <table className="w-full min-w-[900px] text-sm">
        <caption className="sr-only">Cart and catalog events, newest first</caption>
        <thead className="border-b border-stone-200 bg-stone-50 text-left text-xs font-semibold uppercase tracking-wide text-stone-500">
          <tr>
            <th scope="col" className="px-4 py-2.5 sm:pl-5">
              When
            </th>
            <th scope="col" className="min-w-[17rem] px-3 py-2.5">
              Event
            </th>
            <th scope="col" className="px-3 py-2.5">
              Cart / product
            </th>
            <th scope="col" className="px-3 py-2.5 text-right">
              Version
            </th>
            <th scope="col" className="px-3 py-2.5">
              Actor
            </th>
            <th scope="col" className="px-4 py-2.5 text-right sm:pr-5">
              <span className="sr-only">Links</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-stone-100">
          {events.map((e) => (
            <tr key={e.globalPosition} data-testid="audit-row" className="align-top hover:bg-brand-50/40">
              <td className="whitespace-nowrap px-4 py-3 text-stone-600 sm:pl-5">
                <Time iso={e.occurredAt} />
              </td>
              <td className="px-3 py-3">
                <div className="flex items-start gap-2">
                  <span aria-hidden className="grid h-7 w-7 shrink-0 place-items-center rounded-lg bg-stone-100 text-sm">
                    <EventIcon name={iconOf(e.type)} />
                  </span>
                  <div className="min-w-0">
                    <div className="font-medium text-stone-900">{e.title}</div>
                    <div className="font-mono text-xs text-stone-500">{e.type}</div>
                  </div>
                </div>
              </td>
              <td className="whitespace-nowrap px-3 py-3">
                {e.cartId !== null ? (
                  <Link
                    href={auditHref({ cartId: e.cartId })}
                    title={`Only cart ${e.cartId}`}
                    className="font-mono text-xs font-medium text-brand-700 hover:underline hover:underline-offset-4"
                  >
                    {e.cartId.slice(0, 8)}
                  </Link>
                ) : e.orderId ? (
                  <span className="text-xs text-stone-600" title={`Order stream order-${e.orderId}`}>
                    order <span className="font-mono">{e.orderId.slice(4, 12)}</span>
                  </span>
                ) : (
                  <span className="text-xs text-stone-600" title={`Product stream product-${e.productId}`}>
                    product <span className="font-mono">{e.productId}</span>
                  </span>
                )}
              </td>
              <td className="whitespace-nowrap px-3 py-3 text-right tabular-nums text-stone-700">v{e.version}</td>
              <td className="whitespace-nowrap px-3 py-3">
                <Link href={auditHref({ userId: e.actor.userId })} title={`Only ${e.actor.userId}`} className="text-stone-800 hover:underline hover:underline-offset-4">
                  {e.actor.userId}
                </Link>
                <span className={`ml-2 rounded-full px-2 py-0.5 text-xs font-semibold ${roleStyle[e.actor.role] ?? roleStyle.shopper}`}>{e.actor.role}</span>
              </td>
              <td className="whitespace-nowrap px-4 py-3 text-right tabular-nums sm:pr-5">
                {e.cartId !== null ? (
                  <>
                    <Link href={historyHref(e.cartId)} className={linkStyle}>
                      History
                    </Link>
                    <span aria-hidden className="mx-2 text-stone-300">
                      ·
                    </span>
                    <Link href={timeTravelHref(e.cartId, e.version)} className={linkStyle}>
                      State at v{e.version}
                    </Link>
                  </>
                ) : e.orderId ? (
                  <Link href={`/admin/orders/${e.orderId}`} className={linkStyle}>
                    Order process
                  </Link>
                ) : (
                  <Link href={`/admin/catalog#product-${e.productId}`} className={linkStyle}>
                    Catalog
                  </Link>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
