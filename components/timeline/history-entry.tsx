import Link from 'next/link';
import type { HistoryEntry } from '@/server/cart/history';
import { Time } from '../ui/time';
import { EventIcon } from './event-icon';

const roleStyle: Record<string, string> = {
  shopper: 'bg-sky-50 text-sky-800',
  admin: 'bg-violet-50 text-violet-800',
  system: 'bg-stone-100 text-stone-700',
  guest: 'bg-amber-50 text-amber-800',
};

export function HistoryEntryItem({ entry, cartId }: { entry: HistoryEntry; cartId: string }) {
  const raw = {
    globalPosition: entry.globalPosition,
    version: entry.version,
    type: entry.type,
    schemaVersion: entry.schemaVersion,
    occurredAt: entry.occurredAt,
    data: entry.data,
    metadata: entry.metadata,
  };
  return (
    <li className="relative flex gap-4 pb-6 pl-1" data-testid="history-entry" data-version={entry.version}>
      <span aria-hidden className="z-10 grid h-9 w-9 shrink-0 place-items-center rounded-full border border-stone-200 bg-white text-base shadow-sm">
        <EventIcon name={entry.view.icon} />
      </span>
      <div className="min-w-0 flex-1 rounded-2xl border border-stone-200 bg-white p-4 shadow-sm">
        <div className="flex flex-wrap items-baseline justify-between gap-x-3 gap-y-1">
          <h3 className="font-semibold">{entry.view.title}</h3>
          <span className="text-xs text-stone-500">v{entry.version}</span>
        </div>
        <p className="mt-1 flex flex-wrap items-center gap-x-2 gap-y-1 text-sm text-stone-600">
          <span className="font-medium text-stone-800">{entry.actorName}</span>
          <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${roleStyle[entry.actor.role] ?? roleStyle.system}`}>{entry.actor.role}</span>
          <span aria-hidden>·</span>
          <Time iso={entry.occurredAt} />
        </p>
        {entry.view.changes.length > 0 && (
          <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            {entry.view.changes.map((c) => (
              <div key={c.label} className="contents">
                <dt className="text-stone-500">{c.label}</dt>
                <dd className="tabular-nums">
                  {c.before === null ? <span className="text-stone-400">none</span> : <span className="text-stone-500 line-through decoration-stone-300">{c.before}</span>}
                  <span aria-label="changed to" className="mx-2 text-stone-400">
                    →
                  </span>
                  {c.after === null ? <span className="text-stone-400">none</span> : <span className="font-medium">{c.after}</span>}
                </dd>
              </div>
            ))}
          </dl>
        )}
        {entry.view.notes && entry.view.notes.length > 0 && (
          <ul className="mt-3 list-disc space-y-0.5 pl-5 text-sm text-amber-800" data-testid="event-notes">
            {entry.view.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        )}
        <div className="mt-3 flex flex-wrap items-center gap-4 text-sm">
          {entry.view.links?.map((l) => (
            <Link key={l.href} href={l.href} className="font-medium text-violet-700 hover:underline">
              {l.label}
            </Link>
          ))}
          <Link href={`/carts/${cartId}/time-travel?version=${entry.version}`} className="font-medium text-brand-700 hover:underline">
            View cart at this version
          </Link>
        </div>
        <details className="mt-2 text-sm">
          <summary className="cursor-pointer select-none text-stone-500 hover:text-stone-800">Raw event</summary>
          <pre className="mt-2 max-h-80 overflow-auto rounded-lg bg-stone-900 p-3 text-xs leading-relaxed text-stone-100">{JSON.stringify(raw, null, 2)}</pre>
        </details>
      </div>
    </li>
  );
}
