// Pipelining on one connection: postgres.js sends a statement when it is awaited and queues the ones
// behind it on the same connection, so statements that need none of each other's answers can all be sent
// before any answer is awaited (one round trip instead of one each). PostgreSQL still runs them one after
// the other, in the order sent. drizzle queries run only when awaited: `send` starts one at once.

/** Starts a query now and keeps a failure for whoever awaits it. */
export function send<T>(q: PromiseLike<T>): Promise<T> {
  const p = Promise.resolve(q.then((r) => r));
  p.catch(() => {}); // awaited later; a failure behind an earlier one in the same pipeline must not go unhandled
  return p;
}

/**
 * Waits for every one of the queries (so none is still to be sent when the transaction ends), then
 * answers like sequential awaits would: the first failure in the order given, else the results.
 */
export async function settled<T extends readonly unknown[]>(ps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const out = await Promise.allSettled(ps);
  for (const o of out) if (o.status === 'rejected') throw o.reason;
  return out.map((o) => (o as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
