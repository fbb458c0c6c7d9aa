import { formatDateTime } from './format';

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
];

export function relativeTime(iso: string, now = Date.now()): string {
  let delta = (new Date(iso).getTime() - now) / 1000;
  for (const [unit, size] of steps) {
    if (Math.abs(delta) < size) return rtf.format(Math.round(delta), unit);
    delta /= size;
  }
  return formatDateTime(iso);
}

/** Relative time, with the absolute time shown on hover and on keyboard focus. */
export function Time({ iso }: { iso: string }) {
  const absolute = formatDateTime(iso);
  return (
    <span className="group relative inline-block">
      <time dateTime={iso} title={absolute} tabIndex={0} className="cursor-help rounded underline decoration-dotted underline-offset-2 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500">
        {relativeTime(iso)}
      </time>
      <span
        role="tooltip"
        className="pointer-events-none absolute left-0 top-full z-10 mt-1 hidden whitespace-nowrap rounded-md bg-stone-900 px-2 py-1 text-xs text-white shadow group-focus-within:block group-hover:block"
      >
        {absolute}
      </span>
    </span>
  );
}
