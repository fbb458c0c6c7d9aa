// Words for a store report (pure).
import type { CheckName, StoreReport } from './types';

const headings: Record<CheckName, string> = {
  read_model: 'read model differs from the fold of the events',
  stream: 'stream versions',
  orders: 'orders vs checkout events',
  order_process: 'order processes vs their streams',
  stock: 'stock + units sold vs initial stock',
  reservations: 'reservations vs open carts and stock',
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function summaryLine(r: StoreReport): string {
  const c = r.counts;
  const checked = `${plural(c.carts, 'cart')}, ${plural(c.streams, 'stream')}, ${plural(c.events, 'event')}, ${plural(c.orders, 'order')}, ${plural(c.products, 'product')} checked`;
  const verdict = r.ok ? 'everything holds' : `${plural(r.differences.length, 'difference')}`;
  return `verify: ${checked}; ${verdict} (${(r.durationMs / 1000).toFixed(2)} s)`;
}

/** Every difference, grouped by check, one line each; then the summary line. */
export function formatReport(r: StoreReport): string {
  const lines: string[] = [];
  for (const check of Object.keys(headings) as CheckName[]) {
    const ds = r.differences.filter((d) => d.check === check);
    if (ds.length === 0) continue;
    lines.push(`${headings[check]} (${ds.length}):`);
    for (const d of ds) lines.push(`  ${d.subject}: ${d.message}`);
  }
  lines.push(summaryLine(r));
  return lines.join('\n');
}
