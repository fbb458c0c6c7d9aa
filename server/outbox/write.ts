import 'server-only';
import type { Db } from '@/db/client';
import { outbox } from '@/db/schema';
import type { NewIntegrationMessage } from './types';

const listeners = new Set<() => void>();

/**
 * Writes integration messages in the caller's transaction, beside the domain events they announce:
 * if the transaction rolls back they vanish with the events, if it commits the relay publishes them.
 */
export async function enqueue(tx: Db, messages: NewIntegrationMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await tx.insert(outbox).values(messages.map((m) => ({ ...m, payload: m.payload })));
  // A hint for this process's relay to look soon (after the commit); it polls anyway.
  for (const l of listeners) setTimeout(l, 5).unref?.();
}

/** The relay listens here so a checkout is published in milliseconds rather than at the next poll. */
export function onEnqueued(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
