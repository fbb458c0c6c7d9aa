import type { EventIconName } from '@/server/cart/registry';

const paths: Record<EventIconName, { d: string; tone: string }> = {
  open: { d: 'M3 4h2l2.4 11.2a2 2 0 0 0 2 1.6h7.8a2 2 0 0 0 2-1.5L21 8H6', tone: 'text-sky-700' },
  add: { d: 'M12 5v14M5 12h14', tone: 'text-emerald-700' },
  quantity: { d: 'M7 7h10M7 12h10M7 17h6', tone: 'text-amber-700' },
  remove: { d: 'M5 12h14', tone: 'text-red-700' },
  checkout: { d: 'M5 12.5l4.5 4.5L19 7', tone: 'text-emerald-700' },
  lapsed: { d: 'M12 7v5l3 2M12 3a9 9 0 1 0 0 18a9 9 0 0 0 0-18', tone: 'text-amber-700' },
  abandoned: { d: 'M7 7l10 10M17 7L7 17', tone: 'text-stone-600' },
  expired: { d: 'M6 3h12M6 21h12M7 3c0 5 10 7 10 18M17 3c0 5-10 7-10 18', tone: 'text-amber-700' },
  price: { d: 'M20 12l-8 8-9-9V3h8l9 9zM7.5 7.5h.01', tone: 'text-violet-700' },
  stock: { d: 'M4 7l8-4 8 4-8 4-8-4zM4 7v10l8 4 8-4V7', tone: 'text-amber-700' },
  'merge-in': { d: 'M6 4v5a5 5 0 0 0 5 5h7M14 10l4 4-4 4', tone: 'text-violet-700' },
  'merge-out': { d: 'M4 12h11M11 8l4 4-4 4M19 5v14', tone: 'text-violet-700' },
  reopen: { d: 'M4 12a8 8 0 1 0 2.3-5.6M4 4v4h4', tone: 'text-sky-700' },
  payment: { d: 'M3 7h18v10H3zM3 11h18M7 15h3', tone: 'text-emerald-700' },
  failed: { d: 'M12 8v5M12 16.5h.01M10.3 3.9L2.4 18a2 2 0 0 0 1.7 3h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z', tone: 'text-red-700' },
  undo: { d: 'M9 14L4 9l5-5M4 9h11a5 5 0 0 1 0 10h-3', tone: 'text-amber-700' },
  other: { d: 'M12 12h.01', tone: 'text-stone-500' },
};

export function EventIcon({ name, className = 'h-4 w-4' }: { name: EventIconName; className?: string }) {
  const p = paths[name];
  return (
    <svg aria-hidden viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" className={`${className} ${p.tone}`}>
      <path d={p.d} />
    </svg>
  );
}
