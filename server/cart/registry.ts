// One registry of cart event types -> icon, readable title and what changed. Pure: the history
// timeline, the admin audit and the API all render events through it.
import { MAX_QUANTITY, type CartEventEnvelope, type CartEventType, type MergeShortfall } from './events';
import type { CartState } from './evolve';

export type Change = { label: string; before: string | number | null; after: string | number | null };

/** Icon keys; components/timeline/event-icon.tsx draws them (no emoji fonts needed). */
export type EventIconName =
  | 'open'
  | 'add'
  | 'quantity'
  | 'remove'
  | 'checkout'
  | 'lapsed'
  | 'abandoned'
  | 'expired'
  | 'price'
  | 'stock'
  | 'merge-in'
  | 'merge-out'
  | 'reopen'
  | 'payment'
  | 'failed'
  | 'undo'
  | 'other';

export type EventView = {
  icon: EventIconName;
  title: string;
  changes: Change[];
  /** Other carts the event names (a merge's source or target), for the timeline to link. */
  links?: { label: string; href: string }[];
  /** What the event's data says beyond the before -> after (e.g. merge lines that did not fit). */
  notes?: string[];
};

type Entry = {
  icon: EventIconName;
  /** `before` is the cart before the event when known (history), or null (audit rows). */
  title: (data: never, before: CartState | null) => string;
  links?: (data: never) => { label: string; href: string }[];
  notes?: (data: never) => string[];
};

const money = (cents: number, currency: string) =>
  new Intl.NumberFormat('en-IE', { style: 'currency', currency }).format(cents / 100);

const nameIn = (state: CartState | null, productId: string) =>
  state?.items.find((l) => l.productId === productId)?.name ?? productId;

export const cartEventRegistry: Record<CartEventType, Entry> = {
  CartOpened: { icon: 'open', title: () => 'Cart opened' },
  ItemAdded: {
    icon: 'add',
    title: (d: { quantity: number; name: string }) => `Added ${d.quantity} × ${d.name}`,
  },
  ItemQuantityChanged: {
    icon: 'quantity',
    title: (d: { productId: string; from: number; to: number }, before) => `${nameIn(before, d.productId)}: quantity ${d.from} → ${d.to}`,
  },
  ItemRemoved: {
    icon: 'remove',
    title: (d: { productId: string; quantity: number }, before) => `Removed ${nameIn(before, d.productId)} (${d.quantity})`,
  },
  CartCheckedOut: {
    icon: 'checkout',
    title: (d: { orderId: string }) => `Checked out, order #${d.orderId}`,
  },
  ReservationsExpired: {
    icon: 'lapsed',
    title: (d: { productIds: string[] }, before) =>
      `Reservation lapsed: ${d.productIds.map((id) => nameIn(before, id)).join(', ')} no longer held`,
  },
  CartAbandoned: { icon: 'abandoned', title: () => 'Cart abandoned by the shopper' },
  CartExpired: {
    icon: 'expired',
    title: (d: { ttlSeconds: number }) => `Cart expired after ${span(d.ttlSeconds)} without activity`,
  },
  CartRepriced: {
    icon: 'price',
    title: (d: { currency: string; lines: { name: string; fromCents: number; toCents: number }[] }) =>
      `Repriced: ${d.lines.map((l) => `${l.name} ${money(l.fromCents, d.currency)} → ${money(l.toCents, d.currency)}`).join(', ')}`,
  },
  ...mergeEntries(),
  CartReopened: {
    icon: 'reopen',
    title: (d: { orderId: string; reason: string }) => `Reopened: order #${d.orderId} failed (${d.reason})`,
    links: (d: { orderId: string }) => [{ label: `Order ${d.orderId}`, href: `/orders/${d.orderId}` }],
  },
};

/** 86400 -> "24 h", 900 -> "15 min", 45 -> "45 s". */
function span(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

// ------------------------------------------------------------------ guest carts merged on sign-in

const shortId = (cartId: string) => cartId.slice(0, 8);
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const history = (cartId: string) => `/carts/${cartId}/history`;
const SHORT_REASON = {
  quantity_limit: `at most ${MAX_QUANTITY} per product`,
  insufficient_stock: 'not enough stock',
  product_not_found: 'no longer sold',
  currency_mismatch: 'other currency',
} as const;

type GuestMergedData = { fromCartId: string; lines: { quantity: number }[]; capped: MergeShortfall[] };
type MergedIntoData = { intoCartId: string; lines: { quantity: number }[] };

function mergeEntries(): Pick<Record<CartEventType, Entry>, 'GuestCartMerged' | 'CartMergedInto'> {
  return {
    GuestCartMerged: {
      icon: 'merge-in',
      title: (d: GuestMergedData) => `Merged ${plural(d.lines.length, 'line')} from guest cart ${shortId(d.fromCartId)}`,
      links: (d: GuestMergedData) => [{ label: `From guest cart ${shortId(d.fromCartId)}`, href: history(d.fromCartId) }],
      notes: (d: GuestMergedData) =>
        (d.capped ?? []).map((c) => `${c.name}: ${c.merged} of ${c.requested} merged (${SHORT_REASON[c.reason] ?? c.reason})`),
    },
    CartMergedInto: {
      icon: 'merge-out',
      title: (d: MergedIntoData) => `Merged into cart ${shortId(d.intoCartId)} on sign-in (${plural(d.lines.length, 'line')})`,
      links: (d: MergedIntoData) => [{ label: `Into cart ${shortId(d.intoCartId)}`, href: history(d.intoCartId) }],
    },
  };
}

/** Title only, from the event's own data (and the previous state when there is one). */
const entryOf = (type: string): Entry | undefined =>
  Object.hasOwn(cartEventRegistry, type) ? cartEventRegistry[type as CartEventType] : undefined;

export function eventTitle(type: string, data: unknown, before: CartState | null = null): string {
  const entry = entryOf(type);
  return entry ? entry.title(data as never, before) : type;
}

export function eventIcon(type: string): EventIconName {
  return entryOf(type)?.icon ?? 'other';
}

/** Icon, title and the before -> after of the lines and totals the event touched. */
export function describeEvent(event: Pick<CartEventEnvelope, 'type' | 'data'>, before: CartState | null, after: CartState): EventView {
  const changes: Change[] = [];
  const ids = new Set([...(before?.items ?? []), ...after.items].map((l) => l.productId));
  for (const id of ids) {
    const b = before?.items.find((l) => l.productId === id);
    const a = after.items.find((l) => l.productId === id);
    if (b?.quantity === a?.quantity && b?.unitPriceCents === a?.unitPriceCents) continue;
    const fmt = (l: typeof a) => (l ? `${l.quantity} × ${money(l.unitPriceCents, after.currency)}` : null);
    changes.push({ label: (a ?? b)!.name, before: fmt(b), after: fmt(a) });
  }
  if ((before?.totalCents ?? 0) !== after.totalCents || !before) {
    changes.push({ label: 'Total', before: before ? money(before.totalCents, before.currency) : null, after: money(after.totalCents, after.currency) });
  }
  if (before && before.status !== after.status) changes.push({ label: 'Status', before: before.status, after: after.status });
  const entry = entryOf(event.type);
  const extra = {
    ...(entry?.links ? { links: entry.links(event.data as never) } : {}),
    ...(entry?.notes ? { notes: entry.notes(event.data as never) } : {}),
  };
  return { icon: eventIcon(event.type), title: eventTitle(event.type, event.data, before), changes, ...extra };
}
