import 'server-only';
import { z } from 'zod';
import { getDb, type Db } from '@/db/client';
import { DEFAULT_BATCH_SIZE, lag, oldestWritingTransaction, runSubscriber, type Subscriber, type SubscriberLag } from '../eventstore';
import { log } from '../log';
import { subscribers as registered } from './registry';

const SubscriberEnv = z.object({
  SUBSCRIBERS: z
    .enum(['0', '1', 'true', 'false', 'on', 'off', ''])
    .optional()
    .transform((v) => !(v === '0' || v === 'false' || v === 'off')),
  SUBSCRIBER_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  SUBSCRIBER_LAG_WARN_SECONDS: z.coerce.number().min(1).max(86_400).default(60),
});

export type SubscriberEnv = z.infer<typeof SubscriberEnv>;

export function readSubscriberEnv(env: NodeJS.ProcessEnv = process.env): SubscriberEnv {
  const parsed = SubscriberEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid subscriber configuration:\n${lines}`);
  }
  return parsed.data;
}

export type RunnerOptions = {
  subscribers?: Subscriber[];
  /** Pause between polls when every subscriber is caught up. */
  pollMs?: number;
  /** The database, looked up on every poll (tests swap it with setDbHandle). */
  db?: () => Db;
  /** Lag (seconds) above which a warning names the oldest open writing transaction. */
  lagWarnSeconds?: number;
  /** How often lag is measured for that warning. */
  lagCheckMs?: number;
};

export type SubscriberRunner = {
  /** Ends the loop after the batch in flight (whose transaction commits or rolls back as a whole). */
  stop: () => Promise<void>;
  readonly stopped: boolean;
};

const MAX_BACKOFF_MS = 30_000;

/**
 * Polls every subscriber: one batch each per round, again at once while a subscriber is catching up
 * (a full batch), else after `pollMs`. A failing subscriber is logged and retried with backoff without
 * holding the others up; nothing escapes the loop, so it cannot take the server down. Timers are
 * unref'd: the loop never keeps a process alive on its own.
 */
export function createSubscriberRunner(opts: RunnerOptions = {}): SubscriberRunner {
  const subs = opts.subscribers ?? registered;
  const pollMs = opts.pollMs ?? 500;
  const dbOf = opts.db ?? getDb;
  const lagWarnSeconds = opts.lagWarnSeconds ?? 60;
  const lagCheckMs = opts.lagCheckMs ?? 30_000;
  const health = new Map(subs.map((s) => [s.name, { failures: 0, nextAt: 0 }]));
  let stopped = false;
  let wake: (() => void) | undefined;
  let lastLagCheck = Date.now();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref?.();
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function round(): Promise<boolean> {
    let catchingUp = false;
    for (const s of subs) {
      if (stopped) break;
      const h = health.get(s.name)!;
      if (h.nextAt > Date.now()) continue;
      const started = performance.now();
      try {
        const r = await runSubscriber(dbOf(), s);
        if (h.failures > 0) log.info({ subscriber: s.name, failures: h.failures }, 'subscriber recovered');
        h.failures = 0;
        h.nextAt = 0;
        if (r.delivered > 0) {
          log.debug({ subscriber: s.name, events: r.delivered, checkpoint: r.checkpoint, ms: Math.round(performance.now() - started) }, 'subscriber batch');
        }
        if (r.delivered >= (s.batchSize ?? DEFAULT_BATCH_SIZE)) catchingUp = true;
      } catch (err) {
        h.failures++;
        const retryInMs = Math.min(pollMs * 2 ** h.failures, MAX_BACKOFF_MS);
        h.nextAt = Date.now() + retryInMs;
        log.error({ err, subscriber: s.name, failures: h.failures, retryInMs }, 'subscriber batch failed; it rolled back and will be retried');
      }
    }
    return catchingUp;
  }

  async function checkLag() {
    if (Date.now() - lastLagCheck < lagCheckMs) return;
    lastLagCheck = Date.now();
    try {
      const db = dbOf();
      const behind = (await Promise.all(subs.map((s) => lag(db, s.name)))).filter((l) => l.seconds >= lagWarnSeconds);
      if (behind.length === 0) return;
      const blocking = behind.some((l) => l.heldBack > 0) ? await oldestWritingTransaction(db) : null;
      log.warn(
        { lag: behind.map(({ subscriber, events, seconds, heldBack }) => ({ subscriber, events, seconds, heldBack })), oldestWritingTransaction: blocking },
        blocking
          ? 'subscribers are behind: a long-running transaction holds them back (nothing is skipped; they catch up when it ends)'
          : 'subscribers are behind',
      );
    } catch (err) {
      log.error({ err }, 'measuring subscriber lag failed');
    }
  }

  const loop = (async () => {
    log.info({ subscribers: subs.map((s) => s.name), pollMs }, 'subscribers started');
    while (!stopped) {
      let catchingUp = false;
      try {
        catchingUp = await round();
        await checkLag();
      } catch (err) {
        log.error({ err }, 'subscriber loop error');
      }
      if (stopped) break;
      // Catching up: go on at once, but let the event loop breathe between batches.
      await (catchingUp ? new Promise<void>((r) => setImmediate(r)) : sleep(pollMs));
    }
    log.info('subscribers stopped');
  })();

  return {
    get stopped() {
      return stopped;
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}

const globalForRunner = globalThis as unknown as { __eventcartSubscribers?: SubscriberRunner };

/**
 * Starts the process-wide polling loop once (instrumentation.ts calls it when the Next server starts).
 * SUBSCRIBERS=0 turns it off, e.g. on app servers when a separate worker runs the subscribers; two
 * servers running them is safe too (each subscriber's batch is taken by one process at a time).
 */
export function startSubscribers(opts: RunnerOptions = {}): SubscriberRunner | null {
  if (globalForRunner.__eventcartSubscribers && !globalForRunner.__eventcartSubscribers.stopped) {
    return globalForRunner.__eventcartSubscribers;
  }
  let env: SubscriberEnv;
  try {
    env = readSubscriberEnv();
  } catch (err) {
    // A bad setting must not take the shop down: serve without subscribers and say so loudly.
    log.error({ err }, 'subscribers not started');
    return null;
  }
  if (!env.SUBSCRIBERS) {
    log.info('subscribers are off (SUBSCRIBERS=0)');
    return null;
  }
  const runner = createSubscriberRunner({ pollMs: env.SUBSCRIBER_POLL_MS, lagWarnSeconds: env.SUBSCRIBER_LAG_WARN_SECONDS, ...opts });
  globalForRunner.__eventcartSubscribers = runner;
  return runner;
}

export async function stopSubscribers(): Promise<void> {
  const runner = globalForRunner.__eventcartSubscribers;
  globalForRunner.__eventcartSubscribers = undefined;
  await runner?.stop();
}

/**
 * For metrics: per subscriber, the committed events not yet handled and how old the oldest of them is.
 * `heldBack` counts those the reader may not take yet because an older transaction is still open.
 */
export async function subscriberLag(db: Db = getDb()): Promise<Pick<SubscriberLag, 'subscriber' | 'events' | 'seconds' | 'heldBack'>[]> {
  const out = [];
  for (const s of registered) {
    const { subscriber, events, seconds, heldBack } = await lag(db, s.name);
    out.push({ subscriber, events, seconds, heldBack });
  }
  return out;
}
