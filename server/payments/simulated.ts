import 'server-only';
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type Db } from '@/db/client';
import { simulatedPayments } from '@/db/schema';
import type { PaymentOutcome } from '../orders/decide';
import { PaymentProviderUnavailable, type AuthorizeRequest, type PaymentProvider } from './provider';

/**
 * A payment provider that lives in this process and keeps its ledger in `simulated_payments`, as a
 * real one keeps its own. It answers after PAYMENT_DELAY; it declines the declining test card always
 * and any card with probability PAYMENT_FAILURE_RATE; with probability PAYMENT_UNAVAILABLE_RATE it
 * does not answer at all (the order process retries, then gives up). Answers are stored by
 * idempotency key: asking again returns the first answer, never a second authorisation.
 */
export type SimulatedProviderOptions = {
  failureRate: number;
  unavailableRate: number;
  delayMs: number;
  random?: () => number;
  db?: Db;
};

const rate = (fallback: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v))
    .transform(Number).pipe(z.number().min(0).max(1));

const PaymentEnv = z.object({
  /** Share of authorisations declined (0 to 1, default 0). */
  PAYMENT_FAILURE_RATE: rate('0'),
  /** Share of authorisations that get no answer (0 to 1, default 0). */
  PAYMENT_UNAVAILABLE_RATE: rate('0'),
  /** Milliseconds the provider takes to answer (default 150). */
  PAYMENT_DELAY: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? '150' : v.replace(/ms$/, '')))
    .transform(Number).pipe(z.number().int().min(0).max(60_000)),
});

export function readPaymentEnv(env: NodeJS.ProcessEnv = process.env): SimulatedProviderOptions {
  const parsed = PaymentEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid payment configuration:\n${lines}`);
  }
  const e = parsed.data;
  return { failureRate: e.PAYMENT_FAILURE_RATE, unavailableRate: e.PAYMENT_UNAVAILABLE_RATE, delayMs: e.PAYMENT_DELAY };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Row = typeof simulatedPayments.$inferSelect;

function outcomeOf(row: Row): PaymentOutcome {
  if (row.status === 'declined') return { status: 'declined', code: row.declineCode ?? 'card_declined', reason: declineReason(row.declineCode) };
  return { status: 'authorized', paymentId: row.paymentId, amountCents: row.amountCents };
}

function declineReason(code: string | null): string {
  if (code === 'insufficient_funds') return 'The card was declined: insufficient funds.';
  return 'The card was declined by the payment provider.';
}

export function simulatedProvider(opts: SimulatedProviderOptions): PaymentProvider {
  const random = opts.random ?? Math.random;
  const db = () => opts.db ?? getDb();
  const find = async (key: string) => (await db().select().from(simulatedPayments).where(eq(simulatedPayments.idempotencyKey, key)))[0];
  return {
    name: 'simulated',
    async authorize(req: AuthorizeRequest): Promise<PaymentOutcome> {
      if (opts.delayMs > 0) await sleep(opts.delayMs);
      const known = await find(req.idempotencyKey);
      if (known) return outcomeOf(known);
      if (random() < opts.unavailableRate) throw new PaymentProviderUnavailable('The payment provider did not answer (simulated outage).');
      const declineCode = req.method === 'card_declined' ? 'insufficient_funds' : random() < opts.failureRate ? 'card_declined' : null;
      await db()
        .insert(simulatedPayments)
        .values({
          paymentId: 'pay_' + randomUUID().replace(/-/g, '').slice(0, 20),
          idempotencyKey: req.idempotencyKey,
          orderId: req.orderId,
          amountCents: req.amountCents,
          currency: req.currency,
          method: req.method,
          status: declineCode ? 'declined' : 'authorized',
          declineCode,
        })
        .onConflictDoNothing();
      // Two runners asking at once: both return the answer that was stored first.
      return outcomeOf((await find(req.idempotencyKey))!);
    },
    async void(paymentId: string): Promise<void> {
      if (opts.delayMs > 0) await sleep(opts.delayMs);
      await db()
        .update(simulatedPayments)
        .set({ status: 'voided', voidedAt: new Date() })
        .where(and(eq(simulatedPayments.paymentId, paymentId), eq(simulatedPayments.status, 'authorized')));
    },
  };
}
