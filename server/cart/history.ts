import 'server-only';
import { getDb } from '@/db/client';
import { userNames } from '../auth/users';
import { readStream, type Actor, type StoredEvent } from '../eventstore';
import { notFound } from '../http/errors';
import { diffCarts, type CartDiff } from './diff';
import { upcastStored } from './envelope';
import { cartStreamId, type CartEventEnvelope } from './events';
import { evolve, type CartState } from './evolve';
import { loadCart, toEnvelope } from './handler';
import { getCart, type CartView } from './queries';
import { describeEvent, type EventView } from './registry';

export type CartEventItem = {
  globalPosition: number;
  version: number;
  type: string;
  schemaVersion: number;
  data: unknown;
  occurredAt: string;
  actor: Actor;
  correlationId: string;
  causationId: string | null;
};

const toItem = (stored: StoredEvent): CartEventItem => {
  const e = upcastStored(stored);
  return {
    globalPosition: e.globalPosition,
    version: e.streamVersion,
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data,
    occurredAt: e.occurredAt.toISOString(),
    actor: e.metadata.actor,
    correlationId: e.metadata.correlationId,
    causationId: e.metadata.causationId,
  };
};

/** A page of a cart's events in version order, after a version; nextCursor is null on the last page. */
export async function listCartEvents(
  actor: Actor,
  cartId: string,
  page: { after?: number; limit?: number } = {},
): Promise<{ events: CartEventItem[]; nextCursor: string | null }> {
  await getCart(actor, cartId);
  const limit = page.limit ?? 100;
  const rows = await readStream(getDb(), cartStreamId(cartId), { afterVersion: page.after ?? 0, limit: limit + 1 });
  const events = rows.slice(0, limit).map(toItem);
  return { events, nextCursor: rows.length > limit ? String(events.at(-1)!.version) : null };
}

/** Accounts by name; the system and guests (who have no account) by what they are. */
const nameOf = (who: Actor, names: Map<string, string>) =>
  who.role === 'system' ? 'System' : who.role === 'guest' ? 'Guest' : (names.get(who.userId) ?? who.userId);

export type HistoryEntry = CartEventItem & {
  view: EventView;
  actorName: string;
  before: CartState | null;
  after: CartState;
  metadata: StoredEvent['metadata'];
};

/**
 * The history timeline, newest first, one page at a time: events at versions below `before`. Each
 * entry carries the cart before and after it (folded from the events), rendered through the registry.
 */
export async function getCartHistory(
  actor: Actor,
  cartId: string,
  page: { before?: number; limit?: number } = {},
): Promise<{ cart: CartView; entries: HistoryEntry[]; olderCursor: number | null }> {
  const cart = await getCart(actor, cartId);
  const limit = page.limit ?? 25;
  const top = Math.min(cart.version, (page.before ?? cart.version + 1) - 1);
  if (top < 1) return { cart, entries: [], olderCursor: null };
  const bottom = Math.max(1, top - limit + 1);
  const db = getDb();
  const base = bottom > 1 ? (await loadCart(db, cartId, { toVersion: bottom - 1 })).state : null;
  const events = await readStream(db, cartStreamId(cartId), { afterVersion: bottom - 1, toVersion: top });
  const names = await userNames(events.map((e) => e.metadata.actor.userId));
  let state = base;
  const entries: HistoryEntry[] = [];
  for (const e of events) {
    const env = toEnvelope(e);
    const after = evolve(state, env);
    const who = e.metadata.actor;
    entries.push({
      ...toItem(e),
      view: describeEvent(env, state, after),
      actorName: nameOf(who, names),
      before: state,
      after,
      metadata: e.metadata,
    });
    state = after;
  }
  return { cart, entries: entries.reverse(), olderCursor: bottom > 1 ? bottom : null };
}

/** Every event of the cart as evolve takes them, for time travel in the browser. */
export async function getCartTimeline(
  actor: Actor,
  cartId: string,
): Promise<{ cart: CartView; events: (CartEventEnvelope & { actorName: string })[] }> {
  const cart = await getCart(actor, cartId);
  const events = await readStream(getDb(), cartStreamId(cartId));
  const names = await userNames(events.map((e) => e.metadata.actor.userId));
  return {
    cart,
    events: events.map((e) => ({
      ...toEnvelope(e),
      actorName: nameOf(e.metadata.actor, names),
    })),
  };
}

/** The cart at two versions and what changed between them. */
export async function getCartDiff(
  actor: Actor,
  cartId: string,
  from: number,
  to: number,
): Promise<{ cartId: string; from: { version: number; state: CartState }; to: { version: number; state: CartState }; diff: CartDiff }> {
  const cart = await getCart(actor, cartId);
  for (const v of [from, to]) {
    if (v > cart.version) throw notFound('version_not_found', `The cart has ${cart.version} versions; there is no version ${v}.`);
  }
  const db = getDb();
  const [a, b] = await Promise.all([loadCart(db, cartId, { toVersion: from }), loadCart(db, cartId, { toVersion: to })]);
  return { cartId, from: { version: from, state: a.state! }, to: { version: to, state: b.state! }, diff: diffCarts(a.state, b.state) };
}
