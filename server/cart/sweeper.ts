import 'server-only';
import { and, asc, eq, lt, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/db/client';
import { carts } from '@/db/schema';
import { log } from '../log';
import { rowsOf } from '../projections/sql';
import { expireCart, expireReservations, SYSTEM_ACTOR, type CommandContext } from './handler';
import { cartsWithLapsedReservations } from './reservations';
import { readTiming } from './timing';

// The sweeper: expires carts left alone for CART_TTL and releases reservations that lapsed. Every
// change goes through the cart command handler as the system actor, so it is an event, versioned and
// decided against the locked stream like any shopper command (docs/reservations.md).

/** Advisory lock class of the sweeper (subscribers use 727002): one sweep at a time across app servers. */
const SWEEPER_LOCK = sql`pg_try_advisory_xact_lock(727003, hashtext('cart-sweeper'))`;

export type SweepOptions = { now: Date; cartTtlSeconds: number; batch?: number; correlationId?: string };
export type SweepResult = { skipped: boolean; expired: string[]; released: string[]; failed: number };

/**
 * One pass, in one transaction holding the sweeper's advisory lock (a second process skips instead of
 * waiting). Each cart's command runs in a savepoint, so one failing cart neither aborts the others nor
 * leaves half its work behind. `now` is a parameter: tests drive the clock.
 */
export async function sweep(db: Db, opts: SweepOptions): Promise<SweepResult> {
  const batch = opts.batch ?? 100;
  const result: SweepResult = { skipped: false, expired: [], released: [], failed: 0 };
  await db.transaction(async (tx) => {
    const [lock] = rowsOf<{ locked: boolean }>(await tx.execute(sql`select ${SWEEPER_LOCK} as locked`));
    if (!lock?.locked) {
      result.skipped = true;
      return;
    }
    const ctx: CommandContext = { actor: { ...SYSTEM_ACTOR }, now: () => opts.now, correlationId: opts.correlationId };
    const inactiveBefore = new Date(opts.now.getTime() - opts.cartTtlSeconds * 1000);
    const stale = await tx
      .select({ cartId: carts.cartId })
      .from(carts)
      .where(and(eq(carts.status, 'open'), lt(carts.updatedAt, inactiveBefore)))
      .orderBy(asc(carts.updatedAt))
      .limit(batch);
    for (const { cartId } of stale) {
      const r = await step(tx, cartId, 'expire', (sp) => expireCart(ctx, cartId, opts.cartTtlSeconds, sp), result);
      if (r) result.expired.push(cartId);
    }
    for (const cartId of await cartsWithLapsedReservations(tx, opts.now, batch)) {
      const r = await step(tx, cartId, 'expire-reservations', (sp) => expireReservations(ctx, cartId, sp), result);
      if (r) result.released.push(cartId);
    }
  });
  return result;
}

/** One cart in a savepoint; true when it appended an event. */
async function step(tx: Db, cartId: string, what: string, run: (sp: Db) => Promise<{ events: unknown[] }>, result: SweepResult) {
  try {
    return await tx.transaction(async (sp) => (await run(sp as unknown as Db)).events.length > 0);
  } catch (err) {
    result.failed++;
    log.error({ err, cartId, what }, 'sweeper: a cart failed; the others go on');
    return false;
  }
}

const globalForSweeper = globalThis as unknown as { __eventcartSweeper?: { stop: () => void } };

/** Started by instrumentation.ts: a sweep every SWEEP_INTERVAL (0 = off on this server). */
export function startSweeper(): void {
  if (globalForSweeper.__eventcartSweeper) return;
  let timing;
  try {
    timing = readTiming();
  } catch (err) {
    log.error({ err }, 'sweeper not started');
    return;
  }
  if (timing.SWEEP_INTERVAL === 0) {
    log.info('cart sweeper is off (SWEEP_INTERVAL=0)');
    return;
  }
  const { CART_TTL, SWEEP_INTERVAL } = timing;
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const r = await sweep(getDb(), { now: new Date(), cartTtlSeconds: CART_TTL });
      if (r.expired.length + r.released.length > 0) log.info({ expired: r.expired.length, released: r.released.length }, 'sweeper pass');
    } catch (err) {
      log.error({ err }, 'sweeper pass failed; retried next interval');
    } finally {
      running = false;
    }
  }, SWEEP_INTERVAL * 1000);
  timer.unref?.();
  globalForSweeper.__eventcartSweeper = { stop: () => clearInterval(timer) };
  log.info({ cartTtlSeconds: CART_TTL, intervalSeconds: SWEEP_INTERVAL }, 'cart sweeper started');
}
