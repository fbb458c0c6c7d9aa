// Pure: what changed between two states of one cart (time travel's compare, GET /diff).
import type { CartLine } from './events';
import type { CartState } from './evolve';

export type LineChange = {
  productId: string;
  name: string;
  before: Pick<CartLine, 'quantity' | 'unitPriceCents' | 'lineTotalCents'>;
  after: Pick<CartLine, 'quantity' | 'unitPriceCents' | 'lineTotalCents'>;
};

export type CartDiff = {
  added: CartLine[];
  removed: CartLine[];
  changed: LineChange[];
  totalDeltaCents: number;
  itemCountDelta: number;
  status: { before: CartState['status']; after: CartState['status'] } | null;
};

const pick = (l: CartLine) => ({ quantity: l.quantity, unitPriceCents: l.unitPriceCents, lineTotalCents: l.lineTotalCents });

export function diffCarts(from: CartState | null, to: CartState | null): CartDiff {
  const a = new Map((from?.items ?? []).map((l) => [l.productId, l]));
  const b = new Map((to?.items ?? []).map((l) => [l.productId, l]));
  const added = [...b.values()].filter((l) => !a.has(l.productId));
  const removed = [...a.values()].filter((l) => !b.has(l.productId));
  const changed: LineChange[] = [];
  for (const [id, before] of a) {
    const after = b.get(id);
    if (after && (after.quantity !== before.quantity || after.unitPriceCents !== before.unitPriceCents)) {
      changed.push({ productId: id, name: after.name, before: pick(before), after: pick(after) });
    }
  }
  return {
    added,
    removed,
    changed,
    totalDeltaCents: (to?.totalCents ?? 0) - (from?.totalCents ?? 0),
    itemCountDelta: (to?.itemCount ?? 0) - (from?.itemCount ?? 0),
    status: from && to && from.status !== to.status ? { before: from.status, after: to.status } : null,
  };
}

export const isEmptyDiff = (d: CartDiff) =>
  d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0 && d.status === null && d.totalDeltaCents === 0;
