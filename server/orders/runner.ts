import 'server-only';
import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNotNull, isNull, lte, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type Db } from '@/db/client';
import { orderProcesses, products } from '@/db/schema';
import { lockProducts } from '../catalog/queries';
import { handleCartCommand, SYSTEM_ACTOR } from '../cart/handler';
import { releaseOrderHolds } from '../cart/reservations';
import { ConcurrencyError } from '../eventstore';
import { log } from '../log';
import { PaymentProviderUnavailable, type PaymentProvider } from '../payments/provider';
import { readPaymentEnv, simulatedProvider } from '../payments/simulated';
import type { OrderCommand } from './decide';
import { nextAction, stepOf, type OrderAction, type OrderState } from './evolve';
import { executeOrderCommand, loadOrder } from './store';

// The order process runner. Each step is: (maybe) one call to the payment provider, then one
// transaction that appends the step's events with the expected version and does the step's work
// (stock, holds, the reopened cart). A runner holds a lease on the process row while it works, so
// one runner at a time drives an order across app servers; the expected version fences a runner
// whose lease ran out. After a crash the lease lapses and any runner resumes from the events: the
// provider call is repeated with the same idempotency key and answers as before.

export type RunnerDeps = {
  db: Db;
  provider: PaymentProvider;
  workerId: string;
  /** How long a claim lasts before another runner may take the process over. */
  leaseMs: number;
  /** Tries of one step before a forward step is given up (and compensated). */
  maxTries: number;
  /** Wait before the next try after `tries` failed ones. */
  backoffMs: (tries: number) => number;
  now: () => Date;
  /** How long checkout drives the order itself (ORDER_CHECKOUT_WAIT; 0: leave it all to the background runner). */
  checkoutWaitMs?: number;
  /** Tests: called before each action (throw to make the step fail). */
  beforeAction?: (action: OrderAction, state: OrderState) => void | Promise<void>;
};

const durationMs = (fallback: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const m = /^(\d+)\s*(ms|s|m)?$/.exec(v);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: 'a duration like 500ms, 10s or 1m' });
        return z.NEVER;
      }
      return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 } as const)[(m[2] ?? 'ms') as 'ms' | 's' | 'm'];
    })
    .pipe(z.number().int().min(0).max(max));

const OrderEnv = z.object({
  /** How often a server looks for order processes that are due (default 2 s; 0 = not on this server). */
  ORDER_RUN_INTERVAL: durationMs(2000, 3_600_000),
  /** A runner's claim on a process; after a crash another resumes it this long after (default 30 s). */
  ORDER_LEASE: durationMs(30_000, 3_600_000),
  /** How long checkout waits for the process to finish before answering (default 10 s). */
  ORDER_CHECKOUT_WAIT: durationMs(10_000, 120_000),
  /** Tries of a step (e.g. the provider not answering) before the order fails (default 5). */
  ORDER_MAX_TRIES: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? '5' : v))
    .transform(Number).pipe(z.number().int().min(1).max(100)),
});
export type OrderEnv = z.infer<typeof OrderEnv>;

