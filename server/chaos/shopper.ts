// One simulated shopper device: opens carts, adds, changes, removes, checks out, each command with
// its own Idempotency-Key; a command that fails on the way (connection refused while the server is
// down, a 5xx while the database is away) is sent again with the same key, a bounded number of times.
import { randomUUID } from 'node:crypto';
import { Client, networkErrorLabel } from './http';

export type Ack = {
  userId: string;
  cartId: string;
  kind: CommandKind;
  key: string;
  /** The version the server reported for the cart after this command. */
  version: number;
  /** Events the command appended (0: nothing to do, e.g. a quantity set to what it was). */
  events: number;
  replayed: boolean;
  attempts: number;
};

export type CommandKind = 'open' | 'add' | 'change' | 'remove' | 'checkout';

/** Shared by every shopper: what the run is doing now, and what it has seen. */
export type LoadState = {
  /** Finish the command in hand, then stop. */
  stop: boolean;
  /** The run failed (the server will not come back): give up on the command in hand too. */
  abort: boolean;
  /** steady | down (killed, restarting) | outage (database link cut) | recovering (link back, app not yet serving). */
  phase: string;
  acks: Ack[];
  sent: number;
  requests: number;
  refused: Record<string, number>;
  unacknowledged: { userId: string; key: string; kind: CommandKind; cartId: string | null; lastOutcome: string }[];
  /** phase -> outcome (`200`, `503 database_unavailable`, `ECONNREFUSED`, ...) -> count. */
  outcomes: Record<string, Record<string, number>>;
};

export function newLoadState(): LoadState {
  return { stop: false, abort: false, phase: 'steady', acks: [], sent: 0, requests: 0, refused: {}, unacknowledged: [], outcomes: {} };
}

type Line = { productId: string; quantity: number };
type CartView = { cartId: string; version: number; items: Line[] };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)];

export type ShopperOptions = {
  userId: string;
  email: string;
  password: string;
  products: string[];
  /** Attempts per command before it counts as unacknowledged. */
  maxAttempts: number;
};

export class Shopper {
  readonly client: Client;
  private cart: CartView | null = null;

  constructor(
    base: string,
    private readonly o: ShopperOptions,
    private readonly s: LoadState,
  ) {
    this.client = new Client(base);
  }

  signIn() {
    return this.client.signIn(this.o.email, this.o.password);
  }

  private count(outcome: string) {
    const byPhase = (this.s.outcomes[this.s.phase] ??= {});
    byPhase[outcome] = (byPhase[outcome] ?? 0) + 1;
  }

  /** Sends one command until it is answered (2xx or a refusal) or the attempts run out. */
  private async command(kind: CommandKind, method: string, path: string, json?: unknown) {
    const key = randomUUID();
    this.s.sent++;
    let last = '';
    for (let attempt = 1; attempt <= this.o.maxAttempts; attempt++) {
      this.s.requests++;
      try {
        const res = await this.client.request(method, path, { json, headers: { 'Idempotency-Key': key } });
        const code = (res.body as { error?: { code?: string } } | null)?.error?.code;
        last = code ? `${res.status} ${code}` : String(res.status);
        this.count(last);
        if (res.status >= 200 && res.status < 300) {
          const body = res.body as { cartId: string; version: number; events: unknown[]; cart: { items: Line[] } };
          this.s.acks.push({
            userId: this.o.userId,
            cartId: body.cartId,
            kind,
            key,
            version: body.version,
            events: body.events.length,
            replayed: res.headers.get('idempotent-replayed') === 'true',
            attempts: attempt,
          });
          return { ok: true as const, body };
        }
        if (res.status < 500 && res.status !== 408 && res.status !== 429) {
          this.s.refused[last] = (this.s.refused[last] ?? 0) + 1;
          return { ok: false as const, status: res.status, code, details: (res.body as { error?: { details?: Record<string, unknown> } })?.error?.details };
        }
      } catch (e) {
        last = networkErrorLabel(e);
        this.count(last);
      }
      if (this.s.abort) break;
      await sleep(Math.min(1000, 100 * attempt) * (0.5 + Math.random()));
    }
    this.s.unacknowledged.push({ userId: this.o.userId, key, kind, cartId: this.cart?.cartId ?? null, lastOutcome: last });
    return { ok: false as const, status: 0, code: 'gave_up', details: undefined };
  }

  /** One step of shopping; returns when the command is answered. */
  async step() {
    if (!this.cart) {
      const r = await this.command('open', 'POST', '/api/carts');
      if (r.ok) this.cart = { cartId: r.body.cartId, version: r.body.version, items: [] };
      return;
    }
    const cart = this.cart;
    const base = `/api/carts/${cart.cartId}`;
    const roll = Math.random();
    let r;
    if (cart.items.length === 0 || roll < 0.45) {
      r = await this.command('add', 'POST', `${base}/items`, { productId: pick(this.o.products), quantity: 1 + Math.floor(Math.random() * 2) });
    } else if (roll < 0.6) {
      const l = pick(cart.items);
      const quantity = l.quantity >= 3 ? l.quantity - 1 : l.quantity + 1;
      r = await this.command('change', 'PATCH', `${base}/items/${l.productId}`, { quantity });
    } else if (roll < 0.75) {
      r = await this.command('remove', 'DELETE', `${base}/items/${pick(cart.items).productId}`);
    } else {
      r = await this.command('checkout', 'POST', `${base}/checkout`);
      if (r.ok) {
        this.cart = null;
        return;
      }
    }
    if (r.ok) {
      cart.version = r.body.version;
      cart.items = r.body.cart.items.map((l) => ({ productId: l.productId, quantity: l.quantity }));
    } else if (r.code === 'insufficient_stock' && typeof r.details?.productId === 'string') {
      // Sold out meanwhile: take it out of the cart, as a shopper would.
      if (cart.items.some((l) => l.productId === r.details!.productId)) {
        const rm = await this.command('remove', 'DELETE', `${base}/items/${r.details.productId}`);
        if (rm.ok) cart.items = rm.body.cart.items.map((l) => ({ productId: l.productId, quantity: l.quantity }));
      }
    } else if (r.code === 'cart_closed' || r.code === 'cart_not_found' || r.code === 'gave_up') {
      this.cart = null;
    }
  }

  async run() {
    while (!this.s.stop) {
      await this.step();
      await sleep(10 + Math.random() * 60);
    }
  }
}
