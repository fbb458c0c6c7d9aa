import 'server-only';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { getDbHandle, type DbHandle } from '@/db/client';
import { log } from '../log';
import { CART_CHANNEL, CartChangeSchema, type CartChange } from './notify';

/** `change`: a committed change to the cart. `resync`: notifications may have been missed (the listen
 * connection was lost and is back), so a subscriber should look at the cart again. */
export type LiveMessage = { kind: 'change'; change: CartChange } | { kind: 'resync' };
export type LiveListener = (msg: LiveMessage) => void;

const PingSchema = z.object({ ping: z.string() });

export type HubOptions = {
  /** PostgreSQL only: how often the hub NOTIFYs itself to prove its LISTEN still works. */
  watchdogMs?: number;
  /** How long the hub waits for its own ping before it listens again. */
  pingTimeoutMs?: number;
};

/** Subscription topics: one cart's changes, or the changes of every cart a user owns. */
export const cartTopic = (cartId: string) => `cart:${cartId}`;
export const userTopic = (userId: string) => `user:${userId}`;

/**
 * One LISTEN per process, fanned out to subscribers by topic (each open SSE stream is one subscriber),
 * so a thousand open cart pages cost one database connection, not a thousand.
 *
 * postgres.js listens again by itself after its listen connection drops, but a failed re-listen during
 * an outage is dropped silently; so on PostgreSQL a watchdog NOTIFYs the hub's own ping through the
 * pool every `watchdogMs` while anyone is subscribed and, if the ping does not come back, listens anew.
 * Every listen after the first tells all subscribers to resync: what was sent meanwhile is lost.
 */
export class CartHub {
  private readonly subs = new Map<string, Set<LiveListener>>();
  private listening: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private listens = 0;
  private watchdog: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private awaitedPing: { id: string; timer: NodeJS.Timeout } | null = null;
  private closed = false;

  constructor(
    private readonly handle: DbHandle,
    private readonly opts: HubOptions = {},
  ) {}

  /** Calls `fn` for every committed change on `topic` (cartTopic, userTopic) until the returned function is called. */
  subscribe(topic: string, fn: LiveListener): () => void {
    let set = this.subs.get(topic);
    if (!set) this.subs.set(topic, (set = new Set()));
    set.add(fn);
    void this.ready().catch(() => {}); // failures are logged and retried in ready()
    return () => {
      const s = this.subs.get(topic);
      if (!s) return;
      s.delete(fn);
      if (s.size === 0) this.subs.delete(topic);
    };
  }

  /** Resolves once the LISTEN is in place: a change committed after this is delivered. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the live hub is closed'));
    this.listening ??= this.listen().catch((e) => {
      this.listening = null;
      log.warn({ err: e }, 'live carts: LISTEN failed, retrying');
      this.retryLater();
      throw e;
    });
    return this.listening;
  }

  /** Open subscriptions (tests and metrics). */
  subscriberCount(): number {
    let n = 0;
    for (const s of this.subs.values()) n += s.size;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.retry) clearTimeout(this.retry);
    if (this.awaitedPing) clearTimeout(this.awaitedPing.timer);
    this.subs.clear();
    await this.unlisten?.().catch(() => {});
  }

  private async listen() {
    if (!this.handle.listen) throw new Error('this database handle cannot LISTEN');
    this.unlisten = await this.handle.listen(
      CART_CHANNEL,
      (payload) => this.dispatch(payload),
      () => {
        if (this.listens++ > 0) this.broadcast({ kind: 'resync' });
      },
    );
    if (this.handle.kind === 'postgres' && !this.watchdog) {
      this.watchdog = setInterval(() => void this.checkListen(), this.opts.watchdogMs ?? 30_000);
      this.watchdog.unref();
    }
  }

  private retryLater() {
    if (this.retry || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.subs.size > 0) void this.ready().catch(() => {});
    }, 2_000);
    this.retry.unref();
  }

  private dispatch(payload: string) {
    let raw: unknown;
    try {
      raw = JSON.parse(payload);
    } catch {
      return log.warn({ payload: payload.slice(0, 200) }, 'live carts: a notification that is not JSON');
    }
    const ping = PingSchema.safeParse(raw);
    if (ping.success) {
      if (this.awaitedPing?.id === ping.data.ping) {
        clearTimeout(this.awaitedPing.timer);
        this.awaitedPing = null;
      }
      return; // another app server's ping, or ours
    }
    const change = CartChangeSchema.safeParse(raw);
    if (!change.success) return log.warn({ payload: payload.slice(0, 200) }, 'live carts: a notification of unknown shape');
    const topics = [cartTopic(change.data.cartId), ...(change.data.userId ? [userTopic(change.data.userId)] : [])];
    for (const topic of topics) for (const fn of this.subs.get(topic) ?? []) fn({ kind: 'change', change: change.data });
  }

  private broadcast(msg: LiveMessage) {
    for (const set of this.subs.values()) for (const fn of set) fn(msg);
  }

  private async checkListen() {
    if (this.subs.size === 0 || this.awaitedPing || this.closed) return;
    const id = randomUUID();
    const timer = setTimeout(() => {
      this.awaitedPing = null;
      log.warn('live carts: our own NOTIFY did not come back, listening again');
      void this.relisten();
    }, this.opts.pingTimeoutMs ?? 5_000);
    timer.unref();
    this.awaitedPing = { id, timer };
    try {
      await this.handle.db.execute(sql`select pg_notify(${CART_CHANNEL}, ${JSON.stringify({ ping: id })})`);
    } catch {
      // The database is away: no ping, so the timer fires and we listen again (retrying until it is back).
    }
  }

  private async relisten() {
    const old = this.unlisten;
    this.unlisten = null;
    this.listening = null;
    await old?.().catch(() => {});
    // A fresh listen counts as a re-listen: subscribers resync once it is in place.
    await this.ready().catch(() => {});
  }
}

const globalForHub = globalThis as unknown as { __eventcartHub?: { handle: DbHandle; hub: CartHub } };

/** The process's hub, on the process's database (a new one if tests swapped the handle). */
export function cartHub(): CartHub {
  const handle = getDbHandle();
  if (globalForHub.__eventcartHub?.handle !== handle) {
    void globalForHub.__eventcartHub?.hub.close();
    globalForHub.__eventcartHub = { handle, hub: new CartHub(handle) };
  }
  return globalForHub.__eventcartHub.hub;
}
