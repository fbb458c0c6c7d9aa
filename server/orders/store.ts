import 'server-only';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { orderProcesses } from '@/db/schema';
import { append, readStream, type Actor } from '../eventstore';
import type { StoredEvent } from '../eventstore/types';
import { enqueue } from '../outbox/write';
import type { NewIntegrationMessage } from '../outbox/types';
import { decideOrder, type OrderCommand } from './decide';
import { ORDER_STREAM_TYPE, orderStreamId, type OrderEventEnvelope } from './events';
import { foldOrder, terminal, type OrderState } from './evolve';

export const toOrderEnvelope = (e: StoredEvent): OrderEventEnvelope =>
  ({ type: e.type, data: e.data, version: e.streamVersion, occurredAt: e.occurredAt.toISOString() }) as OrderEventEnvelope;

/** The order process folded from its stream (null: no such order), with its events. */
export async function loadOrder(db: Db, orderId: string): Promise<{ state: OrderState | null; events: OrderEventEnvelope[] }> {
  const events = (await readStream(db, orderStreamId(orderId))).map(toOrderEnvelope);
  return { state: foldOrder(events), events };
}

export type OrderMeta = { actor: Actor; correlationId?: string; causationId?: string; now?: Date };

/**
 * Decide and append one order command against `state` (read by the caller), in the caller's
 * transaction: the events with the expected version (a runner that lost a race gets a
 * ConcurrencyError and its transaction rolls back), the `order_processes` row, and the integration
 * messages of a confirmed or failed order, all commit together.
 */
export async function executeOrderCommand(
  tx: Db,
  state: OrderState | null,
  command: OrderCommand,
  meta: OrderMeta,
): Promise<{ state: OrderState; events: OrderEventEnvelope[] }> {
  const decided = decideOrder(command, state);
  const orderId = command.type === 'PlaceOrder' ? command.data.orderId : state!.orderId;
  const now = meta.now ?? new Date();
  const correlationId = meta.correlationId ?? randomUUID();
  const appended = await append(tx, orderStreamId(orderId), decided, {
    streamType: ORDER_STREAM_TYPE,
    expectedVersion: state ? state.version : 'no_stream',
    metadata: { actor: meta.actor, correlationId, causationId: meta.causationId ?? null, commandId: null },
    occurredAt: now,
  });
  const envelopes = appended.events.map(toOrderEnvelope);
  const after = foldOrder(envelopes, state);
  if (!after) throw new Error(`order ${orderId}: no state after ${command.type}`);
  if (envelopes.length > 0) {
    await projectOrder(tx, after, now);
    await enqueue(tx, orderIntegrationMessages(after, envelopes, correlationId));
  }
  return { state: after, events: envelopes };
}

/** The `order_processes` row of a folded process; a step that went through resets the schedule. */
export function orderProcessRow(s: OrderState) {
  return {
    orderId: s.orderId,
    cartId: s.cartId,
    userId: s.userId,
    status: s.status,
    attempt: s.attempt,
    version: s.version,
    totalCents: s.totalCents,
    currency: s.currency,
    paymentId: s.paymentId,
    holdsStock: s.holdsStock,
    stockCommitted: s.stockCommitted,
    failure: s.failure,
    placedAt: new Date(s.placedAt),
    updatedAt: new Date(s.updatedAt),
  };
}

async function projectOrder(tx: Db, s: OrderState, now: Date) {
  const row = orderProcessRow(s);
  // Due at once while steps remain; the lease stays with whoever holds it (the runner releases it).
  const schedule = { nextRunAt: terminal(s.status) ? null : now, tries: 0, lastError: null };
  await tx
    .insert(orderProcesses)
    .values({ ...row, ...schedule })
    .onConflictDoUpdate({ target: orderProcesses.orderId, set: { ...row, ...schedule } });
}

/** order.confirmed and order.failed, with ids from the order stream (stable and unique). */
export function orderIntegrationMessages(s: OrderState, events: OrderEventEnvelope[], correlationId: string): NewIntegrationMessage[] {
  const out: NewIntegrationMessage[] = [];
  const order = {
    orderId: s.orderId,
    cartId: s.cartId,
    userId: s.userId,
    items: s.items,
    itemCount: s.itemCount,
    totalCents: s.totalCents,
    currency: s.currency,
    attempt: s.attempt,
  };
  for (const e of events) {
    const messageId = (subject: string) => `${orderStreamId(s.orderId)}@${e.version}/${subject}`;
    // Partitioned by cart, like cart.checked_out: per cart, checked out comes before confirmed/failed.
    if (e.type === 'OrderConfirmed') {
      out.push({
        messageId: messageId('order.confirmed'),
        subject: 'order.confirmed',
        partitionKey: s.cartId,
        payload: { ...order, paymentId: s.paymentId, confirmedAt: e.occurredAt },
        correlationId,
      });
    }
    if (e.type === 'OrderFailed') {
      out.push({
        messageId: messageId('order.failed'),
        subject: 'order.failed',
        partitionKey: s.cartId,
        payload: { ...order, step: e.data.step, code: e.data.code, reason: e.data.reason, failedAt: e.occurredAt },
        correlationId,
      });
    }
  }
  return out;
}

/** The process row as the runner sees it (schedule and lease). */
export async function processRow(db: Db, orderId: string) {
  const [row] = await db.select().from(orderProcesses).where(eq(orderProcesses.orderId, orderId));
  return row ?? null;
}
