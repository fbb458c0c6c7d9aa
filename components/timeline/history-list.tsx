import type { HistoryEntry } from '@/server/cart/history';
import { HistoryEntryItem } from './history-entry';

const dayKey = (iso: string) => iso.slice(0, 10);
const dayLabel = (key: string) =>
  new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${key}T00:00:00Z`));

/** Events newest first, grouped by day (UTC), as nested lists so assistive tech reads them as lists. */
export function HistoryList({ entries, cartId }: { entries: HistoryEntry[]; cartId: string }) {
  const days: { key: string; entries: HistoryEntry[] }[] = [];
  for (const e of entries) {
    const key = dayKey(e.occurredAt);
    if (days.at(-1)?.key !== key) days.push({ key, entries: [] });
    days.at(-1)!.entries.push(e);
  }
  return (
    <ol aria-label="Cart history" className="space-y-6">
      {days.map((d) => (
        <li key={d.key}>
          <h2 className="mb-3 text-sm font-semibold uppercase tracking-wide text-stone-500">{dayLabel(d.key)}</h2>
          <ol className="relative before:absolute before:bottom-6 before:left-[22px] before:top-2 before:w-px before:bg-stone-200">
            {d.entries.map((e) => (
              <HistoryEntryItem key={e.version} entry={e} cartId={cartId} />
            ))}
          </ol>
        </li>
      ))}
    </ol>
  );
}
