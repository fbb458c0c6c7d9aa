import 'server-only';
import { asc, eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { events, orderProcesses } from '@/db/schema';
import { toStored } from '../eventstore/append';
import { ORDER_STREAM_TYPE } from '../orders/events';
import { foldOrder } from '../orders/evolve';
import { orderProcessRow, toOrderEnvelope } from '../orders/store';
import type { Difference } from './types';

const FIELDS = ['cartId', 'userId', 'status', 'attempt', 'version', 'totalCents', 'currency', 'paymentId', 'holdsStock', 'stockCommitted', 'failure'] as const;
/** Comparable text of a value: jsonb does not keep key order, so keys are sorted. */
const sortKeys = (v: unknown): unknown =>
  v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])])) : v;
const norm = (v: unknown) => (v instanceof Date ? v.toISOString() : JSON.stringify(sortKeys(v ?? null)));

/** (f): each `order_processes` row equals the fold of its order stream; no row without a stream or the reverse. */
export async function orderProcessDifferences(tx: Db): Promise<Difference[]> {
  const out: Difference[] = [];
  const rows = await tx.select().from(events).where(eq(events.streamType, ORDER_STREAM_TYPE)).orderBy(asc(events.streamId), asc(events.streamVersion));
  const byStream = new Map<string, ReturnType<typeof toOrderEnvelope>[]>();
  for (const r of rows) {
    const list = byStream.get(r.streamId) ?? [];
    list.push(toOrderEnvelope(toStored(r)));
    byStream.set(r.streamId, list);
  }
  const processes = new Map((await tx.select().from(orderProcesses)).map((p) => [p.orderId, p]));
  for (const [streamId, evs] of byStream) {
    const orderId = streamId.slice('order-'.length);
    const subject = `order ${orderId}`;
    let expected;
    try {
      expected = foldOrder(evs);
    } catch (e) {
      out.push({ check: 'order_process', subject, message: `its events cannot be folded: ${(e as Error).message}` });
      continue;
    }
    const actual = processes.get(orderId);
    processes.delete(orderId);
    if (!expected) continue;
    if (!actual) {
      out.push({ check: 'order_process', subject, message: 'no order_processes row, but the order stream has events' });
      continue;
    }
    const want = orderProcessRow(expected);
    for (const f of FIELDS) {
      if (norm(want[f]) !== norm(actual[f])) {
        out.push({ check: 'order_process', subject, message: `${f}: the fold says ${norm(want[f])}, the order_processes row says ${norm(actual[f])}` });
      }
    }
  }
  for (const orderId of processes.keys()) {
    out.push({ check: 'order_process', subject: `order ${orderId}`, message: 'order_processes row without an order stream' });
  }
  return out;
}