export function readOrderEnv(env: NodeJS.ProcessEnv = process.env): OrderEnv {
  const parsed = OrderEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid order process configuration:\n${lines}`);
  }
  return parsed.data;
}

const globalForRunner = globalThis as unknown as { __eventcartOrderDeps?: RunnerDeps; __eventcartOrderTimer?: NodeJS.Timeout };

/** This process's runner: the simulated provider and the settings from the environment. */
export function defaultRunnerDeps(): RunnerDeps {
  if (!globalForRunner.__eventcartOrderDeps) {
    const env = readOrderEnv();
    globalForRunner.__eventcartOrderDeps = {
      // The database of the moment (tests switch it between PGlite and PostgreSQL).
      get db() {
        return getDb();
      },
      provider: simulatedProvider(readPaymentEnv()),
      workerId: `runner-${process.pid}-${randomUUID().slice(0, 8)}`,
      leaseMs: env.ORDER_LEASE,
      checkoutWaitMs: env.ORDER_CHECKOUT_WAIT,
      maxTries: env.ORDER_MAX_TRIES,
      backoffMs: (tries) => Math.min(30_000, 500 * 2 ** (tries - 1)),
      now: () => new Date(),
    };
  }
  return globalForRunner.__eventcartOrderDeps;
}

/** Tests: replace (or with undefined, forget) the runner the app uses. */
export function setRunnerDepsForTest(deps: RunnerDeps | undefined) {
  globalForRunner.__eventcartOrderDeps = deps;
}

/** Take (or renew) the lease on a due process; false when another runner holds it or nothing is due. */
async function claim(deps: RunnerDeps, orderId: string): Promise<boolean> {
  const now = deps.now();
  const rows = await deps.db
    .update(orderProcesses)
    .set({ lockedUntil: new Date(now.getTime() + deps.leaseMs), lockedBy: deps.workerId })
    .where(
      and(
        eq(orderProcesses.orderId, orderId),
        isNotNull(orderProcesses.nextRunAt),
        lte(orderProcesses.nextRunAt, now),
        or(isNull(orderProcesses.lockedUntil), lte(orderProcesses.lockedUntil, now), eq(orderProcesses.lockedBy, deps.workerId)),
      ),
    )
    .returning({ orderId: orderProcesses.orderId });
  return rows.length > 0;
}

/** Extend a lease this runner holds; false when it lost it (it lapsed and another runner took over). */
async function renew(deps: RunnerDeps, orderId: string): Promise<boolean> {
  const rows = await deps.db
    .update(orderProcesses)
    .set({ lockedUntil: new Date(deps.now().getTime() + deps.leaseMs) })
    .where(and(eq(orderProcesses.orderId, orderId), eq(orderProcesses.lockedBy, deps.workerId)))
    .returning({ orderId: orderProcesses.orderId });
  return rows.length > 0;
}

/** Give the lease back, optionally rescheduling (a failed try) or marking the process done. */
async function release(deps: RunnerDeps, orderId: string, patch: Partial<typeof orderProcesses.$inferInsert> = {}) {
  await deps.db
    .update(orderProcesses)
    .set({ lockedUntil: null, lockedBy: null, ...patch })
    .where(and(eq(orderProcesses.orderId, orderId), eq(orderProcesses.lockedBy, deps.workerId)));
}

const meta = (deps: RunnerDeps, state: OrderState) => ({
  actor: { ...SYSTEM_ACTOR },
  correlationId: `order-${state.orderId}`,
  now: deps.now(),
});

/** One transaction: the command's events against `state`, plus `work` (stock, holds, cart). */
async function step(
  deps: RunnerDeps,
  state: OrderState,
  command: OrderCommand,
  work?: (tx: Db, after: OrderState, events: { type: string }[]) => Promise<void>,
) {
  await deps.db.transaction(async (tx) => {
    const r = await executeOrderCommand(tx, state, command, meta(deps, state));
    await work?.(tx, r.state, r.events);
  });
}

async function perform(deps: RunnerDeps, action: OrderAction, s: OrderState): Promise<void> {
  const ids = s.items.map((l) => l.productId);
  switch (action) {
    case 'authorize_payment': {
      const outcome = await deps.provider.authorize({
        idempotencyKey: `${s.orderId}/${s.attempt}`,
        orderId: s.orderId,
        amountCents: s.totalCents,
        currency: s.currency,
        method: s.paymentMethod,
      });
      return step(deps, s, { type: 'RecordPayment', data: { attempt: s.attempt, outcome } });
    }
    case 'commit_stock':
      return deps.db.transaction(async (tx) => {
        const locked = await lockProducts(tx, ids);
        const stock = Object.fromEntries(Object.entries(locked).map(([id, p]) => [id, p.stock]));
        const r = await executeOrderCommand(tx, s, { type: 'CommitStock', data: { stock } }, meta(deps, s));
        if (!r.events.some((e) => e.type === 'StockCommitted')) return; // failed: compensation follows
        for (const l of s.items) {
          await tx.update(products).set({ stock: sql`${products.stock} - ${l.quantity}` }).where(eq(products.id, l.productId));
        }
        await releaseOrderHolds(tx, s.cartId);
      });
    case 'confirm':
      return step(deps, s, { type: 'Confirm', data: {} });
    case 'return_stock':
      return deps.db.transaction(async (tx) => {
        await lockProducts(tx, ids);
        await executeOrderCommand(tx, s, { type: 'ReturnStock', data: {} }, meta(deps, s));
        for (const l of s.items) {
          await tx.update(products).set({ stock: sql`${products.stock} + ${l.quantity}` }).where(eq(products.id, l.productId));
        }
      });
    case 'void_payment':
      await deps.provider.void(s.paymentId!);
      return step(deps, s, { type: 'RecordVoid', data: { paymentId: s.paymentId! } });
    case 'close_failed':
      return deps.db.transaction(async (tx) => {
        // The cart first (as checkout locks it before the order): reopened, its holds released.
        const f = s.failure!;
        await handleCartCommand(
          s.cartId,
          'reopen',
          { orderId: s.orderId },
          { actor: { ...SYSTEM_ACTOR }, correlationId: `order-${s.orderId}`, now: deps.now },
          async () => ({
            type: 'ReopenCart',
            data: { orderId: s.orderId, step: f.step, code: f.code, reason: f.reason, items: s.items, totalCents: s.totalCents, placedAt: s.placedAt },
          }),
          tx,
        );
        await executeOrderCommand(tx, s, { type: 'Close', data: {} }, meta(deps, s));
      });
  }
}

/** Why a step that kept failing was given up, as the shopper reads it. */
function givenUp(action: 'authorize_payment' | 'commit_stock' | 'confirm', err: unknown, tries: number) {
  if (err instanceof PaymentProviderUnavailable) {
    return { code: 'payment_provider_unavailable', reason: `The payment provider did not answer (${tries} tries). Nothing was charged.` };
  }
  const what = { authorize_payment: 'payment', commit_stock: 'stock', confirm: 'confirmation' }[action];
  return { code: 'step_failed', reason: `The ${what} step failed ${tries} times; the order was undone. Nothing was charged.` };
}

export type RunOptions = { deadline?: number };

let runs = 0;

/**
 * Drive one order as far as it goes: until it is confirmed or failed, a step has to wait for a retry,
 * another runner holds it, or the deadline (ms since epoch) passes. Returns the process as it is then.
 */
export async function runOrder(runner: RunnerDeps, orderId: string, opts: RunOptions = {}): Promise<OrderState | null> {
  // Each run claims under a name of its own: two runs in one process (a checkout and its repeat) are two runners.
  const deps = { ...runner, workerId: `${runner.workerId}#${++runs}` };
  if (!(await claim(deps, orderId))) return (await loadOrder(deps.db, orderId)).state;
  for (;;) {
    const { state } = await loadOrder(deps.db, orderId);
    const action = state && nextAction(state);
    if (!state || !action) {
      await release(deps, orderId, { nextRunAt: null });
      return state;
    }
    if (opts.deadline !== undefined && Date.now() > opts.deadline) {
      await release(deps, orderId); // still due: the background runner goes on
      return state;
    }
    try {
      await deps.beforeAction?.(action, state);
      await perform(deps, action, state);
      if (!(await renew(deps, orderId))) return (await loadOrder(deps.db, orderId)).state; // lease lost meanwhile
    } catch (err) {
      if (err instanceof ConcurrencyError) {
        // Another runner moved it on (our lease had lapsed): leave it to them.
        await release(deps, orderId);
        return (await loadOrder(deps.db, orderId)).state;
      }
      const [row] = await deps.db.select({ tries: orderProcesses.tries }).from(orderProcesses).where(eq(orderProcesses.orderId, orderId));
      const tries = (row?.tries ?? 0) + 1;
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ err, orderId, action, tries }, 'order process: a step failed');
      if ((action === 'authorize_payment' || action === 'commit_stock' || action === 'confirm') && tries >= deps.maxTries) {
        // Give the step up: record why, then the loop undoes what was done.
        try {
          await step(deps, state, { type: 'FailStep', data: { step: stepOf[action], ...givenUp(action, err, tries) } });
          continue;
        } catch (e2) {
          log.error({ err: e2, orderId }, 'order process: could not record the failed step');
        }
      }
      // Try again later; compensation is retried until it goes through (it must not be given up).
      await release(deps, orderId, {
        tries,
        lastError: message.slice(0, 500),
        nextRunAt: new Date(deps.now().getTime() + deps.backoffMs(tries)),
      });
      return state;
    }
  }
}

/** Every due process this runner can claim, oldest first (the background loop and tests). */
export async function runDueOrders(deps: RunnerDeps, limit = 20): Promise<number> {
  const now = deps.now();
  const due = await deps.db
    .select({ orderId: orderProcesses.orderId })
    .from(orderProcesses)
    .where(and(isNotNull(orderProcesses.nextRunAt), lte(orderProcesses.nextRunAt, now), or(isNull(orderProcesses.lockedUntil), lte(orderProcesses.lockedUntil, now))))
    .orderBy(asc(orderProcesses.nextRunAt))
    .limit(limit);
  for (const { orderId } of due) {
    try {
      await runOrder(deps, orderId);
    } catch (err) {
      log.error({ err, orderId }, 'order process: run failed; it stays due');
    }
  }
  return due.length;
}

/** Started by instrumentation.ts: every ORDER_RUN_INTERVAL, resume what is due (after a restart too). */
export function startOrderRunner(): void {
  if (globalForRunner.__eventcartOrderTimer) return;
  let env: OrderEnv;
  try {
    env = readOrderEnv();
    defaultRunnerDeps();
  } catch (err) {
    log.error({ err }, 'order runner not started');
    return;
  }
  if (env.ORDER_RUN_INTERVAL === 0) {
    log.info('order runner is off on this server (ORDER_RUN_INTERVAL=0)');
    return;
  }
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await runDueOrders(defaultRunnerDeps());
    } catch (err) {
      log.warn({ err }, 'order runner: pass failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), env.ORDER_RUN_INTERVAL);
  timer.unref();
  globalForRunner.__eventcartOrderTimer = timer;
  void tick();
}
